"""The course's word2vec as one Keras layer: two tables of word vectors and the training loss.

`vectors` (the input, or hidden-layer, weights) are the word vectors we keep; `context` (the
output weights) score how likely a word is to appear near another. For a chunk of text:

  skip-gram  each word predicts each neighbour within its window radius:
             loss = -log sigmoid(v_word . c_neighbour) - sum over negatives n of
                    log sigmoid(-v_word . c_n)
  cbow       the mean of the neighbours' vectors predicts the word:
             loss = -log sigmoid(mean(v_neighbours) . c_word) - sum over negatives ...
  softmax    (objective="softmax") the full softmax over the vocabulary instead of negatives:
             exact, as the course draws it, and affordable only for a small vocabulary

Pairs are found by shifting the chunk against itself, one shift per offset 1..window in each
direction, so each token's vectors are gathered once per chunk, not once per pair (CBOW's mean
of the neighbours is one banded matrix product per block of tokens instead, banded_sum). Negative
sampling (data.py draws the words) comes in two forms, told apart by the shape of `negatives`:

  shared     (chunks, K): K words per chunk, scored against every token of the chunk in one
             matrix product (the default: K = 64 for skip-gram, 48 for CBOW)
  per token  (chunks, T, draws): `negative_draws` words per token, shared by its pairs

Either way the negatives are weighted so that a word with n pairs gets the `negative` * n
negatives' worth of gradient word2vec gives it (CBOW: `negative` per word, as word2vec). The
loss is a mean per pair (skip-gram) or per word (CBOW); train.py scales the learning rate back
to word2vec's per-pair step.
"""

import keras
import numpy as np
from keras import layers, ops

BLOCK = 32  # tokens per block in CBOW's banded sum (Word2Vec.banded_sum)


@keras.saving.register_keras_serializable(package=__package__)
class Word2Vec(layers.Layer):
    def __init__(
        self,
        vocab_size,
        dim,
        window,
        algorithm="skipgram",
        objective="negative",
        negative=5,
        clip=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocab_size, self.dim, self.window = vocab_size, dim, window
        self.algorithm, self.objective, self.negative = algorithm, objective, negative
        self.clip = clip

    def build(self, input_shape=None):
        half = 0.5 / self.dim  # word2vec's initialization: small random vectors, zero contexts
        self.vectors = self.add_weight(
            shape=(self.vocab_size, self.dim),
            name="vectors",
            initializer=keras.initializers.RandomUniform(-half, half),
        )
        self.context = self.add_weight(
            shape=(self.vocab_size, self.dim), name="context", initializer="zeros"
        )

    def neighbours(self, sentence, radius):
        """For each offset d: (d, mask) where mask[c, i] says token i + d is a neighbour of
        token i (within i's radius, same sentence, not padding); shape (chunks, T - |d|)."""
        out = []
        for d in range(1, self.window + 1):
            same = ops.logical_and(
                ops.equal(sentence[:, :-d], sentence[:, d:]), ops.greater_equal(sentence[:, d:], 0)
            )
            out.append((d, ops.logical_and(same, ops.greater_equal(radius[:, :-d], d))))
            out.append((-d, ops.logical_and(same, ops.greater_equal(radius[:, d:], d))))
        return out

    def call(self, inputs):
        tokens, sentence = inputs["tokens"], inputs["sentence"]
        radius, negatives = inputs["radius"], inputs["negatives"]
        v = self.clipped(ops.take(self.vectors, tokens, axis=0))  # (chunks, T, dim)
        c = self.clipped(ops.take(self.context, tokens, axis=0))
        masks = self.neighbours(sentence, radius)
        if self.algorithm == "skipgram":  # the word's vector against each neighbour's context
            inputs_, score, weight = v, None, self.pair_counts(masks)
        else:  # the mean of the neighbours' vectors against the word's context
            inputs_, count = self.mean_of_neighbours(v, masks)
            weight = ops.cast(ops.greater(count, 0), v.dtype)  # one example per word
            score = ops.sum(inputs_ * c, axis=-1)
        examples = ops.sum(weight)
        if self.objective == "negative":
            draws = ops.cast(ops.shape(negatives)[-1], v.dtype)
            if len(negatives.shape) == 2:  # shared by the chunk: (chunks, K, dim), one product
                # not clipped: each row brings the gradient of a whole chunk, and clipping it
                # like one word's occurrence starves them (EXPERIMENTS.md: what sharing the
                # negatives changed)
                n = ops.take(self.context, negatives, axis=0)
                scores = ops.einsum("ctd,ckd->ctk", inputs_, n)
            else:  # per token: (chunks, T, draws, dim)
                n = self.clipped(ops.take(self.context, negatives, axis=0))
                scores = ops.sum(ops.expand_dims(inputs_, 2) * n, axis=-1)
            share = weight * (self.negative / draws)
            loss = ops.sum(share * ops.sum(ops.softplus(scores), axis=-1))
            if score is None:
                loss = loss + sum(
                    ops.sum(m * ops.softplus(-s)) for s, m in self.pair_scores(v, c, masks)
                )
            else:
                loss = loss + ops.sum(weight * ops.softplus(-score))
        else:  # -log softmax = logsumexp over the vocabulary - the true word's score
            logits = ops.einsum("ctd,vd->ctv", inputs_, self.context)
            loss = ops.sum(weight * ops.logsumexp(logits, axis=-1))
            if score is None:
                loss = loss - sum(ops.sum(m * s) for s, m in self.pair_scores(v, c, masks))
            else:
                loss = loss - ops.sum(weight * score)
        loss = loss / ops.maximum(examples, 1.0)  # per pair (skip-gram) or word (CBOW)
        self.add_loss(loss)  # the model's training loss: fit needs no targets
        return loss

    def clipped(self, rows):
        """The gathered rows unchanged; on the way back, each coordinate of each row's gradient
        (one occurrence of a word: all its pairs at that place) clipped to +-clip, before the
        occurrences of a word are summed. Done here, the same on every backend: an optimizer's
        clipvalue sees the rows as slices on TensorFlow and as their sum on JAX."""
        if not self.clip:
            return rows
        limit = self.clip

        @ops.custom_gradient
        def identity(x):
            def grad(*args, upstream=None):
                upstream = args[0] if upstream is None else upstream
                return ops.clip(upstream, -limit, limit)

            return ops.copy(x), grad

        return identity(rows)

    def pair_scores(self, v, c, masks):
        """For each offset d: the scores v_i . c_(i+d) (zero where i + d is outside the chunk)
        and the float mask, both of the chunk's full length."""
        w, t = self.window, ops.shape(v)[1]
        padded = ops.pad(c, [[0, 0], [w, w], [0, 0]])  # one copy; every shift is a slice of it
        for d, mask in masks:
            yield ops.sum(v * padded[:, w + d : w + d + t], axis=-1), self.full_length(mask, d)

    def full_length(self, mask, d):
        m = ops.cast(mask, self.compute_dtype)
        return ops.pad(m, [[0, 0], [0, d]]) if d > 0 else ops.pad(m, [[0, 0], [-d, 0]])

    def pair_counts(self, masks):
        """How many pairs each token is the word of (its neighbours within its radius)."""
        return sum(self.full_length(mask, d) for d, mask in masks)

    def mean_of_neighbours(self, v, masks):
        """Each token's mean neighbour vector (zero where it has none) and its neighbour count.
        On the way back each neighbour gets the whole error of the mean, not a 1/count share:
        word2vec and gensim (cbow_mean=1) update CBOW's inputs so, and with the share CBOW
        learned far less (EXPERIMENTS.md: what CBOW's update changed)."""
        weights = self.offset_weights(masks)  # (chunks, T, 2 window + 1)
        total = self.banded_sum(weights, v)
        count = ops.sum(weights, axis=-1)
        n = ops.stop_gradient(ops.maximum(count, 1.0)[..., None])
        # forward total / n, backward the error undivided; written so, XLA fuses it: the
        # shorter total + stop_gradient(total / n - total) took 25 ms a step against 14 on
        # TensorFlow, and on JAX this form is faster than the plain mean
        whole = total * n + ops.stop_gradient(total - total * n)
        return whole / n, count

    def offset_weights(self, masks):
        """The masks side by side: [c, i, d + window] is 1 where token i + d is a neighbour of
        token i (0 for d = 0, the token itself)."""
        columns = {d: self.full_length(mask, d) for d, mask in masks}
        columns[0] = ops.zeros_like(columns[1])
        return ops.stack([columns[d] for d in range(-self.window, self.window + 1)], axis=-1)

    def banded_sum(self, weights, x):
        """sum over d of weights[c, i, d + window] * x[c, i + d]: each token's weighted sum of
        the rows near it, as one matrix product per block of BLOCK tokens against the rows the
        block can reach (BLOCK + 2 window of them). Summing ten shifted copies of the chunk
        instead took 13.4 ms a CBOW step against 11.1 (TensorFlow, XLA; EXPERIMENTS.md: where
        CBOW's step goes)."""
        w, t, dim = self.window, ops.shape(x)[1], ops.shape(x)[2]
        block = max(BLOCK, 2 * w)
        blocks = -(-t // block)  # the chunk padded to whole blocks
        span = block + 2 * w
        place = np.zeros((block, 2 * w + 1, span), "float32")  # offset k of row i: column i + k
        for i in range(block):
            place[i, np.arange(2 * w + 1), i + np.arange(2 * w + 1)] = 1.0
        weights = ops.pad(weights, [[0, 0], [0, blocks * block - t], [0, 0]])
        weights = ops.reshape(weights, (-1, blocks, block, 2 * w + 1))
        band = ops.einsum("cbik,ikj->cbij", weights, ops.convert_to_tensor(place, x.dtype))
        padded = ops.pad(x, [[0, 0], [w, blocks * block - t + block], [0, 0]])  # row j: x[j - w]
        rows = ops.concatenate(  # block b's reach: padded rows b * block .. b * block + span
            [
                ops.reshape(padded[:, : blocks * block], (-1, blocks, block, dim)),
                ops.reshape(padded[:, block : (blocks + 1) * block], (-1, blocks, block, dim))[
                    :, :, : 2 * w
                ],
            ],
            axis=2,
        )
        total = ops.reshape(ops.matmul(band, rows), (-1, blocks * block, dim))
        return total[:, :t]

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "dim": self.dim,
            "window": self.window,
            "algorithm": self.algorithm,
            "objective": self.objective,
            "negative": self.negative,
            "clip": self.clip,
        }


def build_model(vocab_size, config, clip: float = 0.0) -> keras.Model:
    """Functional model: a batch of chunks in, the mean loss per pair out. `clip`: the largest
    gradient coordinate per word occurrence (0: none; train.py sets it from --clip)."""
    c = config
    inputs = {
        "tokens": keras.Input((c.chunk_tokens,), dtype="int32", name="tokens"),
        "sentence": keras.Input((c.chunk_tokens,), dtype="int32", name="sentence"),
        "radius": keras.Input((c.chunk_tokens,), dtype="int32", name="radius"),
        "negatives": keras.Input(c.negatives_shape(), dtype="int32", name="negatives"),
    }
    loss = Word2Vec(
        vocab_size,
        c.vector_size,
        c.window,
        c.algorithm,
        c.objective,
        c.negative,
        clip,
        name="word2vec",
    )(inputs)
    return keras.Model(inputs, loss, name="word2vec_" + c.algorithm)


def vector_model(trained: keras.Model) -> keras.Model:
    """What export/ serves: word ids in, their vectors out (vocabulary.txt spells the ids)."""
    table = trained.get_layer("word2vec")
    vocab_size, dim = table.vocab_size, table.dim
    ids = keras.Input((), dtype="int32", name="word_ids")
    lookup = layers.Embedding(vocab_size, dim, name="vectors", trainable=False)
    out = lookup(ids)
    lookup.set_weights([keras.ops.convert_to_numpy(table.vectors)])
    return keras.Model(ids, out, name="word_vectors")
