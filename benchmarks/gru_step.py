"""Milliseconds per training step of text_lstm's default model with Keras's GRU layer and with
the template's FastGRU (the same layer, its backward pass written out), in one process.

    KERAS_BACKEND=jax python -m benchmarks.gru_step [--rounds 12] [--steps 20]

Both training models (16 streams of 100 characters, GRU(448), Adam with clipping, as `make
text` trains) are built, compiled and warmed up on the first million training characters; then
in each round each trains `--steps` steps in turn, so that the machine's pace, which drifts by
tens of percent on a shared 2-core CPU, moves both alike. Prints each round's milliseconds per
step, their medians, and the median of the per-round ratio. Then the recurrent matmul alone (16 x
448 times 448 x 1344, 100 times in a loop, as a window's forward pass makes it) in GFLOP/s: the
floor that no form of the loop gets under (on JAX only).
"""

import argparse
import dataclasses
import statistics
import time

import keras

from common.optimizers import build_optimizer
from projects.text_lstm import data, model
from projects.text_lstm.config import Config

WARM_UP = 5


def trainer(config: Config, vocabulary: str, cell) -> keras.Model:
    model.CELLS["gru"] = cell
    try:
        built = model.training_model(model.build_model(config, vocabulary), config)
    finally:
        model.CELLS["gru"] = model.FastGRU
    built.compile(
        optimizer=build_optimizer(config.optimizer, config.learning_rate, clipnorm=config.clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return built


def matmul_rate(config: Config, repeats: int = 20) -> float:
    """GFLOP/s of the forward loop's recurrent products alone, compiled by JAX."""
    import jax
    import jax.numpy as jnp

    h = jnp.zeros((config.batch_size, config.units))
    kernel = jnp.ones((config.units, 3 * config.units)) / config.units
    inputs = jnp.zeros((config.window, config.batch_size, 3 * config.units))

    def step(h, x):  # every column of the product used, so none of it can be left out
        return jnp.tanh((h @ kernel + x).reshape(h.shape[0], 3, -1).sum(1)), None

    run = jax.jit(lambda h, xs: jax.lax.scan(step, h, xs)[0])
    run(h, inputs).block_until_ready()
    start = time.perf_counter()
    for _ in range(repeats):
        out = run(h, inputs)
    out.block_until_ready()
    seconds = (time.perf_counter() - start) / repeats
    return 2 * config.batch_size * config.units * 3 * config.units * config.window / seconds / 1e9


def first_batches(config: Config, count: int) -> tuple[str, list]:
    """The vocabulary of the first million training characters and their first `count` batches."""
    corpus = data.load_corpus(dataclasses.replace(config, train_chars=1_000_000))
    vocabulary = data.vocabulary(corpus.train)
    codes = data.encode(corpus.train)
    batches = data.Batches(codes, data.to_ids(codes, vocabulary), config, config.seed)
    return vocabulary, [batches[i] for i in range(count)]


def alternating_ms(trainers: dict, steps: list, rounds: int) -> dict[str, list[float]]:
    """Each compiled trainer warmed up on the first WARM_UP steps; then, in each round, each
    trains on the round's share of the rest in turn: milliseconds per step, a list per trainer."""
    for built in trainers.values():
        for x, y in steps[:WARM_UP]:
            built.train_on_batch(x, y)
    per_round = (len(steps) - WARM_UP) // rounds
    ms = {name: [] for name in trainers}
    for r in range(rounds):
        chunk = steps[WARM_UP + r * per_round :][:per_round]
        for name, built in trainers.items():
            start = time.perf_counter()
            for x, y in chunk:
                loss = built.train_on_batch(x, y)
            float(loss)  # waits for the last step
            ms[name].append((time.perf_counter() - start) / per_round * 1000)
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    config = dataclasses.replace(Config(), members=1)  # one network's step
    vocabulary, steps = first_batches(config, WARM_UP + args.steps * args.rounds)
    forms = {"keras": keras.layers.GRU, "fast": model.FastGRU}
    trainers = {name: trainer(config, vocabulary, cell) for name, cell in forms.items()}
    ms = alternating_ms(trainers, steps, args.rounds)
    print(f"keras {keras.__version__} on {keras.backend.backend()}, ms per training step:")
    for name, values in ms.items():
        each = " ".join(f"{v:.0f}" for v in values)
        print(f"  {name:5s} median {statistics.median(values):6.1f}  ({each})")
    ratio = statistics.median(k / f for k, f in zip(ms["keras"], ms["fast"], strict=True))
    print(f"  keras / fast, median of the rounds: {ratio:.3f}")
    if keras.backend.backend() == "jax":
        print(f"recurrent matmul alone: {matmul_rate(config):.0f} GFLOP/s")


if __name__ == "__main__":
    main()
