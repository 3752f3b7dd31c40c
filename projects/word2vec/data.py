"""Words in, training batches out: the corpus, the vocabulary, subsampling, windows, negatives.

The corpus is a list of sentences of word ids (here: each file's tokens, cut into pieces of at
most MAX_SENTENCE tokens, as gensim cuts them). Every epoch:

  1. subsample: each occurrence of word w is dropped with probability 1 - keep(w), so that very
     frequent words ("the", "of") stop dominating the pairs (Mikolov et al. 2013, gensim's formula)
  2. draw each kept token's window radius b uniformly from 1..window (word2vec's "reduced window":
     near words count more often than far ones)
  3. cut the kept tokens, in text order, into chunks of chunk_tokens and order the chunks: by
     default the corpus is cut into 16 stretches, walked in file order, the chunks shuffled
     within each (--order: stretches, random, corpus; EXPERIMENTS.md: the order of the chunks)

A chunk is one training example. The model finds every (center, context) pair inside it by
shifting the chunk against itself (model.py), so each token's vectors are gathered once per
chunk, not once per pair. `pairs()` lists the same pairs explicitly; the tests compare the two.
Negative words are drawn per chunk from the unigram distribution raised to 3/4.
"""

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from common import corpora
from common.errors import UserError

TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")  # lowercase words, with an inner apostrophe (don't)
MAX_SENTENCE = 10_000  # gensim's limit on a sentence; longer files are cut into such pieces
NEGATIVE_POWER = 0.75  # word2vec's unigram^(3/4): rare words drawn a little more often
PAD = -1  # sentence id of padding at the end of the last chunk


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def load_texts(corpus: str) -> list[tuple[str, str]]:
    """The user's file or folder, or the four registry corpora (about 5.8M words)."""
    if corpus:
        return corpora.read_texts(corpus, flag="--corpus")
    texts = []
    for source in (corpora.shakespeare, corpora.gutenberg, corpora.sotu, corpora.brown):
        texts += source()
    return texts


def sentences(texts: list[tuple[str, str]], max_words: int = 0) -> list[list[str]]:
    """Each text's tokens, cut into pieces of at most MAX_SENTENCE; only the first max_words
    words where max_words > 0."""
    out, total = [], 0
    for _, text in texts:
        tokens = tokenize(text)
        if max_words:
            tokens = tokens[: max_words - total]
        out += [tokens[i : i + MAX_SENTENCE] for i in range(0, len(tokens), MAX_SENTENCE)]
        total += len(tokens)
        if max_words and total >= max_words:
            break
    if total == 0:
        raise UserError("the corpus holds no words (lowercase letters a-z); give English text")
    return out


@dataclass
class Vocabulary:
    words: list[str]  # most frequent first
    counts: np.ndarray  # int64, occurrences in the corpus

    @classmethod
    def build(cls, sents: list[list[str]], min_count: int, max_size: int = 0) -> "Vocabulary":
        counter = Counter(w for s in sents for w in s)
        kept = sorted(
            ((c, w) for w, c in counter.items() if c >= min_count), key=lambda t: (-t[0], t[1])
        )
        if max_size:
            kept = kept[:max_size]
        if len(kept) < 2:
            raise UserError(
                f"only {len(kept)} words occur at least {min_count} times; give a larger corpus "
                "or a smaller --min_count"
            )
        return cls([w for _, w in kept], np.array([c for c, _ in kept], dtype=np.int64))

    def __len__(self) -> int:
        return len(self.words)

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def encode(sents: list[list[str]], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """(ids, sentence of each id), int32, words outside the vocabulary left out (as gensim does)."""
    index = vocab.index()
    ids, sids = [], []
    for k, s in enumerate(sents):
        row = [index[w] for w in s if w in index]
        ids.append(np.array(row, dtype=np.int32))
        sids.append(np.full(len(row), k, dtype=np.int32))
    return np.concatenate(ids), np.concatenate(sids)


def load(config) -> tuple[list[list[str]], Vocabulary, np.ndarray, np.ndarray]:
    """The corpus as config names it: its sentences, their vocabulary, and the encoded corpus
    (word ids, sentence ids)."""
    sents = sentences(load_texts(config.corpus), config.corpus_words)
    vocab = Vocabulary.build(sents, config.min_count, config.max_vocab)
    ids, sids = encode(sents, vocab)
    return sents, vocab, ids, sids


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: keep(w) = (sqrt(c / t) + 1) * t / c with t = sample * total,
    capped at 1; sample = 0 keeps everything."""
    if sample <= 0:
        return np.ones(len(counts))
    t = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts)


def negative_distribution(counts: np.ndarray) -> np.ndarray:
    p = counts.astype(np.float64) ** NEGATIVE_POWER
    return p / p.sum()


def draw_negatives(cdf: np.ndarray, shape, rng: np.random.Generator) -> np.ndarray:
    """Word ids drawn from the distribution whose cumulative sum is cdf."""
    return np.minimum(np.searchsorted(cdf, rng.random(shape), side="right"), len(cdf) - 1).astype(
        np.int32
    )


def pairs(ids: np.ndarray, sids: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Every (center, context) skip-gram pair, shape (n, 2): context within the center's radius,
    in the same sentence; in text order, nearest context first on each side."""
    out = []
    for i in range(len(ids)):
        for d in [-r for r in range(1, radius[i] + 1)] + list(range(1, radius[i] + 1)):
            j = i + d
            if 0 <= j < len(ids) and sids[j] == sids[i]:
                out.append((ids[i], ids[j]))
    return np.array(out, dtype=np.int32).reshape(-1, 2)


def epoch_tokens(ids, sids, keep, window: int, rng: np.random.Generator):
    """One epoch's kept tokens, their sentence ids and window radii."""
    kept = rng.random(len(ids)) < keep[ids]
    ids, sids = ids[kept], sids[kept]
    radius = rng.integers(1, window + 1, size=len(ids), dtype=np.int32)
    return ids, sids, radius


def fit_to(array: np.ndarray, size: int, fill: int) -> np.ndarray:
    """array cut off, or padded with `fill`, to exactly `size` entries."""
    out = np.full(size, fill, dtype=np.int32)
    out[: min(size, len(array))] = array[:size]
    return out


def count_pairs(sids: np.ndarray, radius: np.ndarray, window: int) -> int:
    """How many (center, context) pairs a token sequence holds (what pairs() would list)."""
    total = 0
    for d in range(1, window + 1):
        same = (sids[:-d] == sids[d:]) & (sids[d:] != PAD)
        total += int((same & (radius[:-d] >= d)).sum() + (same & (radius[d:] >= d)).sum())
    return total


class Batches:
    """The run's training batches. A batch is config.batch_chunks() chunks, in the order that
    --order gives: stretches (the default) walks the corpus's config.stretches stretches in file
    order, as gensim reads it, the chunks of each in a random order; random draws every chunk from
    anywhere in the corpus; corpus walks the text in file order: x = {tokens, sentence, radius,
    negatives}, each (chunks, chunk_tokens), the negatives (chunks, K) with K shared by a chunk,
    or (chunks, chunk_tokens, negative_draws) where shared_negatives is 0 (config.negatives_shape);
    no targets (the loss is the model's own). `batches[i]` is step i of the current epoch;
    `next_epoch()` draws the next; `arrays(epochs)` gives whole epochs at once, which is what
    `fit` trains on, through common.runtime.batches_in_order (arrays on JAX, a tf.data pipeline
    of whole batches with autotuning off on TensorFlow); from a Python dataset a step took half
    as long again (EXPERIMENTS.md: Backends)."""

    def __init__(self, ids, sids, vocab: Vocabulary, config, seed: int):
        self.ids, self.sids, self.config = ids, sids, config
        self.keep = keep_probabilities(vocab.counts, config.sample)
        self.cdf = np.cumsum(negative_distribution(vocab.counts))
        self.rng = np.random.default_rng(seed)
        expected = float(self.keep[ids].sum())  # tokens an epoch keeps, on average
        self.tokens_per_step = config.chunk_tokens * config.batch_chunks()
        steps = max(1, round(expected / self.tokens_per_step))
        per_call = config.steps_per_call  # whole calls an epoch, where it has that many steps
        self.steps = round(steps / per_call) * per_call if steps >= per_call else steps
        self.next_epoch()
        self.examples_per_step = self.examples / self.steps  # the learning rate's scale (train.py)

    def next_epoch(self):
        c = self.config
        ids, sids, radius = epoch_tokens(self.ids, self.sids, self.keep, c.window, self.rng)
        # A fixed number of steps per epoch (what the schedule counts on): the kept tokens are
        # cut off or padded by the small random difference from the expected number.
        total = self.steps * self.tokens_per_step
        ids, sids, radius = (
            fit_to(ids, total, 0),
            fit_to(sids, total, PAD),
            fit_to(radius, total, 0),
        )
        if c.algorithm == "skipgram":  # the loss is a mean over these examples (model.py)
            self.examples = count_pairs(sids, radius, c.window)
        else:  # CBOW: one example per word (nearly every word has a neighbour)
            self.examples = int((sids != PAD).sum())
        rows = np.arange(total // c.chunk_tokens)
        if c.order == "random":
            rows = self.rng.permutation(rows)
        elif c.order == "stretches":
            parts = np.array_split(rows, min(c.stretches, len(rows)))
            rows = np.concatenate([self.rng.permutation(part) for part in parts])
        self.x = {
            k: a.reshape(-1, c.chunk_tokens)[rows]
            for k, a in (("tokens", ids), ("sentence", sids), ("radius", radius))
        }
        self.epoch_seed = int(self.rng.integers(2**31))

    def __len__(self):
        return self.steps

    def __getitem__(self, i):
        c = self.config
        n = c.batch_chunks()
        x = {k: v[i * n : (i + 1) * n] for k, v in self.x.items()}
        rng = np.random.default_rng([self.epoch_seed, i])  # the same draws whatever the order
        x["negatives"] = draw_negatives(self.cdf, (n, *c.negatives_shape()), rng)
        return x

    def arrays(self, epochs: int) -> dict[str, np.ndarray]:
        """`epochs` epochs of batches, the current one first, end to end: step s of the run is
        rows s * batch_chunks() onwards (`fit` with that batch_size, no shuffle)."""
        parts = []
        for epoch in range(epochs):
            if epoch:
                self.next_epoch()
            draws = [self[i]["negatives"] for i in range(self.steps)]
            parts.append({**self.x, "negatives": np.concatenate(draws)})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
