"""Text in, character codes out: the corpus, the held-out split, the vocabulary and the batches.

Characters travel as Unicode code points (int32), the model's raw input; the vocabulary lookup
is a layer inside the model (model.py), so an exported model needs nothing from this file.

Three ways to cut the training text into batches (config.batching):
  streams           truncated backpropagation through time: the text is split into batch_size
                    parallel streams, and batch i holds chunk i of every stream, so row j of
                    batch i+1 continues row j of batch i and the recurrent state is carried from
                    one batch to the next
  shuffled_streams  the same batches in a new random order each epoch, the state still carried
                    from the batch before: each chunk starts from the state another place in
                    the text left (the default: it learned faster here, README)
  windows           independent windows at random offsets, each starting from a zero state
"""

from dataclasses import dataclass

import keras
import numpy as np

from common import corpora
from common.errors import UserError

MIN_CHARS = 100  # shorter than this, a held-out part or a training text measures nothing


@dataclass
class Corpus:
    train: str
    val: str
    train_names: list[str]
    val_names: list[str]


def split(texts: list[tuple[str, str]], val_fraction: float) -> Corpus:
    """Hold out the end: the last whole files covering val_fraction of the characters, or, for a
    single file, its last val_fraction cut at the start of a line. Nothing held out is trained on.
    """
    total = sum(len(t) for _, t in texts)
    if total < 2 * MIN_CHARS:
        raise UserError(f"the text has {total} characters; a language model needs far more")
    if len(texts) > 1:
        held, size = 0, 0
        while size < val_fraction * total and held < len(texts) - 1:
            held += 1
            size += len(texts[-held][1])
        train, val = texts[:-held], texts[-held:]
        return Corpus(
            "".join(t for _, t in train),
            "".join(t for _, t in val),
            [n for n, _ in train],
            [n for n, _ in val],
        )
    name, text = texts[0]
    cut = int(len(text) * (1 - val_fraction))
    line = text.rfind("\n", 0, cut)
    cut = line + 1 if line > len(text) // 2 else cut
    return Corpus(text[:cut], text[cut:], [name], [f"{name} (from character {cut})"])


def load_corpus(config) -> Corpus:
    texts = corpora.read_texts(config.text) if config.text else corpora.shakespeare()
    corpus = split(texts, config.val_fraction)
    if config.train_chars:
        corpus.train = corpus.train[: config.train_chars]
    if config.val_chars:
        corpus.val = corpus.val[: config.val_chars]
    for part, text in (("training", corpus.train), ("held-out", corpus.val)):
        if len(text) < MIN_CHARS:
            raise UserError(
                f"the {part} text has {len(text)} characters (at least {MIN_CHARS} needed); "
                "give more text or change --val_fraction"
            )
    return corpus


def vocabulary(text: str) -> str:
    """The distinct characters of the training text, sorted (the model adds an unknown entry)."""
    return "".join(sorted(set(text)))


def encode(text: str) -> np.ndarray:
    """A string as int32 Unicode code points, the model's input."""
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype("int32")


def to_ids(codes: np.ndarray, vocabulary: str) -> np.ndarray:
    """Code points -> vocabulary ids as the model's lookup layer makes them (the loss's targets):
    1 + the place in the sorted vocabulary, 0 for a character not in it."""
    known = np.array([ord(c) for c in vocabulary], dtype="int32")
    place = np.minimum(np.searchsorted(known, codes), len(known) - 1)
    return np.where(known[place] == codes, place + 1, 0).astype("int32")


def decode(codes) -> str:
    return "".join(map(chr, np.asarray(codes).ravel()))


def stream_layout(n: int, batch_size: int, window: int, offset: int = 0) -> tuple[int, int]:
    """(characters per stream, chunks per stream) for n codes cut after `offset`."""
    per_stream = (n - offset - 1) // batch_size
    return per_stream, per_stream // window


def stream_batches(codes, batch_size: int, window: int, offset: int = 0, targets=None):
    """Inputs and targets for truncated BPTT, shaped (chunks, batch_size, window).

    Stream j is codes[offset + j*L : offset + (j+1)*L + 1]; batch i is chunk i of every stream,
    so the state at the end of row j of batch i is the right start for row j of batch i+1.
    The targets are the next characters, taken from `targets` (their ids) where given.
    """
    targets = codes if targets is None else targets
    per_stream, chunks = stream_layout(len(codes), batch_size, window, offset)
    if chunks < 1:
        raise UserError(
            f"{len(codes)} characters do not fill {batch_size} streams of one {window}-character "
            "chunk; use a smaller --batch_size or --window, or more text"
        )
    end = offset + batch_size * per_stream
    x = codes[offset:end].reshape(batch_size, per_stream)[:, : chunks * window]
    y = targets[offset + 1 : end + 1].reshape(batch_size, per_stream)[:, : chunks * window]
    shape = (batch_size, chunks, window)
    return (
        x.reshape(shape).transpose(1, 0, 2),
        y.reshape(shape).transpose(1, 0, 2),
    )


def random_windows(codes, window: int, rng: np.random.Generator, targets=None):
    """Every window+1 characters once, from a random offset, in random order: (n, window) each;
    the targets (the next characters) from `targets` where given."""
    targets = codes if targets is None else targets
    offset = int(rng.integers(window))
    n = (len(codes) - offset - 1) // window
    if n < 1:
        raise UserError(f"{len(codes)} characters do not fill one {window}-character window")
    idx = offset + np.arange(n)[:, None] * window + np.arange(window + 1)
    idx = idx[rng.permutation(n)]
    return codes[idx[:, :-1]], targets[idx[:, 1:]]


def carries_state(batching: str) -> bool:
    """Whether batches of this kind carry the recurrent state from one step to the next."""
    return batching in ("streams", "shuffled_streams")


class Batches(keras.utils.PyDataset):
    """The training batches of one epoch after another, for `fit` on any backend.

    Streams start at a new random offset every epoch (so chunk boundaries move); windows are
    drawn anew. The batches come in order for `streams` (a stream's next chunk must follow it)
    and in a new random order each epoch otherwise, chosen here rather than by `fit` (which
    takes `shuffle=False`), so that a run resumed within an epoch can skip the batches it
    trained on: `begin(epoch, skip)`.
    """

    def __init__(self, codes: np.ndarray, targets: np.ndarray, config, seed: int):
        super().__init__()
        self.codes, self.targets, self.config, self.seed = codes, targets, config, seed
        self.epoch, self.skip = 0, 0
        self.steps = steps_per_epoch(len(codes), config)  # the same in every epoch
        if self.steps < 1:
            raise UserError(
                f"{len(codes)} training characters do not fill one batch of {config.batch_size} "
                f"x {config.window}; use a smaller --batch_size or --window, or more text"
            )
        self._make()

    def _make(self) -> None:
        rng = np.random.default_rng([self.seed, self.epoch])
        c = self.config
        if carries_state(c.batching):
            offset = int(rng.integers(c.window))
            x, y = stream_batches(self.codes, c.batch_size, c.window, offset, self.targets)
            self.x, self.y = x[: self.steps], y[: self.steps]
        else:
            x, y = random_windows(self.codes, c.window, rng, self.targets)
            shape = (-1, c.batch_size, c.window)
            self.x = x[: self.steps * c.batch_size].reshape(shape)
            self.y = y[: self.steps * c.batch_size].reshape(shape)
        in_order = c.batching == "streams"
        self.order = np.arange(self.steps) if in_order else rng.permutation(self.steps)

    def __len__(self) -> int:
        return self.steps - self.skip

    def __getitem__(self, i):
        j = self.order[self.skip + i]
        return self.x[j], self.y[j]

    def begin(self, epoch: int, skip: int | None = None) -> None:
        """Set the epoch (and `skip`, the steps of it already trained) before `fit` begins it: a
        resumed run's first epoch is not 0, and draws what an uninterrupted run's would (not
        epoch 0's windows or offset again). Called as every epoch begins; an epoch other than
        the current one starts at its first batch unless `skip` says otherwise. `fit` reads
        the length once, as it starts: set a skip before calling it."""
        if epoch != self.epoch:
            self.epoch = epoch
            self._make()
            self.skip = 0
        if skip is not None:
            self.skip = skip


def steps_per_epoch(n_codes: int, config) -> int:
    """Batches in one pass over n_codes training characters, at the largest offset (so that
    every epoch has the same number, whatever its offset)."""
    c = config
    if carries_state(c.batching):
        return stream_layout(n_codes, c.batch_size, c.window, c.window - 1)[1]
    return ((n_codes - c.window) // c.window) // c.batch_size


def val_streams(codes: np.ndarray, targets: np.ndarray, config):
    """The held-out text as streams for evaluation with the state carried (x, y flattened to
    (chunks * batch_size, window), in the order a stateful evaluation must see them)."""
    x, y = stream_batches(codes, config.batch_size, config.window, targets=targets)
    flat = (-1, config.window)
    return x.reshape(flat), y.reshape(flat)
