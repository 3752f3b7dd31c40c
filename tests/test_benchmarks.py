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
