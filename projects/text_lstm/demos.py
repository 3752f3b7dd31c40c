"""The course's point about memory: which recurrent cell remembers a word from far back.

    python -m projects.text_lstm.demos [--out runs/text_lstm/demos] [--quick]

The task: "I am from <country> ... (many words) ... I speak fluent <language>". A sequence
starts with one of a few key tokens, marked as the one that matters, then `distance` other
tokens (other countries among them); at the end the network must name the key. Chance is 1 / KEYS.
For memory.png each network trains on distances from 1 to the longest at once (shorter
sequences padded and masked), so that the short ones give every cell a gradient to start from;
for one_distance.png on one distance only.

memory.png     accuracy against distance for SimpleRNN, LSTM and GRU, with clean words after
               the key and with noise added to them: a plain RNN adds every input into its
               state, a gated cell can learn to stop writing once it holds the key
gradients.png  how much gradient from the answer reaches each earlier step (log scale) of the
               networks trained with noise
start.png      the same before training, with respect to each step's state (the LSTM's cell):
               it fades in the SimpleRNN, and in an LSTM or GRU as Keras starts them, whose
               gates keep 0.73 and 0.5 of the state per step, but not when they start open
one_distance.png  the same five networks trained on one distance only, with no short sequences
               to start from: where the gradient faded before training, they never learn
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

from . import NAME, figures
from .model import set_keeping_gate_bias

KEYS = 4  # "countries": chance is 25%
FILLERS = 12  # "the other words"
MARK = KEYS + FILLERS  # the input channel that says "this is where I am from"
TOKENS = MARK + 1
CELLS = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}
NOISE = 0.5  # standard deviation of the noise on every input after the key
GAIN = 2.0  # recurrent weights twice too large: the gradient grows ~10,000-fold over 30 steps
SGD_LEARNING_RATE = 0.01  # plain SGD: the step is the gradient, however large
GATE_OPEN = 4.0  # a keeping gate's bias whose sigmoid is 0.982: the state starts by staying
VARIANTS = {  # label: (cell, the bias of the gate that keeps the state; None: Keras's start)
    "SimpleRNN": ("SimpleRNN", None),
    "LSTM, forget bias 1 (Keras)": ("LSTM", None),
    f"LSTM, forget bias {GATE_OPEN:g}": ("LSTM", GATE_OPEN),
    "GRU, update bias 0 (Keras)": ("GRU", None),
    f"GRU, update bias {GATE_OPEN:g}": ("GRU", GATE_OPEN),
}


def memory_task(n, longest, rng, noise=0.0, distance=None):
    """n sequences (n, 1 + longest, TOKENS) and their keys (n,).

    Each sequence is zeros (padding, masked) up to its start, then the marked key, then
    `distance` tokens drawn from all KEYS + FILLERS (so other countries come up, unmarked),
    each with Gaussian noise of standard deviation `noise` on its token channels. The answer
    is due after the last step. `distance` None draws it from 1..longest per sequence.
    """
    distances = np.full(n, distance) if distance else rng.integers(1, longest + 1, size=n)
    keys = rng.integers(KEYS, size=n)
    words = rng.integers(MARK, size=(n, longest + 1))
    steps = np.arange(longest + 1)
    start = longest - distances
    after = steps[None, :] > start[:, None]  # (n, steps): a word after the key
    x = np.zeros((n, longest + 1, TOKENS), "float32")
    x[np.arange(n), start, keys] = 1.0
    x[np.arange(n), start, MARK] = 1.0
    x[..., :MARK] += np.eye(MARK, dtype="float32")[words] * after[..., None]
    x[..., :MARK] += noise * rng.standard_normal((n, longest + 1, MARK)) * after[..., None]
    return x, keys


def memory_model(cell: str, units: int, recurrent_initializer="orthogonal", activation="tanh"):
    """Tokens -> a recurrent layer that skips the padding -> the key, as logits. The inputs are
    the tokens themselves (no embedding), so the gradient with respect to each step's input is
    the gradient reaching that step."""
    tokens = keras.Input(shape=(None, TOKENS), name="tokens")
    kwargs = {"recurrent_initializer": recurrent_initializer}
    if cell == "SimpleRNN":
        kwargs["activation"] = activation
    h = layers.Masking(mask_value=0.0, name="padding")(tokens)
    h = CELLS[cell](units, name=cell.lower(), **kwargs)(h)
    return keras.Model(tokens, layers.Dense(KEYS, name="key")(h), name=f"memory_{cell}")


def variant_model(label: str, units: int) -> keras.Model:
    """memory_model for one of VARIANTS, its keeping gates opened where the variant says."""
    cell, gate_bias = VARIANTS[label]
    model = memory_model(cell, units)
    if gate_bias is not None:
        set_keeping_gate_bias(model.get_layer(cell.lower()), gate_bias)
    return model


def compile_model(model, optimizer):
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_memory(model, x, y, epochs: int, seed: int, validation_data=None):
    """Every memory network's training: Adam 3e-3 with clipping, batches of 64 in a new order
    each epoch. Returns fit's History."""
    compile_model(model, keras.optimizers.Adam(3e-3, clipnorm=1.0))
    feed = runtime.batches_shuffled(x, y, 64, seed, validation_data)
    return model.fit(**feed, epochs=epochs, verbose=0)


def _new_sequences(distance: int, noise: float, seed: int):
    """The sequences accuracy at `distance` is measured on, never trained on."""
    return memory_task(500, distance, np.random.default_rng([seed, 2, distance]), noise, distance)


def accuracy_by_distance(distances, noises, units, samples, epochs, seed):
    """Train each cell on all distances up to the longest, once per noise level; accuracy on
    fresh sequences at each distance. Returns {noise: {cell: accuracies}} and the trained
    networks by (noise, cell)."""
    longest = distances[-1]
    results, trained = {}, {}
    for noise in noises:
        results[noise] = {}
        x, y = memory_task(samples, longest, np.random.default_rng([seed, 1]), noise)
        for cell in CELLS:
            keras.utils.set_random_seed(seed)
            model = memory_model(cell, units)
            train_memory(model, x, y, epochs, seed)
            accuracies = []
            for distance in distances:
                x_test, y_test = _new_sequences(distance, noise, seed)
                logs = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
                accuracies.append(float(logs["accuracy"]))
            results[noise][cell] = accuracies
            trained[noise, cell] = model
            shown = "  ".join(f"{d}: {a:.2f}" for d, a in zip(distances, accuracies, strict=True))
            print(f"noise {noise:.2f} {cell:9s} accuracy at distance {shown}", flush=True)
    return results, trained


def learning_at_one_distance(distances, units, samples, epochs, noise, seed) -> dict:
    """Each of VARIANTS trained on sequences of one distance only, at each distance: no short
    sequences give it a gradient to start from, so it learns only if the gradient reaches the
    key. Returns {distance: {label: accuracy on new sequences after each epoch}}."""
    curves = {}
    for distance in distances:
        x, y = memory_task(samples, distance, np.random.default_rng([seed, 1]), noise, distance)
        held_out = _new_sequences(distance, noise, seed)
        curves[distance] = {}
        for label in VARIANTS:
            keras.utils.set_random_seed(seed)
            history = train_memory(variant_model(label, units), x, y, epochs, seed, held_out)
            accuracies = [float(a) for a in history.history["val_accuracy"]]
            curves[distance][label] = accuracies
            learned = next((i + 1 for i, a in enumerate(accuracies) if a >= 0.95), None)
            print(
                f"trained at distance {distance:3d} only, {label:27s} accuracy "
                f"{accuracies[-1]:.2f} after {epochs} epochs; "
                + (f"0.95 first after epoch {learned}" if learned else "never 0.95"),
                flush=True,
            )
    return curves


def _gradient(fn, value: np.ndarray) -> np.ndarray:
    """d fn / d value for a scalar fn. Gradients with respect to inputs need the backend's own
    autodiff (Keras offers gradients only inside `fit`); these lines cover TensorFlow, JAX and
    PyTorch."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        watched = tf.constant(value)
        with tf.GradientTape() as tape:
            tape.watch(watched)
            out = fn(watched)
        return tape.gradient(out, watched).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(value))
    if backend == "torch":
        import torch

        watched = torch.tensor(value, requires_grad=True)
        fn(watched).backward()
        return watched.grad.numpy()
    raise NotImplementedError(f"gradients on the {backend} backend")


def input_gradient_norms(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean over the batch of |d loss / d input at step t|, for every step t."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    grads = _gradient(lambda inputs: loss_fn(y, model(inputs)), x)
    return np.linalg.norm(grads, axis=-1).mean(axis=0)


def state_gradient_norms(model: keras.Model, cell: str, x: np.ndarray, y: np.ndarray):
    """Mean over the batch of |d answer's logit / d state entering step t|, for every step t:
    the cell's own loop run step by step with a zero added to its state (the LSTM's cell, the
    state its forget gate scales), so the gradient of that zero is the state's."""
    rnn, key = model.get_layer(cell.lower()), model.get_layer("key")
    n, steps, _ = x.shape
    words = keras.ops.convert_to_tensor(x)
    answers = keras.ops.convert_to_tensor(y[:, None])

    def answer_logit(deltas):
        states = [keras.ops.zeros((n, rnn.units))] * (2 if cell == "LSTM" else 1)
        for t in range(steps):
            states = [*states[:-1], states[-1] + deltas[t]]
            out, states = rnn.cell(words[:, t], states)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
        return keras.ops.sum(keras.ops.take_along_axis(key(out), answers, axis=1))

    grads = _gradient(answer_logit, np.zeros((steps, n, rnn.units), "float32"))
    return np.linalg.norm(grads, axis=-1).mean(axis=1)


def _probe(distance: int, noise: float, seed: int):
    """The sequences every gradient figure is measured on: the key `distance` words back."""
    return memory_task(256, distance, np.random.default_rng([seed, 3]), noise, distance)


def _print_reach(label: str, norms: np.ndarray, distance: int) -> None:
    key, between, last = norms[0], np.median(norms[1:-1]), norms[-1]
    print(
        f"{label} gradient {distance} steps back, at the key: {key / last:.2g} of the "
        f"last step's; at the words between (median): {between / last:.2g}",
        flush=True,
    )


def gradient_at_start(distance: int, units: int, noise: float, seed: int) -> dict:
    """Gradient reaching each step's state in untrained networks, by cell and initialization."""
    x, y = _probe(distance, noise, seed)
    reach = {}
    for label, (cell, _) in VARIANTS.items():
        keras.utils.set_random_seed(seed)
        reach[label] = state_gradient_norms(variant_model(label, units), cell, x, y)
        _print_reach(f"untrained {label:27s}", reach[label], distance)
    return reach


def gradient_reach(trained: dict, noise: float, distance: int, seed: int) -> dict:
    """Gradient norm at each step of the networks trained at `noise` (the same sequences)."""
    x, y = _probe(distance, noise, seed)
    reach = {cell: input_gradient_norms(trained[noise, cell], x, y) for cell in CELLS}
    for cell, norms in reach.items():
        _print_reach(f"{cell:9s}", norms, distance)
    return reach


class BatchLosses(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(np.asarray(logs["loss"])))


def exploding(distance: int, units: int, steps: int, seed: int) -> dict:
    """A ReLU SimpleRNN whose recurrent weights have gain GAIN, on clean sequences of one
    length: the gradient grows with the distance, and plain SGD diverges without clipping and
    learns with it. (Adam divides each
    step by the gradient's running size, which hides the explosion; SGD shows it.)"""
    big = keras.initializers.Orthogonal(gain=GAIN, seed=seed)
    rng = np.random.default_rng(seed)
    x, y = memory_task(64 * steps, distance, rng, distance=distance)
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
    parser.add_argument("--out", default=f"runs/{NAME}/demos", help=f"(default: runs/{NAME}/demos)")
    parser.add_argument("--quick", action="store_true", help="seconds: fewer distances and data")
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runtime.setup(args.seed)
    if args.quick:
        distances, units, samples, epochs, steps = [2, 8], 8, 256, 2, 10
        alone = [8]
    else:
        distances, units, samples, epochs, steps = [2, 5, 10, 20, 50, 100], 32, 4000, 20, 150
        alone = [10, 20, 50, 100]
    noises = (0.0, NOISE)
    accuracy, trained = accuracy_by_distance(distances, noises, units, samples, epochs, args.seed)
    reach = gradient_reach(trained, NOISE, distances[-1], args.seed)
    start = gradient_at_start(distances[-1], units, NOISE, args.seed)
    curves = learning_at_one_distance(alone, units, samples, epochs, NOISE, args.seed)
    blowup = exploding(30 if not args.quick else 8, units, steps, args.seed)
    for path in (
        figures.memory(distances, accuracy, 1 / KEYS, out),
        figures.gradient_reach(reach, distances[-1], NOISE, out),
        figures.gradient_at_start(start, distances[-1], NOISE, out),
        figures.one_distance(curves, NOISE, 1 / KEYS, out),
        figures.exploding(blowup["reach"], blowup["losses"], GAIN, out),
    ):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
