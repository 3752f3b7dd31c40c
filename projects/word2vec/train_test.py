"""word2vec: pairs, subsampling, negatives, the shifted loss against explicit pairs, a quick run,
gensim interoperability, predict and the errors a user can meet."""

import dataclasses
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from common.errors import UserError
from common.testing import ROOT, on_other_backend, run_module

from . import NAME, data, evaluate, predict
from .config import Config
from .model import Word2Vec, build_model
from .train import RowClippedSGD, train_and_evaluate, write_vectors

COURSE = "Quantum physics is a fundamental theory in physics"


def test_window_one_gives_the_course_table_of_pairs():
    sents = [data.tokenize(COURSE)]
    vocab = data.Vocabulary.build(sents, min_count=1)
    ids, sids = data.encode(sents, vocab)
    found = [
        (vocab.words[a], vocab.words[b])
        for a, b in data.pairs(ids, sids, np.ones(len(ids), np.int32))
    ]
    assert found == [
        ("quantum", "physics"),
        ("physics", "quantum"), ("physics", "is"),
        ("is", "physics"), ("is", "a"),
        ("a", "is"), ("a", "fundamental"),
        ("fundamental", "a"), ("fundamental", "theory"),
        ("theory", "fundamental"), ("theory", "in"),
        ("in", "theory"), ("in", "physics"),
        ("physics", "in"),
    ]  # fmt: skip
    assert data.count_pairs(sids, np.ones(len(ids), np.int32), window=1) == len(found)


def test_pairs_stay_inside_sentences_and_radius():
    ids = np.arange(6, dtype=np.int32)
    sids = np.array([0, 0, 0, 1, 1, 1], np.int32)
    radius = np.array([2, 1, 2, 2, 1, 1], np.int32)
    got = {tuple(p) for p in data.pairs(ids, sids, radius)}
    assert got == {
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 2),
        (2, 1),
        (2, 0),
        (3, 4),
        (3, 5),
        (4, 3),
        (4, 5),
        (5, 4),
    }


def test_subsampling_keeps_frequent_words_less_often():
    counts = np.array([100_000, 1_000, 10], np.int64)
    keep = data.keep_probabilities(counts, sample=1e-3)
    t = 1e-3 * counts.sum()
    assert keep[0] == pytest.approx((np.sqrt(counts[0] / t) + 1) * t / counts[0])
    assert keep[0] < keep[1] and keep[2] == 1.0  # rare words are always kept
    ids = np.repeat(np.arange(3, dtype=np.int32), counts)
    kept, _, _ = data.epoch_tokens(ids, np.zeros_like(ids), keep, 5, np.random.default_rng(0))
    share = np.bincount(kept, minlength=3) / counts
    np.testing.assert_allclose(share[:2], keep[:2], atol=0.01)


def test_negatives_follow_the_unigram_distribution_to_the_three_quarters():
    counts = np.array([800, 100, 50, 25, 1], np.int64)
    cdf = np.cumsum(data.negative_distribution(counts))
    draws = data.draw_negatives(cdf, (200_000,), np.random.default_rng(0))
    expected = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(np.bincount(draws, minlength=5) / len(draws), expected, atol=0.005)


def small(**overrides) -> Config:
    settings = dict(vector_size=4, window=3, chunk_tokens=30, chunks_per_batch=1, negative_draws=4)
    return dataclasses.replace(Config(), **{**settings, **overrides})


def _random_chunk(config, vocab_size, rng):
    t = config.chunk_tokens
    sentence = np.array([0] * 12 + [1] * 15 + [data.PAD] * (t - 27), np.int32)
    return {
        "tokens": rng.integers(0, vocab_size, (1, t)).astype("int32"),
        "sentence": sentence[None],
        "radius": rng.integers(1, config.window + 1, (1, t)).astype("int32"),
        "negatives": rng.integers(0, vocab_size, (1, *config.negatives_shape())).astype("int32"),
    }


def _softplus(z):
    return np.logaddexp(0.0, z)


@pytest.mark.parametrize("algorithm", ["skipgram", "cbow"])
@pytest.mark.parametrize("objective", ["negative", "softmax"])
@pytest.mark.parametrize("shared", [6, 0])
def test_shifted_loss_equals_the_loss_over_explicit_pairs(algorithm, objective, shared):
    """The model finds pairs by shifting; the same loss from pairs() listed one by one, with
    negatives shared by the chunk (6 of them) or drawn per token (4)."""
    config = small(algorithm=algorithm, objective=objective, shared_negatives=shared)
    rng = np.random.default_rng(0)
    vocab_size = 20
    model = build_model(vocab_size, config)
    layer = model.get_layer("word2vec")
    v = rng.normal(size=(vocab_size, 4)).astype("float32")
    c = rng.normal(size=(vocab_size, 4)).astype("float32")
    layer.vectors.assign(v)
    layer.context.assign(c)
    x = _random_chunk(config, vocab_size, rng)
    got = float(np.asarray(keras.ops.convert_to_numpy(model(x))).reshape(-1)[0])

    valid = x["sentence"][0] >= 0
    tok, radius = x["tokens"][0][valid], x["radius"][0][valid]
    if shared:  # every token of the chunk meets the same negatives
        negs = np.repeat(x["negatives"][0][None], len(tok), axis=0)
    else:
        negs = x["negatives"][0][valid]
    pos = np.arange(len(tok), dtype=np.int32)  # pairs of positions, to find each one's negatives
    pairs = data.pairs(pos, x["sentence"][0][valid], radius)
    scale = config.negative / negs.shape[1]
    total = 0.0
    if algorithm == "skipgram":
        for i, j in pairs:
            w, ctx = tok[i], tok[j]
            if objective == "negative":
                total += _softplus(-v[w] @ c[ctx]) + scale * sum(
                    _softplus(v[w] @ c[n]) for n in negs[i]
                )
            else:
                logits = v[w] @ c.T
                total += np.logaddexp.reduce(logits) - logits[ctx]
        expected = total / len(pairs)
    else:
        centers = sorted({i for i, _ in pairs})
        for i in centers:
            h = np.mean([v[tok[j]] for a, j in pairs if a == i], axis=0)
            if objective == "negative":  # word2vec's CBOW: `negative` negatives per word
                total += _softplus(-h @ c[tok[i]]) + scale * sum(
                    _softplus(h @ c[n]) for n in negs[i]
                )
            else:
                logits = h @ c.T
                total += np.logaddexp.reduce(logits) - logits[tok[i]]
        expected = total / len(centers)
    assert got == pytest.approx(expected, rel=1e-4)


def test_batches_have_fixed_steps_and_hold_the_epoch_tokens():
    sents = [[f"w{i % 7}" for i in range(k, k + 40)] for k in range(30)]
    vocab = data.Vocabulary.build(sents, 1)
    ids, sids = data.encode(sents, vocab)
    config = small(chunk_tokens=50, chunks_per_batch=2, sample=0, order="random")
    batches = data.Batches(ids, sids, vocab, config, seed=0)
    assert len(batches) == round(len(ids) / 100)
    in_calls = data.Batches(ids, sids, vocab, dataclasses.replace(config, steps_per_call=5), 0)
    assert len(in_calls) == 10  # 12 steps, rounded to whole calls of 5 (fit runs 5 a call)
    x = batches[0]
    assert x["tokens"].shape == (2, 50) and x["negatives"].shape == (2, 64)  # shared per chunk
    per_token = data.Batches(ids, sids, vocab, small(shared_negatives=0), seed=0)
    assert per_token[0]["negatives"].shape == (1, 30, 4)
    steps = [batches[i] for i in range(len(batches))]
    first = np.concatenate([x["tokens"] for x in steps]).ravel()
    run = batches.arrays(2)  # this epoch and the next, end to end, as fit trains on them
    for key in steps[0]:
        np.testing.assert_array_equal(run[key][: 2 * len(steps)], np.concatenate(
            [x[key] for x in steps]))  # fmt: skip
    again = np.concatenate([batches[i]["tokens"] for i in range(len(batches))]).ravel()
    np.testing.assert_array_equal(run["tokens"][2 * len(steps) :].ravel(), again)
    assert sorted(first) == sorted(again) == sorted(ids[: len(first)])  # sample=0: all kept
    assert not np.array_equal(first, again)  # chunks come in a new order each epoch
    walk = data.Batches(ids, sids, vocab, dataclasses.replace(config, order="corpus"), seed=0)
    text = np.concatenate([walk[i]["tokens"] for i in range(len(walk))]).ravel()
    np.testing.assert_array_equal(text, ids[: len(text)])  # --order=corpus: the text in order
    # by default the step size follows the algorithm: one chunk for skip-gram, 32 for CBOW
    for algorithm, chunks in (("skipgram", 1), ("cbow", 32)):
        config = small(chunk_tokens=10, chunks_per_batch=0, algorithm=algorithm)
        x = data.Batches(ids, sids, vocab, config, seed=0)[0]
        assert x["tokens"].shape == (chunks, 10)
        assert x["negatives"].shape == (chunks, 64 if chunks == 1 else 48)  # shared by a chunk
        assert dataclasses.replace(config, clip=-1).step_clip() == (4.0 if chunks == 1 else 1.0)
        assert dataclasses.replace(config, clip=0).step_clip() == 0.0  # no clip


def test_stretches_walk_the_corpus_in_order_and_shuffle_within_each():
    sents = [[f"w{k}_{i}" for i in range(40)] for k in range(30)]  # every token its own word
    vocab = data.Vocabulary.build(sents, 1)
    ids, sids = data.encode(sents, vocab)
    config = small(chunk_tokens=50, chunks_per_batch=2, sample=0, order="stretches", stretches=3)
    batches = data.Batches(ids, sids, vocab, config, seed=0)
    got = np.concatenate([batches[i]["tokens"] for i in range(len(batches))])
    text = ids[: got.size].reshape(got.shape)  # the corpus's chunks in file order
    where = {tuple(row): j for j, row in enumerate(text)}
    order = [where[tuple(row)] for row in got]  # the place in the text of each chunk trained on
    assert len(order) == 24 and sorted(order) == list(range(24))  # every chunk once
    for k, stretch in enumerate(np.array_split(order, 3)):  # stretch k holds chunks 8k .. 8k + 7
        assert sorted(stretch) == list(range(8 * k, 8 * k + 8)), order
    assert order != sorted(order)  # shuffled within the stretches
    batches.next_epoch()
    again = [where[tuple(row)] for row in batches.x["tokens"]]
    assert again != order and sorted(again[:8]) == list(range(8))  # a new order each epoch


def write_corpus(path, sentences=3000, seed=0):
    """Words in four groups; a sentence uses one group only: words of a group share contexts."""
    rng = np.random.default_rng(seed)
    groups = [[f"{g}{i}" for i in "abcdefgh"] for g in ("sun", "tree", "fish", "rock")]
    lines = [" ".join(rng.choice(groups[rng.integers(4)], 12)) for _ in range(sentences)]
    path.write_text(".\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("w2v")
    corpus = write_corpus(folder / "corpus.txt")
    workdir = folder / "run"
    workdir.mkdir()
    config = dataclasses.replace(
        Config(),
        corpus=str(corpus),
        vector_size=16,
        epochs=3,
        min_count=1,
        sample=0,
        chunk_tokens=256,
        chunks_per_batch=4,
    )
    return workdir, train_and_evaluate(config, workdir, verbose=0)


def test_words_that_share_contexts_end_up_closer(quick_run):
    workdir, metrics = quick_run
    words, vectors = predict.load_vectors(workdir / "vectors.txt")
    n = evaluate.unit(vectors)
    group = np.array([w[:-1] for w in words])
    sims = n @ n.T
    same = sims[(group[:, None] == group[None]) & ~np.eye(len(words), dtype=bool)].mean()
    other = sims[group[:, None] != group[None]].mean()
    assert same > other + 0.3, (same, other)
    assert np.isfinite(metrics["train_loss"]) and metrics["vocabulary_size"] == 32
    for name in ("vectors.tsv", "metadata.tsv", "neighbours.txt", "learning.png", "model.keras"):
        assert (workdir / name).exists(), name
    assert "wordsim353" in (workdir / "history.csv").read_text().splitlines()[0]


def step_of_a_word_met_three_times() -> list[list[float]]:
    """One plain SGD step (rate 1) on a table whose row 1 is gathered three times and row 2 once,
    each occurrence's gradient -5 per coordinate, through the model's clip at 1."""
    clip = Word2Vec(4, 2, 1, clip=1.0)

    class Probe(keras.layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(4, 2), initializer="zeros")

        def call(self, ids):
            rows = clip.clipped(keras.ops.take(self.table, ids, axis=0))
            self.add_loss(-5.0 * keras.ops.sum(rows))
            return rows

    ids = keras.Input((4,), dtype="int32")
    model = keras.Model(ids, Probe()(ids))
    model.compile(optimizer=keras.optimizers.SGD(1.0))
    model.train_on_batch(np.array([[1, 1, 1, 2]], "int32"))
    return keras.ops.convert_to_numpy(model.weights[0]).tolist()


THREE_CLIPS = [[0.0, 0.0], [3.0, 3.0], [1.0, 1.0], [0.0, 0.0]]


def test_each_occurrence_is_clipped_then_summed():
    """Clipped per occurrence, then summed: a word met three times moves three clips."""
    assert step_of_a_word_met_three_times() == THREE_CLIPS


@pytest.mark.slow  # a second backend in a subprocess: make test-full
def test_each_occurrence_is_clipped_alike_on_the_other_backend():
    assert on_other_backend(__name__, "step_of_a_word_met_three_times") == THREE_CLIPS


def test_cbow_gives_each_neighbour_the_whole_error_of_the_mean():
    """word2vec's CBOW update: each neighbour's vector gets the whole gradient of the mean it
    joined, not a 1/count share of it; forward, the mean is the mean."""
    layer = Word2Vec(4, 2, 1, algorithm="cbow")
    error = np.array([[1, 2], [10, 20], [100, 200], [1000, 2000]], "float32")  # d loss / d mean
    start = np.arange(8, dtype="float32").reshape(4, 2)
    x = np.array([[0, 1, 2, 3]], "int32")  # neighbours (window 1): 1 | 0, 2 | 1, 3 | 2
    masks = layer.neighbours(np.zeros_like(x), np.ones_like(x))

    class Probe(keras.layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(4, 2), initializer="zeros")

        def call(self, ids):
            mean, _ = layer.mean_of_neighbours(keras.ops.take(self.table, ids, axis=0), masks)
            self.add_loss(keras.ops.sum(mean * error))
            return mean

    ids = keras.Input((4,), dtype="int32")
    model = keras.Model(ids, Probe()(ids))
    model.weights[0].assign(start)
    mean = keras.ops.convert_to_numpy(model(x))[0]
    np.testing.assert_allclose(mean, [start[1], (start[0] + start[2]) / 2,
                                      (start[1] + start[3]) / 2, start[2]])  # fmt: skip
    model.compile(optimizer=keras.optimizers.SGD(1.0))
    model.train_on_batch(x)
    step = start - keras.ops.convert_to_numpy(model.weights[0])  # = the gradient (rate 1)
    np.testing.assert_allclose(step, [error[1], error[0] + error[2], error[1] + error[3], error[2]])


def test_learning_rate_is_word2vecs_for_each_algorithm_unless_given():
    assert Config().start_rate() == 0.025  # skip-gram, as word2vec.c and gensim
    assert Config(algorithm="cbow").start_rate() == 0.05  # word2vec.c's CBOW
    assert Config(algorithm="cbow", learning_rate=0.01).start_rate() == 0.01
    Config(algorithm="cbow", final_learning_rate=0.03).validate()  # below 0.05: fine
    with pytest.raises(UserError, match="above the learning rate 0.025"):
        Config(final_learning_rate=0.03).validate()


def test_row_clipped_sgd_shortens_long_rows_and_keeps_their_direction():
    table = keras.Variable(np.ones((3, 3), "float32"))
    gradient = np.array([[30.0, 40.0, 0.0], [0.3, 0.4, 0.0], [0.0, 0.0, 0.0]], "float32")
    RowClippedSGD(0.1, max_norm=5.0).apply_gradients([(gradient, table)])
    step = 1.0 - keras.ops.convert_to_numpy(table)
    np.testing.assert_allclose(step[0], [0.3, 0.4, 0.0], atol=1e-6)  # 50 long: cut to 5, same way
    np.testing.assert_allclose(step[1], [0.03, 0.04, 0.0], atol=1e-6)  # short: plain SGD
    np.testing.assert_array_equal(step[2], 0.0)  # untouched


@pytest.mark.slow  # make test stays under 10 minutes; make test-full runs it
def test_row_clipping_learns_the_groups_too(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt")
    config = dataclasses.replace(
        Config(), corpus=str(corpus), vector_size=16, epochs=3, min_count=1, sample=0,
        chunk_tokens=256, chunks_per_batch=4, clip_by="row", clip=10.0,
    )  # fmt: skip
    train_and_evaluate(config, tmp_path, verbose=0)
    words, vectors = predict.load_vectors(tmp_path / "vectors.txt")
    n = evaluate.unit(vectors)
    group = np.array([w[:-1] for w in words])
    sims = n @ n.T
    same = sims[(group[:, None] == group[None]) & ~np.eye(len(words), dtype=bool)].mean()
    assert same > sims[group[:, None] != group[None]].mean() + 0.3


def test_vectors_file_round_trips_through_gensim(tmp_path):
    from gensim.models import KeyedVectors

    words = ["king", "queen", "don't", "ship"]
    vectors = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    write_vectors(tmp_path, words, vectors)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.txt"))
    assert kv.index_to_key == words
    np.testing.assert_allclose(kv.vectors, vectors, atol=1e-5)
    again_words, again = predict.load_vectors(tmp_path / "vectors.txt")
    assert again_words == words
    np.testing.assert_allclose(again, vectors, atol=1e-5)
    assert (tmp_path / "metadata.tsv").read_text().split() == words


def test_scores_agree_with_gensim():
    from gensim.models import KeyedVectors

    analogies = evaluate.test_set("analogies")
    words = sorted({w for _, q in evaluate.read_analogies(analogies) for w in q})[:400]
    words += ["tiger", "cat", "love", "sex", "old", "new", "smart", "intelligent"]
    vectors = np.random.default_rng(1).normal(size=(len(words), 8)).astype("float32")
    kv = KeyedVectors(8)
    kv.add_vectors(words, vectors)
    index = {w: i for i, w in enumerate(words)}
    for name in ("wordsim353", "simlex999"):
        ours, _ = evaluate.similarity(vectors, index, evaluate.test_set(name))
        theirs = kv.evaluate_word_pairs(str(evaluate.test_set(name)))[1][0]
        assert ours == pytest.approx(theirs, abs=1e-6)
    ours, covered = evaluate.analogy(vectors, index, analogies)
    assert ours == pytest.approx(kv.evaluate_word_analogies(str(analogies))[0])
    assert 0 < covered < 1


def _command(module, *args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_predict_neighbours_analogy_and_unknown_words(quick_run, capsys):
    workdir, _ = quick_run
    predict.main(["suna", "--run", str(workdir), "--top", "3"])
    out = capsys.readouterr().out
    assert out.startswith("suna: sun") and out.count("sun") >= 3  # its own group first
    predict.main(["--analogy", "suna", "sunb", "fisha", "--run", str(workdir), "--top", "2"])
    assert capsys.readouterr().out.startswith("suna : sunb = fisha : fish")
    done = _command(f"{__package__}.predict", "sunx", "--run", workdir)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert (
        "'sunx' is not in the vocabulary" in done.stderr
        and "spellings that are: sun" in done.stderr
    )
    for args in (["suna", "sunx"], ["suna", "--analogy", "suna", "sunb", "fishx"]):
        with pytest.raises(SystemExit) as exit_info:
            predict.main([*args, "--run", str(workdir)])
        printed = capsys.readouterr()
        assert exit_info.value.code == 2 and "x' is not in the vocabulary" in printed.err
        assert printed.out == ""  # no answer for the known word before the error


def test_bad_corpus_is_one_line_and_leaves_no_run(tmp_path):
    runs_dir = tmp_path / "runs"
    for corpus, message in ((tmp_path / "missing.txt", "does not exist"),):
        done = _command(f"{__package__}.train", f"--corpus={corpus}", f"--runs_dir={runs_dir}")
        assert done.returncode == 2 and message in done.stderr, done.stderr[-2000:]
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("1 2 3 4 5\n" * 100)
    with pytest.raises(UserError, match="holds no words"):
        data.sentences(data.load_texts(str(numbers)))
    assert not any((runs_dir / NAME).glob("2*"))


def test_quick_run_on_jax_without_tensorflow(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.txt", sentences=500)
    done = run_module(
        f"{__package__}.train",
        [f"--corpus={corpus}", f"--runs_dir={tmp_path}", "--min_count=1", "--epochs=1",
         "--vector_size=8", "--chunk_tokens=128", "--chunks_per_batch=2"],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / NAME / "latest"
    assert np.isfinite(json.loads((run / "metrics.json").read_text())["train_loss"])
    assert (run / "model.keras").exists() and not (run / "export").exists()
    assert "--chunks_per_batch=32 trains about 18 times as fast" in done.stderr  # small steps
