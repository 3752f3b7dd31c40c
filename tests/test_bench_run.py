"""benchmarks/run.py: one failing benchmark does not stop the others; the README's tables are
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


def blocks(templates: str = "", runs: str = "") -> str:
    """A README with both blocks, holding the given (hand-typed) text."""
    return (
        f"{run.TEMPLATES_BEGIN}\n{templates}\n{run.TEMPLATES_END}\n"
        f"between\n{run.BEGIN}\n{runs}\n{run.END}\n"
    )


def test_table_is_rendered_from_results_json_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{blocks('typed', 'old, typed by hand')}after\n")
    failed = {**ENTRY, "status": "failed (exit 1)", "command": "python -m benchmarks.x"}
    run.update_readme({"iris": ENTRY, "mnist_cnn": failed}, readme)
    text = readme.read_text()
    assert text.startswith("# title\n\nbefore\n") and text.endswith("\nafter\n")
    assert "old, typed by hand" not in text
    runs_block = text.split(run.BEGIN)[1]
    rows = [line for line in runs_block.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0][2:] for row in rows] == list(run.BENCHMARKS)  # every one, in order
    iris = rows[list(run.BENCHMARKS).index("iris")]
    assert "passed | 4.2 min | Some CPU, 2 cores | 2026-11-26 |" in iris
    assert "failed (exit 1)" in rows[list(run.BENCHMARKS).index("mnist_cnn")]
    assert "not run yet" in rows[list(run.BENCHMARKS).index("word2vec")]
    run.update_readme({"iris": ENTRY}, readme)  # rendering again replaces, never appends
    assert readme.read_text().count(run.BEGIN) == 1


def test_templates_table_takes_each_row_from_its_benchmarks_headline(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{blocks('| typed | by | hand |')}end\n")
    headline = {"result": "test accuracy 0.953 (scikit-learn: 0.957)", "time": "26 s per run"}
    gpu = {**ENTRY, "headline": headline, "machine": {"cpu": "x", "cores": 16, "gpu": "H100"}}
    failed = {**ENTRY, "status": "failed (exit 1)"}
    run.update_readme({"iris": {**ENTRY, "headline": headline}, "word2vec": gpu,
                       "mnist_cnn": failed}, readme)  # fmt: skip
    block = readme.read_text().split(run.TEMPLATES_BEGIN)[1].split(run.TEMPLATES_END)[0]
    assert "typed" not in block
    rows = {line.split(" | ")[0]: line for line in block.splitlines() if line.startswith("| [")}
    assert list(rows) == [f"| [{name}](projects/{name})" for name in run.TEMPLATES]
    iris = rows["| [iris](projects/iris)"]
    assert "| test accuracy 0.953 (scikit-learn: 0.957) | 26 s per run, 2-core CPU |" in iris
    assert "`make bench T=iris`, 2026-11-26 |" in iris
    assert "| 26 s per run, H100 |" in rows["| [word2vec](projects/word2vec)"]
    assert "| failed (exit 1) |" in rows["| [mnist_cnn](projects/mnist_cnn)"]
    assert "| not run yet |" in rows["| [xor](projects/xor)"]
    assert readme.read_text().startswith("intro\n") and readme.read_text().endswith("end\n")


def test_a_failing_benchmark_is_recorded_and_the_next_one_still_runs(tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text(blocks())
    ok, broken = tmp_path / "ok.json", "benchmarks.no_such_benchmark"
    ok.write_text('{"result": "BLEU-4 0.8", "time": "9 min"}')
    monkeypatch.setattr(run, "HEADLINES", tmp_path)
    stale = run.headline_path("broken")
    stale.write_text('{"result": "from an older run", "time": "1 min"}')
    monkeypatch.setattr(run, "RESULTS_JSON", results)
    monkeypatch.setattr(run, "README", readme)
    monkeypatch.setattr(
        run,
        "BENCHMARKS",
        {
            "broken": ([broken], None, "nowhere.md", 1),
            # json.tool copies the headline fixture to where the benchmark writes its own
            "fine": (["json.tool", str(ok), str(tmp_path / "fine.headline.json")], "jax", "", 1),
        },
    )
    with pytest.raises(SystemExit) as exit_info:
        run.main([])
    assert exit_info.value.code == 1
    saved = json.loads(results.read_text())
    assert saved["broken"]["status"].startswith("failed (exit")
    assert saved["fine"]["status"] == "passed"
    assert saved["fine"]["headline"] == {"result": "BLEU-4 0.8", "time": "9 min"}
    assert "headline" not in saved["broken"] and not stale.exists()
    assert saved["fine"]["backend"] in ("jax", run.os.environ.get("KERAS_BACKEND"))
    assert "| fine |" in readme.read_text() and "| broken |" in readme.read_text()
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--only", "nope"])
    assert exit_info.value.code == 2
