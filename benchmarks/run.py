"""Run the benchmarks one after another and record each run in benchmarks/results.json.

    python -m benchmarks.run [--only NAME[,NAME...]]     # make bench, make bench T=mnist_cnn

Each benchmark is a command of its own (a subprocess), so one that fails is recorded as failed
and the others still run. An entry of results.json holds the command, its exit status, wall
time, date, machine (CPU, cores, GPU), backend and library versions, and the result file it
wrote; the image_captioning entry also holds the test metrics of the run it trained. Running a
subset replaces only those entries. Then the block between the `bench:begin` and `bench:end`
markers of README.md is rendered from the file, so that table is never typed by hand.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = Path(__file__).parent / "results.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# name -> (command after `python -m`, backend default, result file, minutes on a 2-core CPU)
BENCHMARKS = {
    "iris": (["benchmarks.iris_reference"], None, "benchmarks/results/iris.md", 4),
    "stock_rnn": (["benchmarks.stock_reference"], None, "benchmarks/results/stock_sp500.md", 2),
    "augment": (["benchmarks.augment_cost"], None, "benchmarks/results/augment.md", 3),
    "mnist_cnn": (["benchmarks.mnist_reference"], None, "benchmarks/results/mnist.md", 9),
    "text_lstm": (["benchmarks.text_reference"], "jax", "benchmarks/results/text.md", 30),
    "word2vec": (
        ["benchmarks.word2vec_reference"],
        "tensorflow",
        "benchmarks/results/word2vec.md",
        15,
    ),
    "image_captioning": (
        ["projects.image_captioning.train"],
        None,
        "runs/image_captioning/latest/metrics.json",
        9,
    ),
}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = ""
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        gpu = done.stdout.strip().replace("\n", ", ") if done.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "gpu": gpu or "none"}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("keras", "tensorflow", "jax", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def run_one(name: str, python: str = sys.executable) -> dict:
    module, backend, result, _ = BENCHMARKS[name]
    env = dict(os.environ)
    if backend and "KERAS_BACKEND" not in os.environ:
        env["KERAS_BACKEND"] = backend
    command = [python, "-m", *module]
    start = time.time()
    done = subprocess.run(command, cwd=ROOT, env=env)
    entry = {
        "command": " ".join(["python", "-m", *module]),
        "backend": env.get("KERAS_BACKEND", "tensorflow"),
        "status": "passed" if done.returncode == 0 else f"failed (exit {done.returncode})",
        "wall_s": round(time.time() - start, 1),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "result": result,
    }
    path = ROOT / result
    if done.returncode == 0 and path.suffix == ".json" and path.exists():
        entry["metrics"] = json.loads(path.read_text())
    return entry


def render(results: dict) -> str:
    """The README block: one row per benchmark in BENCHMARKS order."""
    rows = [
        "| benchmark | command | status | wall time | machine | date | results |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in BENCHMARKS:
        entry = results.get(name)
        if entry is None:
            rows.append(f"| {name} | | not run yet | | | | |")
            continue
        where = entry["machine"]
        place = f"{where['cpu']}, {where['cores']} cores" + (
            f", {where['gpu']}" if where["gpu"] != "none" else ""
        )
        minutes = entry["wall_s"] / 60
        rows.append(
            f"| {name} | `{entry['command']}` ({entry['backend']}) | {entry['status']} "
            f"| {minutes:.1f} min | {place} | {entry['date'][:10]} | `{entry['result']}` |"
        )
    note = "Rendered by `python -m benchmarks.run` from `benchmarks/results.json`; do not edit."
    return "\n".join([BEGIN, note, "", *rows, END])


def save(results: dict, path: Path | None = None) -> None:
    """Write results.json whole or not at all (a temporary file, then a rename)."""
    path = path or RESULTS_JSON
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(partial, path)


def update_readme(results: dict, readme: Path | None = None) -> None:
    readme = readme or README
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme} has no {BEGIN} ... {END} block to render into")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    partial = readme.with_suffix(".md.partial")
    partial.write_text(head + render(results) + tail)
    os.replace(partial, readme)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated names (default: all)")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        choices = ", ".join(BENCHMARKS)
        print(f"error: no benchmark {unknown[0]!r}; choose from {choices}", file=sys.stderr)
        sys.exit(2)
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    for i, name in enumerate(names, 1):
        minutes = BENCHMARKS[name][3]
        print(f"[{i}/{len(names)}] {name} (about {minutes} min on a 2-core CPU)", flush=True)
        results[name] = run_one(name)
        print(f"[{i}/{len(names)}] {name}: {results[name]['status']}", flush=True)
        save(results)  # after each benchmark: a killed make bench keeps the finished ones
    update_readme(results)
    failed = [n for n in names if results[n]["status"] != "passed"]
    print(f"wrote {RESULTS_JSON} and the README table" + (f"; failed: {failed}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
