"""Characters in, next-character probabilities out: a lookup, an embedding, recurrent layers.

build_model(config, vocabulary)  the model that is saved and exported: code points (batch, time)
                                 -> probabilities of the next character (batch, time, vocabulary)
training_model(model, config)    the same layers giving logits (for the loss); for truncated BPTT
                                 with the state carried from each batch to the next
sampler(model)                   the same layers again, one step at a time with explicit state,
                                 for generating text

All three share their layers, so training one trains the others. The recurrent layers return
their final state too (`return_state=True`); the saved model ignores it, the others use it.
With --members N there are N such networks side by side on the one lookup, each with its own
embedding, recurrent layers and output (their layers' names begin `member_<m>_`), and the
model's logits are the log of their averaged probabilities (an ensemble; `AverageProbabilities`).
The GRU is Keras's, trained through a backward pass written out (`FastGRU`, below); with
--weight_drop `WeightDrop` is mixed in.
"""

import math
from typing import NamedTuple

import keras
import numpy as np
from keras import layers, ops

from . import data

UNKNOWN = 0  # the id of characters not seen in training; real characters are 1..len(vocabulary)


@keras.saving.register_keras_serializable(package=__package__)
class CharLookup(layers.Layer):
    """Unicode code points -> vocabulary ids: the id of a known character is its place in the
    sorted vocabulary plus one, anything else is UNKNOWN (0). A binary search in keras.ops, so it
    runs on every backend (Keras's StringLookup needs TensorFlow strings)."""

    def __init__(self, vocabulary: str, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary = "".join(sorted(set(vocabulary)))
        self._codes = np.array([ord(c) for c in self.vocabulary], dtype="int32")

    @property
    def size(self) -> int:
        return len(self.vocabulary) + 1

    def call(self, codes):
        codes = ops.cast(codes, "int32")
        known = ops.convert_to_tensor(self._codes)
        flat = ops.reshape(codes, (-1,))
        place = ops.minimum(ops.searchsorted(known, flat), len(self._codes) - 1)
        place = ops.cast(place, "int32")
        found = ops.equal(ops.take(known, place), flat)
        ids = ops.where(found, place + 1, UNKNOWN)
        return ops.reshape(ids, ops.shape(codes))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "vocabulary": self.vocabulary}


def _gru_step(h, projected, recurrent, bias):
    """One step of Keras's GRU (reset_after): the new state, and what the backward pass needs."""
    inner = ops.matmul(h, recurrent) + bias
    xz, xr, xh = ops.split(projected, 3, axis=-1)
    hz, hr, hh = ops.split(inner, 3, axis=-1)
    z = ops.sigmoid(xz + hz)  # how much of the old state to keep
    r = ops.sigmoid(xr + hr)  # how much of it the candidate sees
    candidate = ops.tanh(xh + r * hh)
    return z * h + (1 - z) * candidate, (z, r, candidate, hh)


@ops.custom_gradient
def _gru_states(projected, h0, recurrent, bias):
    """The states of every step, (time, batch, units), from the inputs already multiplied by the
    input kernel, (time, batch, 3 units); gradients by backpropagation through time written out.

    Autodiff of the loop adds each step's share of the recurrent kernel's gradient inside the
    loop: a product over the 16 streams alone, and a kernel-sized sum, a hundred times a window.
    Here the loop backwards only carries the gradient of the state, and the kernel's gradient is
    one product over every step and stream after it (benchmarks/gru_step.py).
    """

    # Keras's scan on TensorFlow wants each step's outputs shaped as what it carries: so the
    # loops carry what they output (only the state, or the state's gradient, is read back)
    def forward(carry, p):
        new, kept = _gru_step(carry[0], p, recurrent, bias)
        return (new, *kept), (new, *kept)

    zero = ops.zeros_like(h0)
    _, (states, z, r, candidate, hh) = ops.scan(forward, (h0, zero, zero, zero, zero), projected)

    def grad(*args, upstream=None):
        if upstream is None:  # TensorFlow passes it by position, JAX by name
            (upstream,) = args
        before = ops.concatenate([h0[None], states[:-1]], axis=0)  # each step's incoming state

        def backward(carry, step):
            up, z, r, candidate, hh, h = step
            dh = carry[0] + up  # from this step's output, and from the steps after it
            dcandidate = dh * (1 - z) * (1 - candidate * candidate)
            dz = dh * (h - candidate) * z * (1 - z)
            dr = dcandidate * hh * r * (1 - r)
            dinner = ops.concatenate([dz, dr, dcandidate * r], axis=-1)
            dprojected = ops.concatenate([dz, dr, dcandidate], axis=-1)
            out = (dh * z + ops.matmul(dinner, transposed), dprojected)
            return out, out

        transposed = ops.transpose(recurrent)  # once, not at each step
        steps = (upstream, z, r, candidate, hh, before)
        (dh0, _), (_, dprojected) = ops.scan(
            backward, (zero, ops.zeros_like(projected[0])), steps, reverse=True
        )
        # what reached the recurrent product: dprojected with the candidate's part times r
        # (after the loop: a second stacked output of the loop costs more)
        dz, dr, dcandidate = ops.split(dprojected, 3, axis=-1)
        dinner = ops.concatenate([dz, dr, dcandidate * r], axis=-1)
        units = ops.shape(h0)[-1]
        drecurrent = ops.matmul(
            ops.transpose(ops.reshape(before, (-1, units))), ops.reshape(dinner, (-1, 3 * units))
        )
        return dprojected, dh0, drecurrent, ops.sum(dinner, axis=(0, 1))

    return states, grad


@keras.saving.register_keras_serializable(package=__package__)
class FastGRU(layers.GRU):
    """Keras's GRU, the same weights and forward pass, trained with `_gru_states`' backward
    pass: a training step runs 1.37 to 1.42 times as fast on a 2-core CPU (README, How it
    learns). Used in training without a mask, going forwards, with no dropout inside the layer;
    otherwise, and always for evaluation, generation and export, Keras's own loop runs."""

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        plain = (
            not training or mask is not None or self.go_backwards or self.dropout
            or self.recurrent_dropout or not cell.reset_after or not cell.use_bias
            or cell.activation is not keras.activations.tanh
            or cell.recurrent_activation is not keras.activations.sigmoid
        )  # fmt: skip
        if plain:
            return super().inner_loop(sequences, initial_state, mask, training=training)
        h0 = initial_state[0] if isinstance(initial_state, (list, tuple)) else initial_state
        bias = ops.convert_to_tensor(cell.bias)
        # time-major before the input kernel: the inputs are narrower than their product
        steps = ops.transpose(sequences, (1, 0, 2))
        projected = ops.matmul(steps, ops.convert_to_tensor(cell.kernel)) + bias[0]
        recurrent = ops.copy(cell.recurrent_kernel)  # a value: TensorFlow's custom gradients
        # refuse variables read inside them
        states = _gru_states(projected, h0, recurrent, bias[1])
        states = ops.transpose(states, (1, 0, 2))
        return states[:, -1], states, [states[:, -1]]


CELLS = {"lstm": layers.LSTM, "gru": FastGRU}


def set_keeping_gate_bias(rnn: layers.Layer, bias: float) -> None:
    """Start the gate that keeps the recurrent state at `bias`: the LSTM's forget gate (the
    second quarter of Keras's [i, f, c, o] biases) or the GRU's update gate z (the first third of
    [z, r, h]; Keras's GRU keeps z of the old state, h = z h + (1 - z) candidate). Keras starts
    them at 1 and 0, about 0.73 and 0.5 of the state kept per step, and a gradient through the
    state fades over long distances (demos.py, start.png); at 4, 0.982 is kept."""
    values = np.array(ops.convert_to_numpy(rnn.cell.bias))
    if isinstance(rnn, layers.LSTM):
        values[rnn.units : 2 * rnn.units] = bias
    elif values.ndim == 2:  # GRU with reset_after (Keras's default): input and recurrent rows
        values[:, : rnn.units] = [[bias], [0.0]]
    else:
        values[: rnn.units] = bias
    rnn.cell.bias.assign(values)


RECURRENT = (layers.LSTM, layers.GRU)  # what a saved model's recurrent layers are


class WeightDrop:
    """DropConnect on the recurrent weights (AWD-LSTM's "weight drop"), mixed into Keras's GRU and
    LSTM: in training, each batch runs with one random share `weight_drop` of the recurrent
    kernel's entries set to zero (the rest scaled up), the same mask at every time step. Dropout
    on the state instead (`recurrent_dropout`) draws inside the loop and halves the speed on JAX;
    this draws once per batch, outside it. The cell reads `recurrent_kernel` at every step, so the
    dropped kernel stands in for the variable while the loop runs, and its gradient reaches the
    variable through the mask."""

    def __init__(self, *args, weight_drop: float = 0.0, seed=None, **kwargs):
        super().__init__(*args, seed=seed, **kwargs)
        self.weight_drop = weight_drop
        # not the seed of the layer's own dropout masks: the two draws stay independent
        self.weight_drop_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not (training and self.weight_drop):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        cell = self.cell
        kernel = cell.recurrent_kernel
        dropped = keras.random.dropout(
            ops.convert_to_tensor(kernel), self.weight_drop, seed=self.weight_drop_seed
        )
        object.__setattr__(cell, "recurrent_kernel", dropped)  # not tracked: a tensor, for now
        try:
            return super().inner_loop(sequences, initial_state, mask, training=training)
        finally:
            object.__setattr__(cell, "recurrent_kernel", kernel)

    def get_config(self):
        return {**super().get_config(), "weight_drop": self.weight_drop}


@keras.saving.register_keras_serializable(package=__package__)
class WeightDropGRU(WeightDrop, FastGRU):
    pass


@keras.saving.register_keras_serializable(package=__package__)
class WeightDropLSTM(WeightDrop, layers.LSTM):
    pass


WEIGHT_DROP_CELLS = {"lstm": WeightDropLSTM, "gru": WeightDropGRU}


class CarriedState(layers.Layer):
    """Runs a recurrent layer from the state the previous batch ended in, and keeps the new one.

    Truncated BPTT: gradients stop at the batch boundary (the kept state is a constant), the
    state does not. In training, each stream starts again from a zero state with probability
    `reset_rate` per batch: a model that only ever continued a state writes nonsense for its
    first dozens of characters when it starts from zero, as generation and export do.

    The state lives in non-trainable variables of a fixed batch size, updated like
    BatchNormalization's statistics, which works on every backend (Keras's own `stateful=True`
    does not carry state on JAX). Only used in training: saved in the training model's backups,
    with the random state of the restarts (which Keras does not save), so that a run resumed
    within an epoch goes on as if never stopped; never exported.
    """

    def __init__(self, rnn: layers.Layer, batch_size: int, reset_rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rnn = rnn
        self.batch_size = batch_size
        self.reset_rate = reset_rate
        self.n_states = 2 if isinstance(rnn, layers.LSTM) else 1
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.carried = [
            self.add_weight(
                shape=(self.batch_size, self.rnn.units),
                initializer="zeros",
                trainable=False,
                name=f"state_{i}",
            )
            for i in range(self.n_states)
        ]

    def call(self, x, training=None):
        start = [ops.cast(v, self.compute_dtype) for v in self.carried]
        if training and self.reset_rate:  # some streams start again from zero, as texts do
            draw = keras.random.uniform((self.batch_size, 1), seed=self.seed_generator)
            keep = ops.cast(draw >= self.reset_rate, self.compute_dtype)
            start = [s * keep for s in start]
        out, *states = self.rnn(x, initial_state=start, training=training)
        for variable, state in zip(self.carried, states, strict=True):
            variable.assign(ops.cast(ops.stop_gradient(state), variable.dtype))
        return out

    def reset(self) -> None:
        for v in self.carried:
            v.assign(ops.zeros(v.shape, v.dtype))

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["restarts"] = self.seed_generator.state

    def load_own_variables(self, store):
        for i, v in enumerate(self.carried):
            v.assign(store[str(i)])
        if "restarts" in store:
            self.seed_generator.state.assign(store["restarts"])


@keras.saving.register_keras_serializable(package=__package__)
class AverageProbabilities(layers.Layer):
    """The logits of several networks -> the log of their averaged probabilities: logits again,
    whose softmax is the average of the networks' softmaxes (an ensemble's prediction)."""

    def call(self, member_logits):
        stacked = ops.stack([ops.log_softmax(x, axis=-1) for x in member_logits], axis=0)
        return ops.logsumexp(stacked, axis=0) - math.log(len(member_logits))

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@keras.saving.register_keras_serializable(package=__package__)
class EachMember(layers.Layer):
    """The logits of several networks stacked on a new axis before the vocabulary's, (batch,
    time, members, vocabulary): the training loss is each network's own, averaged."""

    def call(self, member_logits):
        return ops.stack(member_logits, axis=-2)

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], len(input_shape), input_shape[0][-1])


def member_prefix(members: int, m: int) -> str:
    """The start of the names of network m's layers: none where there is only one."""
    return "" if members == 1 else f"member_{m}_"


def build_model(config, vocabulary: str) -> keras.Model:
    codes = keras.Input(shape=(None,), dtype="int32", name="codes")
    lookup = CharLookup(vocabulary, name="lookup")
    ids = lookup(codes)
    member_logits = []
    for m in range(config.members):
        p = member_prefix(config.members, m)
        h = layers.Embedding(lookup.size, config.embedding_dim, name=f"{p}embedding")(ids)
        h = layers.Dropout(config.input_dropout, name=f"{p}input_dropout")(h)
        for i in range(config.layers):
            # Keras's LSTM, or its GRU with the backward pass written out; weight drop where asked
            cell, extra = CELLS[config.cell], {}
            if config.weight_drop:
                cell = WEIGHT_DROP_CELLS[config.cell]
                seed = config.seed + 100 + m * config.layers + i  # each layer its own masks
                extra = {"weight_drop": config.weight_drop, "seed": seed}
            rnn = cell(
                config.units,
                recurrent_dropout=config.recurrent_dropout,
                **extra,
                return_sequences=True,
                return_state=True,
                name=f"{p}{config.cell}_{i}",
            )
            h = rnn(h)[0]
            if config.cell == "gru" and config.update_bias:
                set_keeping_gate_bias(rnn, config.update_bias)
            h = layers.Dropout(config.dropout, name=f"{p}dropout_{i}")(h)
        member_logits.append(layers.Dense(lookup.size, name=f"{p}logits", dtype="float32")(h))
    if config.members == 1:
        logits = member_logits[0]
    else:
        logits = AverageProbabilities(name="logits", dtype="float32")(member_logits)
    probabilities = layers.Softmax(name="probabilities", dtype="float32")(logits)
    return keras.Model(codes, probabilities, name="text_lstm")


class Member(NamedTuple):
    """One network's layers in a model built by build_model."""

    embedding: layers.Layer
    input_dropout: layers.Layer
    rnns: list
    dropouts: list
    logits: layers.Layer


def _members(model: keras.Model) -> list[Member]:
    """The networks of a model built by build_model, found by their layers' names."""
    count = sum(isinstance(layer, layers.Embedding) for layer in model.layers)
    members = []
    for m in range(count):
        p = member_prefix(count, m)
        mine = [layer for layer in model.layers if layer.name.startswith(p)]
        members.append(
            Member(
                model.get_layer(f"{p}embedding"),
                model.get_layer(f"{p}input_dropout"),
                [layer for layer in mine if isinstance(layer, RECURRENT)],
                [layer for layer in mine if layer.name.startswith(f"{p}dropout_")],
                model.get_layer(f"{p}logits"),
            )
        )
    return members


def _combine(model: keras.Model, member_logits: list, each_member: bool = False):
    """The model's logits from its networks': the one network's, their average's, or with
    `each_member` all of them stacked (EachMember)."""
    if len(member_logits) == 1:
        return member_logits[0]
    if each_member:
        return EachMember(name="each_member", dtype="float32")(member_logits)
    return model.get_layer("logits")(member_logits)


def training_model(model: keras.Model, config, each_member: bool = False) -> keras.Model:
    """Logits for the loss. With batches that carry the state ("streams", "shuffled_streams") the
    input has a fixed batch size and each recurrent layer carries its state across batches
    (reset with `reset_states`). With several networks (--members) the logits are those of
    their average, or with `each_member` each network's (EachMember), for training."""
    members = _members(model)
    if not data.carries_state(config.batching):
        logits = _combine(model, [member.logits.output for member in members], each_member)
        return keras.Model(model.input, logits, name="text_lstm_train")
    codes = keras.Input(batch_shape=(config.batch_size, config.window), dtype="int32")
    ids = model.get_layer("lookup")(codes)
    outputs = []
    for m, member in enumerate(members):
        h = member.input_dropout(member.embedding(ids))
        for i, (rnn, dropout) in enumerate(zip(member.rnns, member.dropouts, strict=True)):
            k = m * len(member.rnns) + i
            p = member_prefix(len(members), m)
            carried = CarriedState(
                rnn, config.batch_size, config.state_reset, config.seed + k, name=f"{p}carried_{i}"
            )
            h = dropout(carried(h))
        outputs.append(member.logits(h))
    return keras.Model(codes, _combine(model, outputs, each_member), name="text_lstm_streams")


def reset_states(model: keras.Model) -> None:
    """Start every stream from a zero state again (a no-op for models that carry none)."""
    for layer in model.layers:
        if isinstance(layer, CarriedState):
            layer.reset()


def sampler(model: keras.Model) -> tuple[keras.Model, list[tuple[int, ...]]]:
    """(codes, *states) -> (probabilities after the last code, *new states), and the shapes of
    the states (without the batch axis); a zero state starts a new text."""
    codes = keras.Input(shape=(None,), dtype="int32", name="codes")
    ids = model.get_layer("lookup")(codes)
    inputs, outputs, member_logits = [codes], [], []
    for member in _members(model):
        h = member.embedding(ids)
        for rnn in member.rnns:
            n = 2 if isinstance(rnn, layers.LSTM) else 1
            start = [keras.Input((rnn.units,), name=f"{rnn.name}_state_{k}") for k in range(n)]
            h, *states = rnn(h, initial_state=start)
            inputs += start
            outputs += states
        member_logits.append(member.logits(h[:, -1:, :]))
    probabilities = model.get_layer("probabilities")(_combine(model, member_logits))
    state_shapes = [tuple(s.shape[1:]) for s in inputs[1:]]
    step = keras.Model(inputs, [probabilities[:, 0, :], *outputs], name="text_lstm_step")
    return step, state_shapes


def vocabulary_of(model: keras.Model) -> str:
    return model.get_layer("lookup").vocabulary
