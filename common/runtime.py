"""Seeding and devices: one call at the start of a run, no-ops where there is no GPU."""

import keras


def gpus() -> list:
    """The GPUs TensorFlow can see (an empty list on a CPU-only machine or another backend)."""
    if keras.backend.backend() != "tensorflow":
        return []
    import tensorflow as tf

    return tf.config.list_physical_devices("GPU")


def setup(seed: int, mixed_precision: bool = False, verbose: bool = True) -> dict:
    """Seed every generator, let GPU memory grow as needed, and pick a dtype policy.

    Mixed precision (float16 compute, float32 weights) is only switched on where a GPU is present:
    on a CPU it is slower, not faster. Returns a small report of what was chosen.
    """
    keras.utils.set_random_seed(seed)
    found = gpus()
    if found:
        import tensorflow as tf

        for gpu in found:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # already initialised by an earlier call in this process
                pass
    policy = "mixed_float16" if (mixed_precision and found) else "float32"
    keras.mixed_precision.set_global_policy(policy)
    report = {
        "backend": keras.backend.backend(),
        "devices": [g.name for g in found] or ["CPU"],
        "dtype_policy": policy,
        "seed": seed,
    }
    if verbose:
        print(
            f"keras {keras.__version__} on {report['backend']}; devices: "
            f"{', '.join(report['devices'])}; dtype policy {policy}; seed {seed}"
        )
    return report


def jit_compile(requested: bool) -> bool | str:
    """XLA compilation only where it pays off (a GPU); elsewhere let Keras decide."""
    return True if (requested and gpus()) else "auto"
