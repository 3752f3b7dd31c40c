"""Shared helpers for the templates: small, stateless and tested with numbers.

Modules: config (dataclass configs and the command line), runtime (seed, devices, mixed
precision), normalization, encoding (one-hot), augment, initializers (Xavier), optimizers, runs
(run directory, callbacks, curves), export (SavedModel and round-trip check), datasets (fetching
with checksums), errors (the one-line user error).
"""

import os


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up chatter silenced.

    TensorFlow prints CUDA probes, CPU feature notes and, on machines without a GPU, a cuInit
    failure to stderr, some of it before its own log level applies; that hides a template's own
    output and turns a one-line error into six. Setting TF_CPP_MIN_LOG_LEVEL yourself (0 shows
    everything) turns this off.
    """
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pass  # keras reports the problem when it is imported
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()
