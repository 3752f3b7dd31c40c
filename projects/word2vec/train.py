"""Learn word vectors with skip-gram or CBOW and measure them against human judgements.

    python -m projects.word2vec.train [--algorithm=cbow] [--corpus=my.txt] [--quick]

Writes runs/word2vec/<run-id>/ (see common/runs.py) with vectors.txt (the word2vec text format
gensim reads), vectors.tsv and metadata.tsv (for the TensorBoard embedding projector),
neighbours.txt (the nearest words of a few probe words), words.png (word groups in 2-D) and
learning.png. model.keras and export/ map word ids to vectors; predict.py answers from vectors.txt.

Training follows word2vec's own recipe: plain gradient steps at a learning rate per pair of 0.025
(skip-gram) or 0.05 (CBOW) that falls linearly to 0.0001 over the run. A step here adds up the
gradients of hundreds or thousands of pairs at once (word2vec takes them one by one; skip-gram's
750 or so placed words better than 3,000 or 25,000, EXPERIMENTS.md: step size); a frequent word then
collects dozens of them, so each coordinate of the step each occurrence of a word brings is clipped
at --clip (times the learning rate; in the model, Word2Vec.clipped, so that both backends clip the
same), which keeps the frequent words from overshooting and leaves the rest untouched.
--clip_by=row clips the length of each word's step instead (RowClippedSGD), which keeps its
direction (EXPERIMENTS.md: clipping each word's step).
"""

import math
import time
from pathlib import Path

import keras
import numpy as np

from common import runs, runtime
from common.config import parse_config
from common.errors import UserError, main_guard

from . import NAME, data, evaluate, figures
from .config import Config
from .model import build_model, vector_model

PROGRESS_SECONDS = 30  # a progress line this often
PROBES = ["king", "france", "three", "good", "ship", "love"]  # neighbours printed per epoch


class EpochReport(keras.callbacks.Callback):
    """After each epoch: WordSim-353 into the epoch's logs (history.csv has it) and the nearest
    words of a few probe words, so a user sees the vectors take shape."""

    def __init__(self, words: list[str], progress: runs.Progress):
        super().__init__()
        self.words, self.progress = words, progress
        self.index = {w: i for i, w in enumerate(words)}
        self.wordsim = evaluate.test_set("wordsim353")
        self.points: list[tuple[float, float, float]] = []  # (words, seconds, spearman)

    def on_epoch_end(self, epoch, logs=None):
        vectors = word_vectors(self.model)
        rho, _ = evaluate.similarity(vectors, self.index, self.wordsim)
        if logs is not None:
            logs["wordsim353"] = rho
        self.points.append((*self.progress.position(), rho))
        print(f"epoch {epoch + 1}: WordSim-353 Spearman {rho:.3f}")
        for word in [w for w in PROBES if w in self.index][:4]:
            near = evaluate.nearest(vectors, vectors[self.index[word]], 5, [self.index[word]])
            print(f"  {word}: " + ", ".join(self.words[i] for i, _ in near), flush=True)


class RowClippedSGD(keras.optimizers.Optimizer):
    """Plain gradient steps, each row of a table (one word's vector) shortened to at most
    `max_norm` before the learning rate scales it; rows not touched by a step stay as they are."""

    def __init__(self, learning_rate, max_norm: float, name="row_clipped_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.max_norm = max_norm

    def update_step(self, gradient, variable, learning_rate):
        ops = keras.ops
        lr = ops.cast(learning_rate, variable.dtype)
        # dense: TensorFlow hands a gathered table's gradient over as slices, one per occurrence
        g = ops.add(ops.zeros(variable.shape, variable.dtype), gradient)
        norm = ops.sqrt(ops.sum(ops.square(g), axis=-1, keepdims=True))
        g = g * ops.minimum(1.0, self.max_norm / ops.maximum(norm, 1e-30))
        self.assign_sub(variable, lr * g)

    def get_config(self):
        return {**super().get_config(), "max_norm": self.max_norm}


def coordinate_clip(config: Config, scale: float) -> float:
    """The model's per-occurrence gradient clip (0: none); the loss is a mean over `scale`
    examples, so --clip, in per-example learning rates, is divided by it."""
    return config.step_clip() / scale if config.clip_by == "coordinate" else 0.0


def build_optimizer(config: Config, schedule, scale: float) -> keras.optimizers.Optimizer:
    """word2vec's SGD (the per-coordinate clip is the model's); --clip_by=row clips each word's
    summed step instead."""
    clip = config.step_clip()
    if config.clip_by == "row" and clip:
        return RowClippedSGD(schedule, clip / scale)
    return keras.optimizers.SGD(schedule)


def word_vectors(model: keras.Model) -> np.ndarray:
    return keras.ops.convert_to_numpy(model.get_layer("word2vec").vectors)


def train_and_evaluate(
    config: Config, workdir: Path, verbose: int = 2, extra_callbacks=(), parts=None
) -> dict:
    """Train, score, save. `extra_callbacks` join `fit`; `parts`, a dict, receives the trained
    model, the vocabulary and the encoded corpus (ids, sentence ids) for a benchmark's checks."""
    report = runtime.setup(config.seed, forced_xla=True)  # see model.compile below
    on_jax_cpu = report["backend"] == "jax" and not runtime.gpus(report["devices"])
    if on_jax_cpu and config.algorithm == "skipgram" and config.batch_chunks() < 32:
        runtime.note(
            "on JAX on a CPU every step updates both whole tables, so small steps are slow: "
            "--chunks_per_batch=32 trains about 18 times as fast, and KERAS_BACKEND=tensorflow "
            "faster still (README: Backends)"
        )
    workdir = Path(workdir)
    begin = time.time()
    sentences, vocab, ids, sids = data.load(config)
    if len(ids) < 2 * config.window + 2:
        raise UserError(f"the corpus has {len(ids)} words in the vocabulary; give more text")
    batches = data.Batches(ids, sids, vocab, config, config.seed)
    print(
        f"corpus {sum(map(len, sentences)):,} words in {len(sentences):,} sentences; vocabulary "
        f"{len(vocab):,} words (min_count {config.min_count}); {config.epochs} epochs of "
        f"{batches.steps} steps (~{batches.examples_per_step:,.0f} examples each, "
        f"{config.batch_chunks()} chunks of {config.chunk_tokens} words, clip "
        f"{config.step_clip():g}); corpus read in {time.time() - begin:.0f} s"
    )
    (workdir / "vocabulary.txt").write_text("\n".join(vocab.words) + "\n")

    scale = batches.examples_per_step  # the loss is a mean over a step's examples
    model = build_model(len(vocab), config, coordinate_clip(config, scale))
    if parts is not None:
        parts.update(model=model, vocab=vocab, ids=ids, sids=sids)
    total_steps = batches.steps * config.epochs
    schedule = keras.optimizers.schedules.PolynomialDecay(
        config.start_rate() * scale, total_steps, config.final_learning_rate * scale
    )
    # XLA on every backend: on TensorFlow faster than without it here (README.md, Backends)
    # several steps a call: skip-gram's small steps took 1.8-2.5 ms in calls of 16 against 3.5
    # one by one (EXPERIMENTS.md: calls of 16 steps)
    per_call = math.gcd(batches.steps, config.steps_per_call)
    model.compile(
        optimizer=build_optimizer(config, schedule, scale),
        jit_compile=True,
        steps_per_execution=per_call,
    )
    # the loss is a mean per pair (skip-gram) or per word (CBOW)
    per = "per pair" if config.algorithm == "skipgram" else "per word"
    progress = runs.Progress(
        batches.steps,
        config.epochs,
        batches.tokens_per_step,
        config.max_minutes,
        "words",
        per,
        every=PROGRESS_SECONDS,
        workdir=workdir,
    )
    report = EpochReport(vocab.words, progress)
    # every epoch's batches drawn up front (a resumed run starts again from the first epoch's
    # draws, which come from the same distribution)
    x = batches.arrays(config.epochs)
    megabytes = sum(a.nbytes for a in x.values()) / 2**20
    print(f"{config.epochs} epochs of batches drawn: {megabytes:,.0f} MB")
    start = time.time()
    model.fit(
        **runtime.batches_in_order(x, config.batch_chunks()),
        steps_per_epoch=batches.steps,
        epochs=config.epochs,
        verbose=0,
        callbacks=[
            progress,
            report,
            *extra_callbacks,
            *runs.standard_callbacks(workdir, monitor="loss", tensorboard=False),
        ],
    )
    seconds = time.time() - start
    vectors = word_vectors(model)
    scores = evaluate.evaluate(vectors, vocab.words)
    history = runs.read_history(workdir)
    metrics = {
        **scores,
        "train_loss": float(history["loss"][-1]) if "loss" in history else float("nan"),
        "vocabulary_size": len(vocab),
        "corpus_words": int(sum(map(len, sentences))),
        "fit_seconds": seconds,  # wall time of `fit` in this process, its evaluations included
        "train_minutes": progress.seconds() / 60,  # training alone, a resume's earlier part too
        "words_per_second": progress.pace(),  # of training, as the progress lines
    }
    write_vectors(workdir, vocab.words, vectors)
    figures.words(vectors, vocab.words, workdir / "words.png")
    if progress.points:
        figures.learning_curve(progress.points, report.points, workdir / "learning.png")
    runs.finish(
        workdir, vector_model(model), metrics, np.arange(4, dtype="int32"), title="word2vec"
    )
    return metrics


def write_vectors(workdir: Path, words: list[str], vectors: np.ndarray) -> None:
    """vectors.txt in the word2vec text format (a header "count dim", then "word v1 v2 ...");
    vectors.tsv and metadata.tsv for projector.tensorflow.org; neighbours.txt."""
    rows = [f"{w} " + " ".join(f"{x:.6f}" for x in v) for w, v in zip(words, vectors, strict=True)]
    runs.atomic_write_text(
        workdir / "vectors.txt", f"{len(words)} {vectors.shape[1]}\n" + "\n".join(rows) + "\n"
    )
    tsv = ["\t".join(f"{x:.6f}" for x in v) for v in vectors]
    runs.atomic_write_text(workdir / "vectors.tsv", "\n".join(tsv) + "\n")
    runs.atomic_write_text(workdir / "metadata.tsv", "\n".join(words) + "\n")
    index = {w: i for i, w in enumerate(words)}
    lines = []
    for word in [w for w in PROBES if w in index]:
        near = evaluate.nearest(vectors, vectors[index[word]], 10, [index[word]])
        lines.append(f"{word}: " + ", ".join(f"{words[i]} {s:.2f}" for i, s in near))
    runs.atomic_write_text(workdir / "neighbours.txt", "\n".join(lines) + "\n")


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        m = train_and_evaluate(config, workdir)
    print(
        f"WordSim-353 {m['wordsim353_spearman']:.3f}, SimLex-999 {m['simlex999_spearman']:.3f}, "
        f"analogies {m['analogy_accuracy']:.1%} ({m['analogy_coverage']:.0%} of the questions "
        f"in the vocabulary); {m['words_per_second'] / 1000:.0f}k words/s; results in {workdir}"
    )


if __name__ == "__main__":
    main()
