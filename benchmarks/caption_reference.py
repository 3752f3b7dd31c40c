"""image_captioning: the default configuration trained as `make caption` trains it, its test
captions scored greedily and with beam search, against the one-caption baseline.

    python -m benchmarks.caption_reference

The run is an ordinary one (runs/image_captioning/<run-id>, `latest` points at it), so its model
stays usable by predict. Writes the table to benchmarks/results/caption.md.
"""

import argparse
import json
from pathlib import Path

from benchmarks.run import write_headline
from common import runs
from projects.image_captioning import NAME, evaluate, train

RESULTS = Path(__file__).parent / "results"
BEAM = 3


def row(label: str, m: dict) -> str:
    bleus = " | ".join(f"{m[f'bleu{n}']:.3f}" for n in evaluate.ORDERS)
    exact = f"{m['exact_share']:.1%}" if "exact_share" in m else "-"
    return f"| {label} | {bleus} | {exact} |"


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help, and no unknown flags
    train.main([])
    workdir = runs.resolve_run(NAME, None)
    greedy = json.loads((workdir / "metrics.json").read_text())
    print(f"beam {BEAM} on the test images ...", flush=True)
    beam = evaluate.score_run(workdir, BEAM)
    baseline = {f"bleu{n}": greedy[f"baseline_bleu{n}"] for n in evaluate.ORDERS}
    lines = [
        f"Generated scenes (synthetic), {greedy['test_images']:,} test images, each against its "
        f"five reference captions; run {workdir.name}, {greedy['epochs_run']} epochs, "
        f"{greedy['train_minutes']:.1f} min of training.",
        "",
        "| decoding | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | word for word a reference |",
        "|---|---|---|---|---|---|",
        row("greedy (the exported model)", greedy),
        row(f"beam {BEAM}", beam),
        row("baseline: the training set's most common caption for every image", baseline),
        "",
        "Command: `python -m benchmarks.caption_reference`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "caption.md").write_text(text)
    write_headline(
        "image_captioning",
        f"generated scenes (synthetic; Flickr8k and COCO read from disk): test BLEU-4 "
        f"{greedy['bleu4']:.3f} greedy, {beam['bleu4']:.3f} beam {BEAM}; one-caption baseline "
        f"{baseline['bleu4']:.3f}",
        f"{greedy['train_minutes']:.1f} min of training",
    )


if __name__ == "__main__":
    main()
