"""Corpus BLEU-1 to BLEU-4 of generated captions against all references of each image, and the
baseline a model must beat: one caption for every image, the training set's most common one.

BLEU (Papineni et al. 2002), as nltk's corpus_bleu computes it without smoothing: n-gram
precisions clipped by the most any one reference has, summed over the corpus; their geometric
mean with equal weights; times the brevity penalty against the closest reference length. Written
here (about 30 lines) so the template needs no nltk at run time; a test checks it against nltk.

Scoring a finished run's test images again, with another beam width (no training):

    python -m projects.image_captioning.evaluate --beam 3 [--run runs/image_captioning/<id>]
"""

import argparse
import math
import re
import time
from collections import Counter

from . import NAME
from .data import tokenize

ORDERS = (1, 2, 3, 4)


def _ngrams(words: list[str], n: int) -> Counter:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def corpus_bleu(references: list[list[list[str]]], hypotheses: list[list[str]]) -> dict:
    """{"bleu1": .., "bleu4": ..} of tokenized hypotheses, each against its list of tokenized
    references."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} reference lists for {len(hypotheses)} hypotheses")
    matched, total = Counter(), Counter()
    hyp_length = ref_length = 0
    for refs, hyp in zip(references, hypotheses, strict=True):
        hyp_length += len(hyp)
        ref_length += min((len(r) for r in refs), key=lambda n: (abs(n - len(hyp)), n))
        for n in ORDERS:
            counts = _ngrams(hyp, n)
            most = Counter()
            for r in refs:
                most |= _ngrams(r, n)
            matched[n] += sum(min(c, most[g]) for g, c in counts.items())
            total[n] += max(len(hyp) - n + 1, 1)  # as nltk: a too-short caption counts 1
    if hyp_length == 0:
        return {f"bleu{n}": 0.0 for n in ORDERS}
    brevity = 1.0 if hyp_length > ref_length else math.exp(1 - ref_length / hyp_length)
    scores = {}
    for order in ORDERS:
        if any(matched[n] == 0 for n in range(1, order + 1)):
            scores[f"bleu{order}"] = 0.0
            continue
        log_mean = sum(math.log(matched[n] / total[n]) for n in range(1, order + 1)) / order
        scores[f"bleu{order}"] = brevity * math.exp(log_mean)
    return scores


def bleu(references: list[list[str]], captions: list[str]) -> dict:
    """corpus_bleu of caption strings against reference strings (tokenized like training)."""
    refs = [[tokenize(r) for r in rs] for rs in references]
    return corpus_bleu(refs, [tokenize(c) for c in captions])


def exact_share(references: list[list[str]], captions: list[str]) -> float:
    """The share of captions that are, word for word, one of their image's references."""
    hits = [is_reference(c, refs) for c, refs in zip(captions, references, strict=True)]
    return sum(hits) / max(len(hits), 1)


def is_reference(caption: str, references: list[str]) -> bool:
    """Whether a caption is, word for word, one of the references."""
    return tokenize(caption) in [tokenize(r) for r in references]


SCENE_OBJECT = re.compile(r"a (small|large) (\w+) (circle|square|triangle)")


def scene_objects(caption: str) -> list[tuple[str, str, str]]:
    """(size, colour, shape) of each shape a scene caption names, left to right ("... right
    of ..." captions name them right to left)."""
    found = SCENE_OBJECT.findall(caption)
    return found[::-1] if "right of" in caption else found


def scene_errors(references: list[list[str]], captions: list[str]) -> dict:
    """What a scene captioner gets wrong: the share of captions naming the wrong number of
    shapes, and among shapes in captions with the right number, the share with a wrong size,
    colour or shape (the first reference of a scene names its shapes left to right)."""
    wrong_count, objects, wrong = 0, 0, [0, 0, 0]
    for refs, caption in zip(references, captions, strict=True):
        truth, said = scene_objects(refs[0]), scene_objects(caption)
        if len(truth) != len(said):
            wrong_count += 1
            continue
        for a, b in zip(truth, said, strict=True):
            objects += 1
            for k in range(3):
                wrong[k] += a[k] != b[k]
    share = max(objects, 1)
    return {
        "wrong_count_share": wrong_count / max(len(captions), 1),
        "wrong_size_share": wrong[0] / share,
        "wrong_colour_share": wrong[1] / share,
        "wrong_shape_share": wrong[2] / share,
    }


def most_common_caption(train_captions: list[list[str]]) -> str:
    """The caption written most often in training (ties: the shortest, then alphabetical)."""
    counts = Counter(" ".join(tokenize(c)) for caps in train_captions for c in caps)
    return min(counts, key=lambda c: (-counts[c], len(c), c))


def baseline(train_captions: list[list[str]], references: list[list[str]]) -> dict:
    """BLEU of captioning every image with the most common training caption: what a model
    that ignores the image gets."""
    caption = most_common_caption(train_captions)
    return {f"baseline_{k}": v for k, v in bleu(references, [caption] * len(references)).items()}


def score_run(workdir, beam: int) -> dict:
    """BLEU-1 to BLEU-4 (and, on the generated scenes, the error shares) of a finished run's
    test captions decoded with beam width `beam`; "seconds" is the decoding time."""
    import keras

    from common.config import load_config
    from common.export import require_finished

    from . import data, decoding, model  # noqa: F401  (the decoder)
    from .config import Config

    require_finished(workdir)
    config = load_config(Config, workdir / "config.json")
    test = data.load(config).test
    captioner = keras.saving.load_model(workdir / "model.keras")
    vocabulary = data.Vocabulary(captioner.get_layer("decoder").vocabulary)
    start = time.time()
    captions = [vocabulary.decode(r) for r in decoding.caption_ids(captioner, test.images, beam)]
    scores = {
        **bleu(test.captions, captions),
        "exact_share": exact_share(test.captions, captions),
        "test_images": len(test),
        "seconds": time.time() - start,
    }
    if config.dataset == "scenes":
        scores.update(scene_errors(test.captions, captions))
    return scores


def main(argv=None) -> None:
    from common import runs
    from common.config import Parser

    from .predict import beam_width

    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: the latest run)")
    parser.add_argument("--beam", type=beam_width, default=1, help="beam width (default: 1)")
    args = parser.parse_args(argv)
    scores = score_run(runs.resolve_run(NAME, args.run), args.beam)
    print(
        f"{scores['test_images']:,} test images, beam {args.beam} ({scores['seconds']:.0f} s): "
        + ", ".join(f"BLEU-{n} {scores[f'bleu{n}']:.3f}" for n in ORDERS)
        + f"; {scores['exact_share']:.1%} word for word one of the references"
    )
    if "wrong_count_share" in scores:
        print(
            f"wrong number of shapes in {scores['wrong_count_share']:.1%} of the captions; of the "
            f"shapes in the others, wrong size {scores['wrong_size_share']:.1%}, colour "
            f"{scores['wrong_colour_share']:.1%}, shape {scores['wrong_shape_share']:.1%}"
        )


if __name__ == "__main__":
    from common.errors import main_guard

    main_guard(main)()
