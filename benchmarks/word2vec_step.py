"""Milliseconds per training step of the word2vec default configuration on this backend.

    KERAS_BACKEND=tensorflow python -m benchmarks.word2vec_step
    KERAS_BACKEND=jax python -m benchmarks.word2vec_step

One batch of random word ids (the default 8 chunks of 512 words, a 30,540-word vocabulary, as
the default corpus gives), trained on 30 times after 3 warm-up steps with `train_on_batch`, with
the template's optimizer: the default (skip-gram, negatives shared per chunk, per-coordinate
clip), CBOW, negatives drawn per token (--shared_negatives=0) and --clip_by=row --clip=30; on
TensorFlow with and without XLA. Prints one line per setting.
"""

import dataclasses
import time

import keras
import numpy as np

from projects.word2vec import model
from projects.word2vec.config import Config
from projects.word2vec.train import build_optimizer, coordinate_clip

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
    }
    jits = [True, False] if keras.backend.backend() == "tensorflow" else [True]
    variants = [  # (what the line says, the settings)
        ("default", {}),
        ("cbow", {"algorithm": "cbow"}),
        ("per-token negatives", {"shared_negatives": 0}),
        ("clip by row", {"clip_by": "row", "clip": 30.0}),
    ]
    for jit, (name, settings) in [(j, v) for j in jits for v in variants]:
        variant = dataclasses.replace(config, **settings)
        negatives = (shape[0], *variant.negatives_shape())
        x["negatives"] = rng.integers(0, VOCABULARY, negatives).astype("int32")
        trainer = model.build_model(VOCABULARY, variant, coordinate_clip(variant, 25_000.0))
        trainer.compile(optimizer=build_optimizer(variant, 0.1, 25_000.0), jit_compile=jit)
        for _ in range(WARM_UP):
            trainer.train_on_batch(x)
        start = time.time()
        for _ in range(STEPS):
            trainer.train_on_batch(x)
        seconds = (time.time() - start) / STEPS
        words = shape[0] * shape[1]
        print(
            f"{keras.backend.backend()}, jit_compile={jit}, {name}: "
            f"{seconds * 1000:.1f} ms per step of "
            f"{words} words ({words / seconds / 1000:.0f}k words/s)"
        )


if __name__ == "__main__":
    main()
