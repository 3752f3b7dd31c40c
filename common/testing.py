"""For the templates' tests: run a template's command on another Keras backend, in a subprocess.

GPU machines often carry JAX but no TensorFlow. `run_module("projects.xor.train", [...])` runs
the command with KERAS_BACKEND=jax and, by default, with TensorFlow and TensorBoard made
unimportable in that process, so that a TensorFlow import slipping into model or training code
fails the test rather than a user's run on such a machine.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Killed(Exception):
    """Stands for a SIGKILL in the tests that run a template in this process: raised from a
    callback or a patched function, it stops the run where a kill would."""


_BOOT = """
import runpy, sys
sys.path.insert(0, {root!r})
hidden = {hidden!r}


class Hide:
    # wraps a finder so that it does not see the hidden packages: importing them fails and
    # importlib.util.find_spec answers None, as where they are not installed

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in hidden:
            return None
        return self.finder.find_spec(name, path, target)

    def __getattr__(self, attribute):
        return getattr(self.finder, attribute)


sys.meta_path[:] = [Hide(f) if hasattr(f, "find_spec") else f for f in sys.meta_path]
for name in [m for m in sys.modules if m.split(".")[0] in hidden]:
    del sys.modules[name]
module, sys.argv = sys.argv[1], sys.argv[1:]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""

HIDDEN = ("tensorflow", "tensorboard", "tf_keras")


def run_module(
    module: str,
    args: list[str],
    backend: str = "jax",
    hide_tensorflow: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """`python -m module args` with KERAS_BACKEND=backend; returns the finished process."""
    code = _BOOT.format(root=str(ROOT), hidden=HIDDEN if hide_tensorflow else ())
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-c", code, module, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def on_other_backend(module: str, function: str, timeout: float = 300):
    """`module.function()` called in a subprocess on the other backend (JAX under TensorFlow,
    TensorFlow under JAX); its result, a JSON-able value, comes back. For checks that both
    backends compute the same thing."""
    import json

    import keras

    other = "jax" if keras.backend.backend() != "jax" else "tensorflow"
    code = f"import json\nfrom {module} import {function} as f\nprint(json.dumps(f()))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "KERAS_BACKEND": other},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
