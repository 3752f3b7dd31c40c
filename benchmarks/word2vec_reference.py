"""word2vec against gensim, on the same corpus, tokenization and hyperparameters, in one run.

    python -m benchmarks.word2vec_reference [--algorithms skipgram,cbow] [--seeds 3]
        [--order stretches|random|corpus] [--corpus_words N]

Both learn 100-dimensional vectors with window 5, min_count 5, 5 negatives, subsampling 1e-3, 5
epochs and the learning rate of the template's config (0.025 for skip-gram, 0.05 for CBOW, as
word2vec.c; gensim takes 0.025 for both unless told) from the default corpus (the four registry
corpora, lowercased and tokenized by projects/word2vec/data.py), gensim with 2 worker threads (this
machine's cores), each with seeds 0, 1, 2 (a seed moves WordSim-353 and SimLex-999 by a few
hundredths). Both sets of vectors are scored by the same code (projects/word2vec/evaluate.py). The
wall time counts the training (gensim: building its vocabulary and training; the template: its fit,
with XLA compilation), not the reading of the corpus, which both share. Both sets of trained
vectors (word and context) are also put into the template's loss on the same batches: how well each
optimized the objective they share. Prints a table and writes it to benchmarks/results/word2vec.md.
"""

import argparse
import dataclasses
import os
import tempfile
import time
import typing
from pathlib import Path

import keras
import numpy as np

from benchmarks.run import write_headline
from common import runtime
from projects.word2vec import data, evaluate
from projects.word2vec.config import Config
from projects.word2vec.model import build_model
from projects.word2vec.train import train_and_evaluate

RESULTS = Path(__file__).parent / "results"
WORKERS = os.cpu_count() or 2
OBJECTIVE_BATCHES = 40  # batches, spread over one epoch, that the shared loss is averaged over
OBJECTIVE_SEED = 12345  # the same batches for both implementations


def objective(parts: dict, config: Config, *tables) -> list[float]:
    """The template's training loss (per pair for skip-gram, per word for CBOW) for each
    (word vectors, context vectors) pair given, rows in the template's vocabulary order, all on
    the same fixed batches (drawn once, as is the model that scores them)."""
    vocab = parts["vocab"]
    batches = data.Batches(parts["ids"], parts["sids"], vocab, config, OBJECTIVE_SEED)
    picks = np.linspace(0, len(batches) - 1, min(OBJECTIVE_BATCHES, len(batches))).astype(int)
    inputs = [batches[i] for i in picks]
    probe = build_model(len(vocab), config)
    layer = probe.get_layer("word2vec")
    losses = []
    for vectors, context in tables:
        layer.vectors.assign(vectors)
        layer.context.assign(context)
        losses.append(float(np.mean([keras.ops.convert_to_numpy(probe(x)) for x in inputs])))
    return losses


def aligned(keys: list[str], table: np.ndarray, words: list[str]) -> np.ndarray:
    """gensim's rows put in the template's vocabulary order (both keep the same words)."""
    index = {w: i for i, w in enumerate(keys)}
    missing = [w for w in words if w not in index]
    if missing:
        raise RuntimeError(f"gensim's vocabulary lacks {len(missing)} words, e.g. {missing[:3]}")
    return table[[index[w] for w in words]]


def run_gensim(sentences, config: Config) -> dict:
    from gensim.models import Word2Vec

    start = time.time()
    model = Word2Vec(
        sentences,
        sg=1 if config.algorithm == "skipgram" else 0,
        vector_size=config.vector_size,
        window=config.window,
        min_count=config.min_count,
        negative=config.negative,
        sample=config.sample,
        alpha=config.start_rate(),
        min_alpha=config.final_learning_rate,
        epochs=config.epochs,
        workers=WORKERS,
        seed=config.seed + 1,
    )
    seconds = time.time() - start
    words = list(model.wv.index_to_key)
    return {
        **evaluate.evaluate(model.wv.vectors, words),
        "train_seconds": seconds,
        "tables": (words, model.wv.vectors, model.syn1neg),
    }


SCORES = ("wordsim353_spearman", "simlex999_spearman", "analogy_accuracy", "train_seconds")


def summary(runs: list[dict]) -> dict:
    """The mean of each score over the seeds, and its (lowest, highest) under "range"."""
    out = {k: float(np.mean([r[k] for r in runs])) for k in SCORES}
    out["range"] = {k: (min(r[k] for r in runs), max(r[k] for r in runs)) for k in SCORES}
    out["analogy_coverage"] = runs[0]["analogy_coverage"]
    out["objective"] = runs[0]["objective"]
    return out


def cell(r: dict, key: str, form: str) -> str:
    low, high = r["range"][key]
    spread = f" ({low:{form}} to {high:{form}})" if high > low else ""
    return f"{r[key]:{form}}{spread}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--algorithms", default="skipgram,cbow")
    parser.add_argument("--corpus_words", type=int, default=0, help="(0: all; for a dry run)")
    parser.add_argument("--seeds", type=int, default=3, help="runs of each, seeds 0, 1, ...")
    parser.add_argument(
        "--order",
        default=Config.order,
        choices=typing.get_args(Config.__annotations__["order"]),
        help="the template's order of the chunks (gensim reads in file order)",
    )
    args = parser.parse_args()
    report = runtime.setup(0, verbose=False)
    base = dataclasses.replace(Config(), corpus_words=args.corpus_words, order=args.order)
    sentences = data.sentences(data.load_texts(base.corpus), base.corpus_words)
    words = sum(map(len, sentences))
    rows, algorithms = [], args.algorithms.split(",")
    for algorithm in algorithms:
        refs, ourss = [], []
        for seed in range(args.seeds):
            config = dataclasses.replace(base, algorithm=algorithm, seed=seed)
            print(f"gensim {algorithm}, seed {seed} ...", flush=True)
            ref = run_gensim(sentences, config)
            print(f"  { ({k: v for k, v in ref.items() if k != 'tables'}) }", flush=True)
            print(f"template {algorithm}, seed {seed} ...", flush=True)
            parts: dict = {}
            with tempfile.TemporaryDirectory() as folder:
                ours = train_and_evaluate(config, Path(folder), parts=parts)
            ours["train_seconds"] = ours["fit_seconds"]  # the scores after each epoch included
            layer = parts["model"].get_layer("word2vec")
            trained = [keras.ops.convert_to_numpy(t) for t in (layer.vectors, layer.context)]
            keys, vectors, context = ref.pop("tables")
            order = parts["vocab"].words
            gensims = (aligned(keys, vectors, order), aligned(keys, context, order))
            ours["objective"], ref["objective"] = objective(parts, config, trained, gensims)
            refs.append(ref)
            ourss.append(ours)
        rows.append((algorithm, summary(refs), summary(ourss)))

    lines = [
        f"{words:,} words (the four registry corpora), vector size 100, window 5, min_count 5, "
        f"5 negatives, sample 1e-3, 5 epochs, learning rate "
        + ", ".join(f"{Config(algorithm=a).start_rate():g} ({a})" for a in algorithms)
        + f" falling to {base.final_learning_rate:g}; gensim with {WORKERS} worker threads; Keras "
        f"{keras.__version__} on {report['backend']}, devices {', '.join(report['devices'])}. "
        f"Each figure is the mean of {args.seeds} runs (seeds 0 to {args.seeds - 1}), with "
        "the lowest and highest in brackets.",
        "",
        "| algorithm | implementation | WordSim-353 | SimLex-999 | analogies (coverage) "
        "| training seconds | time vs gensim | loss on the same batches |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for algorithm, ref, ours in rows:
        for label, r in (("gensim 4.4.0", ref), ("word2vec template", ours)):
            lines.append(
                f"| {algorithm} | {label} | {cell(r, 'wordsim353_spearman', '.3f')} "
                f"| {cell(r, 'simlex999_spearman', '.3f')} | {cell(r, 'analogy_accuracy', '.1%')} "
                f"({r['analogy_coverage']:.0%}) | {cell(r, 'train_seconds', '.0f')} "
                f"| {r['train_seconds'] / ref['train_seconds']:.2f}x | {r['objective']:.3f} |"
            )
    lines += [
        "",
        "Loss on the same batches: the template's training loss (per pair for skip-gram, per word "
        f"for CBOW) with each implementation's trained word and context vectors, averaged over "
        f"{OBJECTIVE_BATCHES} batches of one epoch drawn with a fixed seed (the seed-0 runs' "
        "vectors).",
    ]
    backend = "" if report["backend"] == "tensorflow" else f"KERAS_BACKEND={report['backend']} "
    lines += ["", f"Command: `{backend}python -m benchmarks.word2vec_reference "
              f"--algorithms {args.algorithms} --seeds {args.seeds} "
              f"--order {args.order}`"]  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.corpus_words:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "word2vec.md").write_text(text)
        algorithm, ref, ours = rows[0]
        write_headline(
            "word2vec",
            f"{algorithm}, mean of {args.seeds} seeds: WordSim-353 "
            f"{ours['wordsim353_spearman']:.3f}, SimLex-999 {ours['simlex999_spearman']:.3f}, "
            f"analogies {ours['analogy_accuracy']:.1%}; gensim on the same corpus, same run: "
            f"{ref['wordsim353_spearman']:.3f}, {ref['simlex999_spearman']:.3f}, "
            f"{ref['analogy_accuracy']:.1%}",
            f"{ours['train_seconds'] / 60:.1f} min of training (gensim: "
            f"{ref['train_seconds'] / 60:.1f})",
        )


if __name__ == "__main__":
    main()
