"""The course's point about memory: which recurrent cell remembers a word from far back.

    python -m projects.text_lstm.demos [--out runs/text_lstm/demos] [--quick]

The task: "I am from <country> ... (many words) ... I speak fluent <language>". A sequence
starts with one of a few key tokens, then `distance` random filler tokens; at the end the network
must name the key. Chance is 1 / KEYS.

memory.png     accuracy against distance for SimpleRNN, LSTM and GRU trained alike
gradients.png  how much gradient from the answer reaches each earlier step (log scale), in the
               networks trained at the longest distance the SimpleRNN fails at: its gradient
               vanishes, the LSTM's and GRU's gates learned to carry it back to the key
exploding.png  a ReLU SimpleRNN whose recurrent weights are too large: gradient norms that grow
               with distance, and plain SGD on it without and with gradient clipping
"""

import argparse
from pathlib import Path

import keras
import numpy as np
from keras import layers

from common import runtime
from common.config import Parser
from common.errors import main_guard
from projects.text_lstm import figures

KEYS = 4  # "countries": chance is 25%
FILLERS = 16  # "the other words"
CELLS = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}
GAIN = 1.5  # recurrent weights 50% too large: 1.5^30 = 190,000 times over 30 steps
SGD_LEARNING_RATE = 0.01  # plain SGD: the step is the gradient, however large


def memory_task(n: int, distance: int, rng: np.random.Generator):
    """n sequences of 1 + distance one-hot tokens, (n, 1 + distance, KEYS + FILLERS), and the
    key each starts with (n,). Every step is a token; only the first one decides the answer."""
    keys = rng.integers(KEYS, size=n)
    tokens = np.concatenate(
        [keys[:, None], KEYS + rng.integers(FILLERS, size=(n, distance))], axis=1
    )
    return np.eye(KEYS + FILLERS, dtype="float32")[tokens], keys


def memory_model(cell: str, units: int, recurrent_initializer="orthogonal", activation="tanh"):
    """One-hot tokens -> a recurrent layer -> the key, as logits (one-hot inputs, so that the
    gradient with respect to each step's input is the gradient reaching that step)."""
    tokens = keras.Input(shape=(None, KEYS + FILLERS), name="tokens")
    kwargs = {"recurrent_initializer": recurrent_initializer}
    if cell == "SimpleRNN":
        kwargs["activation"] = activation
    h = CELLS[cell](units, name=cell.lower(), **kwargs)(tokens)
    return keras.Model(tokens, layers.Dense(KEYS, name="key")(h), name=f"memory_{cell}")


def compile_model(model, optimizer):
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def accuracy_by_distance(distances, units, samples, epochs, seed):
    """Train each cell at each distance on the same data; accuracy on fresh sequences. Returns
    the accuracies by cell, and the trained networks by (cell, distance)."""
    results, trained = {}, {}
    for cell in CELLS:
        results[cell] = []
        for distance in distances:
            keras.utils.set_random_seed(seed)
            rng = np.random.default_rng([seed, distance])
            x, y = memory_task(samples, distance, rng)
            x_test, y_test = memory_task(500, distance, rng)
            model = compile_model(memory_model(cell, units), keras.optimizers.Adam(1e-2))
            model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
            accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
            results[cell].append(float(accuracy))
            trained[cell, distance] = model
            print(f"{cell:9s} distance {distance:3d}: accuracy {accuracy:.2f}", flush=True)
    return results, trained


def input_gradient_norms(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean over the batch of |d loss / d input at step t|, for every step t.

    Gradients with respect to inputs need the backend's own autodiff (Keras offers gradients
    only inside `fit`); these few lines cover TensorFlow, JAX and PyTorch.
    """
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = loss_fn(y, model(inputs))
        grads = tape.gradient(loss, inputs).numpy()
    elif backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        fixed = [v.value for v in model.non_trainable_variables]

        def loss_of(inputs):
            logits, _ = model.stateless_call(trainable, fixed, inputs)
            return loss_fn(y, logits)

        grads = np.asarray(jax.grad(loss_of)(x))
    elif backend == "torch":
        import torch

        inputs = torch.tensor(x, requires_grad=True)
        loss_fn(torch.tensor(y), model(inputs)).backward()
        grads = inputs.grad.numpy()
    else:
        raise NotImplementedError(f"input gradients on the {backend} backend")
    return np.linalg.norm(grads, axis=-1).mean(axis=0)


def gradient_reach(trained: dict, distance: int, seed: int) -> dict[str, np.ndarray]:
    """Gradient norm at each step of the networks trained at `distance` (the same sequences)."""
    x, y = memory_task(256, distance, np.random.default_rng([seed, 1]))
    return {cell: input_gradient_norms(trained[cell, distance], x, y) for cell in CELLS}


class BatchLosses(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(np.asarray(logs["loss"])))


def exploding(distance: int, units: int, steps: int, seed: int) -> dict:
    """A ReLU SimpleRNN whose recurrent weights have gain GAIN: the gradient grows with the
    distance, and plain SGD diverges without clipping and learns with it. (Adam divides each
    step by the gradient's running size, which hides the explosion; SGD shows it.)"""
    big = keras.initializers.Orthogonal(gain=GAIN, seed=seed)
    rng = np.random.default_rng(seed)
    x, y = memory_task(64 * steps, distance, rng)
    keras.utils.set_random_seed(seed)
    reach = input_gradient_norms(memory_model("SimpleRNN", units, big, "relu"), x[:256], y[:256])
    losses = {}
    for label, clipnorm in (("no clipping", None), ("clipnorm=1.0", 1.0)):
        keras.utils.set_random_seed(seed)
        sgd = keras.optimizers.SGD(SGD_LEARNING_RATE, clipnorm=clipnorm)
        model = compile_model(memory_model("SimpleRNN", units, big, "relu"), sgd)
        record = BatchLosses()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=[record])
        losses[label] = np.array(record.losses)
        finite = losses[label][np.isfinite(losses[label])]
        print(f"exploding SimpleRNN, {label}: last loss {finite[-1] if len(finite) else 'nan'}")
    return {"reach": reach, "losses": losses}


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--out", default="runs/text_lstm/demos", help="(default: runs/text_lstm/demos)"
    )
    parser.add_argument("--quick", action="store_true", help="seconds: fewer distances and data")
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runtime.setup(args.seed)
    if args.quick:
        distances, units, samples, epochs, steps = [2, 8], 8, 256, 2, 10
    else:
        distances, units, samples, epochs, steps = [5, 10, 20, 30, 50], 32, 3000, 15, 150
    accuracy, trained = accuracy_by_distance(distances, units, samples, epochs, args.seed)
    failed = [d for d, a in zip(distances, accuracy["SimpleRNN"], strict=True) if a < 0.9]
    far = failed[0] if failed else distances[-1]  # where the SimpleRNN stops remembering
    reach = gradient_reach(trained, far, args.seed)
    blowup = exploding(30 if not args.quick else 8, units, steps, args.seed)
    for path in (
        figures.memory(distances, accuracy, 1 / KEYS, out),
        figures.gradient_reach(reach, far, out),
        figures.exploding(blowup["reach"], blowup["losses"], out),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
