"""Milliseconds per training step of the word2vec default configuration on this backend.

    KERAS_BACKEND=tensorflow python -m benchmarks.word2vec_step [--feed]
    KERAS_BACKEND=jax python -m benchmarks.word2vec_step [--feed]

One batch of random word ids (the default chunks of 128 words: one a step for skip-gram, 32 for
CBOW; a 30,540-word vocabulary, as the default corpus gives), trained on 30 times after 3 warm-up
steps with `train_on_batch`, with the template's optimizer: the default (skip-gram, negatives
shared per chunk, per-coordinate clip), skip-gram on 8 chunks a step, CBOW, negatives drawn per
token (--shared_negatives=0) and --clip_by=row --clip=30; on TensorFlow with and without XLA.
Prints one line per setting.

--feed: instead, one epoch of the default corpus (its first 1,000 steps) trained by `fit` on
the template's arrays (`Batches.arrays`) and on the same batches handed over by a Python
dataset (keras.utils.PyDataset), each after 20 steps of warm-up.
"""

import dataclasses
import sys
import time

import keras
import numpy as np

from projects.word2vec import model
from projects.word2vec.config import Config
from projects.word2vec.train import build_optimizer, coordinate_clip

VOCABULARY = 30_540
WARM_UP, STEPS = 3, 30
FEED_STEPS = 1000


def feed() -> None:
    """fit on arrays against fit on a PyDataset of the same batches, in milliseconds per step."""
    from common import runtime
    from projects.word2vec import data

    config = Config()
    runtime.setup(0, forced_xla=True, verbose=False)
    _, vocab, ids, sids = data.load(config)
    batches = data.Batches(ids, sids, vocab, config, 0)
    steps = min(FEED_STEPS, batches.steps)

    class Dataset(keras.utils.PyDataset):
        def __len__(self):
            return batches.steps

        def __getitem__(self, i):
            return (batches[i],)  # inputs only: the loss is the model's own

    arrays = batches.arrays(1)
    feeds = {
        "arrays": (arrays, {"batch_size": config.batch_chunks(), "shuffle": False}),
        "PyDataset": (Dataset(), {}),
    }
    for name, (x, settings) in feeds.items():
        scale = batches.examples_per_step
        trainer = model.build_model(len(vocab), config, coordinate_clip(config, scale))
        trainer.compile(optimizer=build_optimizer(config, 0.025 * scale, scale), jit_compile=True)
        trainer.fit(x, epochs=1, steps_per_epoch=20, verbose=0, **settings)
        start = time.time()
        trainer.fit(x, epochs=1, steps_per_epoch=steps, verbose=0, **settings)
        seconds = (time.time() - start) / steps
        print(
            f"{keras.backend.backend()}, fit on {name}: {seconds * 1000:.1f} ms per step "
            f"({config.batch_chunks() * config.chunk_tokens / seconds / 1000:.0f}k words/s)",
            flush=True,
        )


def main() -> None:
    if "--feed" in sys.argv[1:]:
        return feed()
    config = Config()
    rng = np.random.default_rng(0)
    jits = [True, False] if keras.backend.backend() == "tensorflow" else [True]
    variants = [  # (what the line says, the settings)
        ("default", {}),
        ("skip-gram, 8 chunks", {"chunks_per_batch": 8}),
        ("cbow", {"algorithm": "cbow"}),
        ("per-token negatives", {"shared_negatives": 0}),
        ("clip by row", {"clip_by": "row", "clip": 30.0}),
    ]
    for jit, (name, settings) in [(j, v) for j in jits for v in variants]:
        variant = dataclasses.replace(config, **settings)
        shape = (variant.batch_chunks(), variant.chunk_tokens)
        x = {
            "tokens": rng.integers(0, VOCABULARY, shape, dtype="int32"),
            "sentence": np.zeros(shape, "int32"),
            "radius": rng.integers(1, variant.window + 1, shape, dtype="int32"),
            "negatives": rng.integers(
                0, VOCABULARY, (shape[0], *variant.negatives_shape()), dtype="int32"
            ),
        }
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
