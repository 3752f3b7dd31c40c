"""benchmarks/run.py: one failing benchmark does not stop the others; the README table is
rendered from results.json."""

import json

import pytest

from benchmarks import run

ENTRY = {
    "command": "python -m benchmarks.iris_reference",
    "backend": "tensorflow",
    "status": "passed",
    "wall_s": 250.0,
    "date": "2026-11-26T16:30:00",
    "machine": {"cpu": "Some CPU", "cores": 2, "gpu": "none"},
    "versions": {"keras": "3.15.1"},
    "result": "benchmarks/results/iris.md",
}


def test_table_is_rendered_from_results_json_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{run.BEGIN}\nold, typed by hand\n{run.END}\nafter\n")
    failed = {**ENTRY, "status": "failed (exit 1)", "command": "python -m benchmarks.x"}
    run.update_readme({"iris": ENTRY, "mnist_cnn": failed}, readme)
    text = readme.read_text()
    assert text.startswith("# title\n\nbefore\n") and text.endswith("\nafter\n")
    assert "old, typed by hand" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]  # not the header
    assert [row.split(" | ")[0][2:] for row in rows] == list(run.BENCHMARKS)  # every one, in order
    iris = rows[list(run.BENCHMARKS).index("iris")]
    assert "passed | 4.2 min | Some CPU, 2 cores | 2026-11-26 |" in iris
    assert "failed (exit 1)" in rows[list(run.BENCHMARKS).index("mnist_cnn")]
    assert "not run yet" in rows[list(run.BENCHMARKS).index("word2vec")]
    run.update_readme({"iris": ENTRY}, readme)  # rendering again replaces, never appends
    assert readme.read_text().count(run.BEGIN) == 1


def test_a_failing_benchmark_is_recorded_and_the_next_one_still_runs(tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text(f"{run.BEGIN}\n{run.END}\n")
    ok, broken = tmp_path / "ok.json", "benchmarks.no_such_benchmark"
    ok.write_text('{"test_bleu4": 0.8}')
    monkeypatch.setattr(run, "RESULTS_JSON", results)
    monkeypatch.setattr(run, "README", readme)
    monkeypatch.setattr(
        run,
        "BENCHMARKS",
        {
            "broken": ([broken], None, "nowhere.md", 1),
            "fine": (["json.tool", str(ok)], "jax", str(ok), 1),
        },
    )
    with pytest.raises(SystemExit) as exit_info:
        run.main([])
    assert exit_info.value.code == 1
    saved = json.loads(results.read_text())
    assert saved["broken"]["status"].startswith("failed (exit")
    assert saved["fine"]["status"] == "passed" and saved["fine"]["metrics"] == {"test_bleu4": 0.8}
    assert saved["fine"]["backend"] in ("jax", run.os.environ.get("KERAS_BACKEND"))
    assert "| fine |" in readme.read_text() and "| broken |" in readme.read_text()
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--only", "nope"])
    assert exit_info.value.code == 2
