"""Seeding, devices, precision and XLA: one call at the start of a run, on any Keras backend.

TensorFlow is the default backend, but GPU machines often carry only JAX (or PyTorch). Nothing
here needs TensorFlow unless it is the backend; `has_tensorflow` tells the optional extras
(SavedModel export, TensorBoard) whether they can run.
"""

import ctypes
import functools
import importlib
import os
import sys

import keras


@functools.cache
def has_tensorflow() -> bool:
    """Whether TensorFlow can be imported here (for SavedModel export and TensorBoard logs)."""
    import common

    return common.import_tensorflow_quietly()


def note(message: str) -> None:
    """One log line about something skipped or switched off, on stderr beside Keras's own."""
    print(f"note: {message}", file=sys.stderr, flush=True)


def devices() -> list[str]:
    """The devices the backend computes on, e.g. ['cuda:0'] or ['gpu:0'], or ['cpu:0']."""
    try:
        return list(keras.distribution.list_devices())
    except Exception:  # a backend without distribution support (e.g. PyTorch in some versions)
        return ["cpu:0"]


def gpus(listed: list[str] | None = None) -> list[str]:
    """The accelerators among `devices()` (an empty list on a CPU-only machine)."""
    return [d for d in (devices() if listed is None else listed) if not d.lower().startswith("cpu")]


def _backend_version() -> str:
    name = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(name)
    try:
        return f"{name} {importlib.import_module(module).__version__}"
    except (ImportError, TypeError, AttributeError):
        return name


def xla(requested: bool, forced: bool = False) -> str:
    """Whether training steps are XLA-compiled here, as words for the start-up line; `forced`:
    the template compiles with jit_compile=True whatever the device."""
    backend = keras.backend.backend()
    if forced and backend in ("tensorflow", "jax"):
        return "on (this template compiles its training step on every device)"
    if backend == "jax":
        return "on (JAX compiles every step with XLA)"
    if backend == "tensorflow" and requested and gpus():
        return "on"
    if backend == "tensorflow":
        return "off" if not requested else "off (on a CPU, --jit_compile is ignored)"
    return "off"


@functools.cache
def keep_freed_memory() -> bool:
    """Tells the C library (glibc, on Linux) to keep the memory the process frees for its next
    allocations instead of handing large blocks back to the system at once. XLA's CPU runtime
    allocates a training step's buffers anew at every step; handed back, they return page by
    page, each page a fault: text_lstm's default training step ran 1.16 to 1.17 times as fast
    with them kept (projects/text_lstm/EXPERIMENTS.md: where a step's time goes). The cost: the
    process holds on to its largest footprint until it ends. Whether it took effect; elsewhere
    (macOS, Windows, another C library) nothing changes."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    limit = 1 << 30  # blocks up to 1 GiB come from the heap and stay there when freed
    return bool(mallopt(m_mmap_threshold, limit)) and bool(mallopt(m_trim_threshold, limit))


def cpu_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (macOS, Windows)
        return os.cpu_count() or 1


def share_cores(branches: int) -> int | None:
    """On TensorFlow, give each operation the CPU's cores shared out among `branches` parts of
    the model that the executor runs at once (text_lstm's --members), instead of all of them to
    each: the branches then stop taking cores from each other. Two networks' training step ran
    1.16 and 1.18 times as fast on 2 cores with one core an operation (projects/text_lstm/
    EXPERIMENTS.md: one core for each network). Must come before TensorFlow's runtime starts;
    returns the cores an operation gets, or None where nothing changed."""
    if branches <= 1 or keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    threads = max(1, cpu_cores() // branches)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:  # already started by an earlier call in this process: left as it is
        return None
    return threads


def setup(
    seed: int,
    mixed_precision: bool = False,
    jit_compile: bool = False,
    verbose: bool = True,
    forced_xla: bool = False,
    branches: int = 1,
) -> dict:
    """Seed every generator, let TensorFlow's GPU memory grow as needed, pick a dtype policy.

    Mixed precision (float16 compute, float32 weights; a template keeps its outputs and loss in
    float32) only goes on where an accelerator is present: on a CPU it is slower, not faster, so
    the request falls back to float32 with one log line. `branches`: parts of the model that
    run at once, for `share_cores`. Returns a report of what was chosen.
    """
    cores_an_op = share_cores(branches)  # before anything starts TensorFlow's runtime
    if keras.backend.backend() != "tensorflow" and has_tensorflow():
        # TensorFlow beside another backend only exports and writes TensorBoard logs: keep it
        # off the GPU (it would otherwise reserve the GPU's memory) and quiet at start-up.
        import tensorflow as tf

        from common import silenced_stderr

        with silenced_stderr():
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # already initialised by an earlier call in this process
                pass
    keep_freed_memory()
    keras.utils.set_random_seed(seed)  # seeds TensorFlow too where it is installed
    if keras.backend.backend() == "tensorflow":  # before anything lists (initialises) devices
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # already initialised by an earlier call in this process
                pass
    listed = devices()  # listing may start the backend's runtime: once is enough
    found = gpus(listed)
    policy = "mixed_float16" if (mixed_precision and found) else "float32"
    keras.mixed_precision.set_global_policy(policy)
    report = {
        "backend": keras.backend.backend(),
        "devices": listed,
        "dtype_policy": policy,
        "xla": xla(jit_compile, forced_xla),
        "seed": seed,
    }
    shared = ""
    if cores_an_op:
        report["cores_an_op"] = cores_an_op
        shared = f"; each operation on {cores_an_op} of {cpu_cores()} cores ({branches} at once)"
    if verbose:
        print(
            f"keras {keras.__version__} on {_backend_version()}; devices: "
            f"{', '.join(report['devices'])}; dtype policy {policy}; XLA {report['xla']}; "
            f"seed {seed}{shared}"
        )
        if mixed_precision and not found:
            note("--mixed_precision needs a GPU; training in float32 on the CPU")
    return report


def jit_compile(requested: bool) -> bool | str:
    """The `jit_compile` argument for `model.compile`.

    On TensorFlow, XLA where it was asked for and pays off (a GPU); elsewhere Keras decides
    ("auto": JAX always compiles with XLA, TensorFlow on a CPU does not).
    """
    if requested and gpus() and keras.backend.backend() == "tensorflow":
        return True
    return "auto"


def _no_autotuning():
    """tf.data options with autotuning off. Keras's own pipeline over arrays autotunes, and its
    autotuning thread sleeps for periods that double up to a minute; destroying the pipeline (at
    the end of `fit`, or of an epoch) sometimes waits out the sleep, up to a minute after the last
    step (projects/word2vec/EXPERIMENTS.md: The stall at the end of `fit`)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def _gathered(arrays, order):
    """A tf.data pipeline of the rows of `arrays` (any nest of arrays of the same length) that
    each element of `order` (a dataset of index batches) names, two batches made ahead."""
    import tensorflow as tf

    whole = tf.data.Dataset.from_tensors(arrays).repeat()  # held once, not copied per batch
    rows = tf.data.Dataset.zip((order, whole)).map(
        lambda index, data: tf.nest.map_structure(lambda a: tf.gather(a, index), data)
    )
    return rows.prefetch(2).with_options(_no_autotuning())


def batches_shuffled(x, y, batch_size: int, seed: int, validation_data=None) -> dict:
    """`fit`'s data arguments for arrays trained on in a new order every epoch:
    `model.fit(**runtime.batches_shuffled(x, y, 128, seed, (x_val, y_val)), epochs=...)`.

    On TensorFlow, tf.data pipelines with autotuning off (see `_no_autotuning`), the training one
    shuffled afresh each epoch from `seed`: Keras's own pipeline over arrays, once
    `keras.utils.set_random_seed` has run, draws the same order in every epoch on TensorFlow
    (Keras 3.15, TensorFlow 2.21). Elsewhere the arrays, which Keras reshuffles each epoch
    from NumPy's generator (seeded by `setup`). Every row is used; the last batch may be short."""
    if keras.backend.backend() != "tensorflow":
        feed = {"x": x, "y": y, "batch_size": batch_size, "shuffle": True}
        if validation_data is not None:
            feed["validation_data"] = tuple(validation_data)
        return feed
    import tensorflow as tf

    rows = tf.data.Dataset.range(len(x))
    order = rows.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    feed = {"x": _gathered((x, y), order), "shuffle": False}
    if validation_data is not None:
        in_order = tf.data.Dataset.range(len(validation_data[0])).batch(batch_size)
        feed["validation_data"] = _gathered(tuple(validation_data), in_order)
    return feed


def batches_in_order(arrays: dict, batch_size: int) -> dict:
    """`fit`'s x and batch size for a dict of arrays walked in order, batch_size rows a step, no
    shuffling (rows past the last whole batch are left out): `model.fit(**feed, epochs=...)`.

    On TensorFlow, a tf.data pipeline of whole batches with autotuning off (see
    `_no_autotuning`). Elsewhere the arrays themselves, as Keras slices them."""
    steps = len(next(iter(arrays.values()))) // batch_size
    kept = {key: value[: steps * batch_size] for key, value in arrays.items()}
    if keras.backend.backend() != "tensorflow":
        return {"x": kept, "batch_size": batch_size, "shuffle": False}
    import tensorflow as tf

    whole = {key: value.reshape(steps, batch_size, *value.shape[1:]) for key, value in kept.items()}
    dataset = tf.data.Dataset.from_tensor_slices(whole).prefetch(2).with_options(_no_autotuning())
    return {"x": dataset, "shuffle": False}
