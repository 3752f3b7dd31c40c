"""Milliseconds per training step of the word2vec default configuration on this backend.

    KERAS_BACKEND=tensorflow python -m benchmarks.word2vec_step
    KERAS_BACKEND=jax python -m benchmarks.word2vec_step

One batch of random word ids (the default 8 chunks of 512 words, a 30,540-word vocabulary, as
the default corpus gives), trained on 30 times after 3 warm-up steps with `train_on_batch`; on
TensorFlow with and without XLA. Prints one line per setting.
"""

import time

import keras
import numpy as np

from projects.word2vec import model
from projects.word2vec.config import Config

VOCABULARY = 30_540
WARM_UP, STEPS = 3, 30


def main() -> None:
    config = Config()
    rng = np.random.default_rng(0)
    shape = (config.chunks_per_batch, config.chunk_tokens)
    x = {
        "tokens": rng.integers(0, VOCABULARY, shape).astype("int32"),
        "sentence": np.zeros(shape, "int32"),
        "radius": rng.integers(1, config.window + 1, shape).astype("int32"),
        "negatives": rng.integers(0, VOCABULARY, (*shape, config.negative_draws)).astype("int32"),
    }
    settings = [True, False] if keras.backend.backend() == "tensorflow" else [True]
    for jit in settings:
        trainer = model.build_model(VOCABULARY, config)
        trainer.compile(optimizer=keras.optimizers.SGD(0.1, clipvalue=1e-4), jit_compile=jit)
        for _ in range(WARM_UP):
            trainer.train_on_batch(x)
        start = time.time()
        for _ in range(STEPS):
            trainer.train_on_batch(x)
        seconds = (time.time() - start) / STEPS
        words = shape[0] * shape[1]
        print(
            f"{keras.backend.backend()}, jit_compile={jit}: {seconds * 1000:.1f} ms per step of "
            f"{words} words ({words / seconds / 1000:.0f}k words/s)"
        )


if __name__ == "__main__":
    main()
