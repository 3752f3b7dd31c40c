"""Shared helpers for the templates: small, stateless and tested with numbers.

Modules: config (dataclass configs, ranges and the command line), runtime (seed, devices, mixed
precision and XLA on any backend), normalization, encoding (one-hot), augment (one random affine
transform per image), initializers (Xavier), optimizers, runs (run directory, callbacks, curves),
export (model.keras, SavedModel and round-trip checks), datasets (fetching with checksums),
errors (the one-line user error), testing (a template's command on another backend).
"""

import contextlib
import os
import sys

# Read before Keras is imported: JAX sets its own default (1) for this variable when it loads.
_LOG_LEVEL_CHOSEN_BY_USER = "TF_CPP_MIN_LOG_LEVEL" in os.environ


@contextlib.contextmanager
def silenced_stderr():
    """Send file descriptor 2 to /dev/null for a while: TensorFlow's C++ start-up messages
    (CUDA probes, a cuInit failure on machines without a GPU) bypass Python's logging. Python
    exceptions still propagate; only what is printed meanwhile is lost."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly() -> bool:
    """Import TensorFlow with its C++ start-up chatter silenced; return whether it imported.

    That chatter hides a template's own output and turns a one-line error into six. Setting
    TF_CPP_MIN_LOG_LEVEL yourself (0 shows everything) turns the silencing off. On the JAX
    backend TensorFlow is imported only when an export or TensorBoard asks for it
    (common.runtime.has_tensorflow).
    """
    if "tensorflow" in sys.modules or _LOG_LEVEL_CHOSEN_BY_USER:
        try:
            import tensorflow  # noqa: F401
        except ImportError:
            return False
        return True
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        with silenced_stderr():
            import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def require_keras() -> None:
    """Exit with a one-line error (code 2) where this Python has no Keras: most often a
    template's `python -m ...` run by a Python other than the one `make` built in .venv."""
    import importlib.util

    if importlib.util.find_spec("keras") is None:
        print(
            f"error: keras is not installed for {sys.executable}: run the templates with the "
            "Python that `make` builds in .venv (any make target builds it), e.g. "
            "`.venv/bin/python -m projects.xor.predict 1 0`, or `source .venv/bin/activate` first",
            file=sys.stderr,
        )
        raise SystemExit(2)


require_keras()
if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
    import_tensorflow_quietly()  # keras imports it next; quietly first
