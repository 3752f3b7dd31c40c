"""The benchmarks' own checks (benchmarks/ compares templates with reference configurations).

They live here, not in the templates' tests, so that a template copied out of the collection
(make new ... DEST=) carries no test of a benchmark it does not have.
"""

import pytest

# the template's fixture: scikit-learn's digits written as MNIST IDX files
from projects.mnist_cnn.train_test import idx_dir  # noqa: F401


@pytest.mark.slow  # make test stays under 10 minutes; make test-full runs it
def test_mnist_benchmark_compares_both_and_leaves_results_of_a_variant_alone(
    idx_dir,  # noqa: F811  (the fixture imported above)
    tmp_path,
    monkeypatch,
    capsys,
):
    from benchmarks import mnist_reference

    monkeypatch.chdir(tmp_path)
    results = tmp_path / "mnist.md"
    monkeypatch.setattr(mnist_reference, "RESULTS", results)
    flags = ["--quick", f"--data_dir={idx_dir}", "--val_size=200", "--stop_after=1"]
    mnist_reference.main(["--epochs_reference=1", *flags])
    out = capsys.readouterr().out
    assert "| keras-io simple convnet (reference) | 1 |" in out
    assert f"| mnist_cnn ({' '.join(flags[:3])}) | 1 |" in out  # stopped after 1 of 2 epochs
    assert "Time to 0.990:" in out and "is left as it was" in out
    assert not results.exists()
    assert (tmp_path / "runs/mnist_cnn/benchmark/model.keras").exists()


@pytest.mark.parametrize("algorithm", ["skipgram", "cbow"])
def test_word2vec_objective_is_the_template_loss_on_given_vectors(algorithm):
    """With all context vectors zero every score is 0, so the loss is (1 + negative) log 2 per
    pair (skip-gram) or per word (CBOW); other vectors give another value."""
    import dataclasses
    import math

    import numpy as np

    from benchmarks.word2vec_reference import aligned, objective
    from projects.word2vec import data
    from projects.word2vec.config import Config

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    sentences = [[words[i] for i in rng.integers(0, 30, 200)] for _ in range(20)]
    config = dataclasses.replace(
        Config(), algorithm=algorithm, min_count=1, chunk_tokens=64, chunks_per_batch=2
    )
    vocab = data.Vocabulary.build(sentences, config.min_count)
    ids, sids = data.encode(sentences, vocab)
    parts = {"vocab": vocab, "ids": ids, "sids": sids}
    vectors = rng.normal(size=(len(vocab), config.vector_size)).astype("float32")
    zeros = np.zeros_like(vectors)
    at_zero, other = objective(parts, config, (vectors, zeros), (vectors, vectors * 0.1))
    assert at_zero == pytest.approx(6 * math.log(2), rel=1e-5)
    assert other != pytest.approx(6 * math.log(2))
    keys = list(reversed(vocab.words))
    np.testing.assert_array_equal(aligned(keys, vectors[::-1], vocab.words), vectors)
    with pytest.raises(RuntimeError, match="lacks 1 words"):
        aligned(keys[1:], vectors[::-1][1:], vocab.words)
