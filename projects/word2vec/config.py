"""Hyperparameters of word2vec; each comment gives its reason."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, NON_NEGATIVE, SEED, Range


@dataclass
class Config:
    corpus: str = ""  # a UTF-8 file or folder of .txt files; empty: the four registry corpora
    corpus_words: int = 0  # use only the first N words of the corpus (0: all); for quick runs
    algorithm: Literal["skipgram", "cbow"] = "skipgram"  # word->neighbours or neighbours->word
    objective: Literal["negative", "softmax"] = "negative"  # softmax: small vocabularies only
    vector_size: int = 100  # dimensions of a word vector
    window: int = 5  # neighbours on each side (each word draws its radius from 1..window)
    min_count: int = 5  # rarer words are left out: too few examples to place them
    max_vocab: int = 0  # keep only the N most frequent words (0: all that pass min_count)
    sample: float = 1e-3  # subsampling threshold for frequent words (0: keep every word)
    negative: int = 5  # negative words per pair, word2vec's default
    shared_negatives: int = -1  # negative words per chunk, shared by its tokens (0: per token;
    # below 0: by algorithm, negatives_shape())
    negative_draws: int = 5  # with shared_negatives=0: words drawn per token, for its pairs
    chunk_tokens: int = 128  # tokens per chunk: the unit whose pairs are found by shifting
    chunks_per_batch: int = 0  # chunks per step; 0: batch_chunks() picks by algorithm
    steps_per_call: int = 16  # steps per compiled call (fit's steps_per_execution): fewer trips
    # through Python, an epoch's steps rounded to a multiple of it (EXPERIMENTS.md: calls of 16)
    # the chunks' order each epoch: stretches, the corpus cut into stretches walked in file order
    # as gensim reads it, the chunks of each shuffled; random, all chunks shuffled; corpus, file
    # order (EXPERIMENTS.md: the order of the chunks)
    order: Literal["stretches", "random", "corpus"] = "stretches"
    stretches: int = 16  # with --order=stretches: stretches of the corpus, walked in file order
    learning_rate: float = 0.0  # per pair, word2vec's alpha, falling linearly to the final one;
    # 0: by algorithm, start_rate()
    final_learning_rate: float = 1e-4  # word2vec's min_alpha
    clip: float = -1.0  # largest step per coordinate (or row), in learning rates (0: none; below 0:
    # by step size, step_clip()); train.py
    clip_by: Literal["coordinate", "row"] = "coordinate"  # row: keeps a step's direction (clip 30)
    epochs: int = 5  # passes over the corpus
    max_minutes: float = 0.0  # stop training after this many minutes (0: no limit)
    seed: int = 0  # fixes initial vectors, subsampling, windows and negatives

    RANGES: ClassVar[dict[str, Range]] = {
        "corpus_words": NON_NEGATIVE,
        "vector_size": COUNT,
        "window": COUNT,
        "min_count": COUNT,
        "max_vocab": NON_NEGATIVE,
        "sample": FRACTION,
        "negative": COUNT,
        "shared_negatives": Range(-1),  # 0: negative_draws per token; below 0: by algorithm
        "negative_draws": COUNT,
        "chunk_tokens": Range(2),
        "chunks_per_batch": NON_NEGATIVE,  # 0: by algorithm (batch_chunks)
        "steps_per_call": COUNT,
        "stretches": COUNT,
        "learning_rate": NON_NEGATIVE,  # 0: by algorithm (start_rate)
        "final_learning_rate": NON_NEGATIVE,
        "clip": Range(-1),  # below 0: by step size
        "epochs": COUNT,
        "max_minutes": NON_NEGATIVE,
        "seed": SEED,
    }

    PRESETS: ClassVar[dict[str, dict]] = {
        # the context predicts the word (README: the cbow rows of the gensim table)
        "cbow": {"algorithm": "cbow"},
    }

    def quick(self) -> "Config":
        """A smoke test of about 20 s. Ten passes over the 200,000 words: after one, every
        word's nearest words had cosines of 0.99 or more (README: a quick run)."""
        return dataclasses.replace(
            self, corpus_words=200_000, max_vocab=2000, vector_size=32, epochs=10
        )

    def batch_chunks(self) -> int:
        """Chunks per step: --chunks_per_batch, or by algorithm where it is 0. Skip-gram takes
        one (about 750 pairs a step): smaller steps place words better, and skip-gram has the
        time (EXPERIMENTS.md: step size); CBOW takes 32 (about 4,000 words), where smaller steps
        were slower and no better."""
        if self.chunks_per_batch:
            return self.chunks_per_batch
        return 1 if self.algorithm == "skipgram" else 32

    def step_clip(self) -> float:
        """--clip, or by step size where it is below 0: 4 learning rates for steps of one chunk,
        1 for larger ones, whose summed gradients overshoot sooner (EXPERIMENTS.md: step size)."""
        if self.clip >= 0:
            return self.clip
        return 4.0 if self.batch_chunks() == 1 else 1.0

    def start_rate(self) -> float:
        """--learning_rate, or word2vec's own defaults where it is 0: 0.025 for skip-gram, 0.05
        for CBOW (word2vec.c's; gensim takes 0.025 for both, and its CBOW and this one both
        learned better at 0.05: EXPERIMENTS.md, CBOW's learning rate)."""
        if self.learning_rate:
            return self.learning_rate
        return 0.025 if self.algorithm == "skipgram" else 0.05

    def negatives_shape(self) -> tuple[int, ...]:
        """The negatives of one chunk: shared by the chunk, or drawn for each of its tokens.
        Shared, where --shared_negatives is below 0: 64 for skip-gram, 48 for CBOW; the
        analogies of both gained from more (EXPERIMENTS.md: CBOW's negatives, skip-gram's
        negatives)."""
        if self.shared_negatives < 0:
            return (64 if self.algorithm == "skipgram" else 48,)
        if self.shared_negatives:
            return (self.shared_negatives,)
        return (self.chunk_tokens, self.negative_draws)

    def validate(self) -> None:
        from common.errors import UserError

        if self.final_learning_rate > self.start_rate():
            raise UserError(
                f"--final_learning_rate={self.final_learning_rate} is above the learning rate "
                f"{self.start_rate()}; the schedule only decays"
            )
        if self.chunk_tokens <= self.window:
            raise UserError(
                f"--chunk_tokens={self.chunk_tokens} must exceed --window={self.window}: a chunk "
                "must hold a word and its neighbours"
            )
