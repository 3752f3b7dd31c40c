"""Run the benchmarks one after another and record each run in benchmarks/results.json.

    python -m benchmarks.run [--only NAME[,NAME...]]     # make bench, make bench T=mnist_cnn

Each benchmark is a command of its own (a subprocess), so one that fails is recorded as failed
and the others still run. An entry of results.json holds the command, its exit status, wall
time, date, machine (CPU, cores, GPU), backend and library versions, and the result file it
wrote. Running a
subset replaces only those entries. Then the block between the `bench:begin` and `bench:end`
markers of README.md is rendered from the file, so that table is never typed by hand.

Each benchmark also states its headline with `write_headline`: one phrase for what the template
reached and one for how long it took, kept in the entry; the README's templates table (between
`templates:begin` and `templates:end`) is rendered from those, one row per template.
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
TEMPLATES_BEGIN, TEMPLATES_END = "<!-- templates:begin -->", "<!-- templates:end -->"
HEADLINES = Path(__file__).parent / "results"

# name -> (command after `python -m`, backend default, result file, minutes on a 2-core CPU)
BENCHMARKS = {
    "xor": (["benchmarks.xor_reference"], None, "benchmarks/results/xor.md", 1),
    "iris": (["benchmarks.iris_reference"], None, "benchmarks/results/iris.md", 4),
    "stock_rnn": (["benchmarks.stock_reference"], None, "benchmarks/results/stock_sp500.md", 2),
    "augment": (["benchmarks.augment_cost"], None, "benchmarks/results/augment.md", 3),
    "mnist_cnn": (["benchmarks.mnist_reference"], None, "benchmarks/results/mnist.md", 9),
    "text_lstm": (["benchmarks.text_reference"], "tensorflow", "benchmarks/results/text.md", 36),
    "word2vec": (
        ["benchmarks.word2vec_reference"],
        "tensorflow",
        "benchmarks/results/word2vec.md",
        18,
    ),
    "image_captioning": (
        ["benchmarks.caption_reference"],
        None,
        "benchmarks/results/caption.md",
        14,
    ),
}

# template -> (what it shows, command, the benchmark whose headline fills its row)
TEMPLATES = {
    "xor": ("dense network, activations, SGD / momentum / Nesterov / Adam", "make xor", "xor"),
    "iris": (
        "softmax classifier, normalization inside the model, early stopping",
        "make iris",
        "iris",
    ),
    "mnist_cnn": (
        "convolution, pooling, augmentation; predict on any picture",
        "make mnist",
        "mnist_cnn",
    ),
    "stock_rnn": (
        "LSTM / GRU / SimpleRNN, chronological splits, naive baselines",
        "make stock",
        "stock_rnn",
    ),
    "text_lstm": (
        "character-level GRU / LSTM, truncated BPTT with carried state, two networks averaged, "
        "sampling with temperature",
        "make text",
        "text_lstm",
    ),
    "word2vec": (
        "skip-gram and CBOW, negative sampling, subsampling; nearest words and analogies",
        "make word2vec",
        "word2vec",
    ),
    "image_captioning": (
        "CNN encoder (or pretrained EfficientNet-Lite0) + LSTM decoder, attention, greedy and "
        "beam search, BLEU",
        "make caption",
        "image_captioning",
    ),
}


def headline_path(name: str) -> Path:
    return HEADLINES / f"{name}.headline.json"


def write_headline(name: str, result: str, took: str, path: Path | None = None) -> None:
    """A benchmark's headline for the templates table: `result` says what the template reached
    (with the reference beside it), `took` how long. Read back by run_one after the run."""
    path = path or headline_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"result": result, "time": took}, indent=2) + "\n")
    os.replace(partial, path)


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
    headline = headline_path(name)
    headline.unlink(missing_ok=True)  # a stale one must not pass for this run's
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
    if done.returncode == 0 and headline.exists():
        entry["headline"] = json.loads(headline.read_text())
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


def render_templates(results: dict) -> str:
    """The README's templates table: one row per template, its result and time from the
    headline of its latest benchmark run."""
    rows = [
        "| template | what it shows | command | result (default config) | time | measured by |",
        "|---|---|---|---|---|---|",
    ]
    for name, (shows, command, bench) in TEMPLATES.items():
        entry = results.get(bench, {})
        link = f"[{name}](projects/{name})"
        if "headline" not in entry:
            status = entry.get("status", "not run yet")
            rows.append(f"| {link} | {shows} | `{command}` | {status} | | `make bench T={bench}` |")
            continue
        where = entry["machine"]
        place = where["gpu"] if where["gpu"] != "none" else f"{where['cores']}-core CPU"
        head = entry["headline"]
        rows.append(
            f"| {link} | {shows} | `{command}` | {head['result']} | {head['time']}, {place} "
            f"| `make bench T={bench}`, {entry['date'][:10]} |"
        )
    note = "Rendered by `python -m benchmarks.run` from `benchmarks/results.json`; do not edit."
    return "\n".join([TEMPLATES_BEGIN, note, "", *rows, TEMPLATES_END])


def save(results: dict, path: Path | None = None) -> None:
    """Write results.json whole or not at all (a temporary file, then a rename)."""
    path = path or RESULTS_JSON
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(partial, path)


def _replace_block(text: str, begin: str, end: str, block: str, where: Path) -> str:
    if begin not in text or end not in text:
        raise SystemExit(f"{where} has no {begin} ... {end} block to render into")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + block + tail


def update_readme(results: dict, readme: Path | None = None) -> None:
    """Render both blocks of the README (templates, then benchmark runs), written at once."""
    readme = readme or README
    text = readme.read_text()
    text = _replace_block(text, TEMPLATES_BEGIN, TEMPLATES_END, render_templates(results), readme)
    text = _replace_block(text, BEGIN, END, render(results), readme)
    partial = readme.with_suffix(".md.partial")
    partial.write_text(text)
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
