"""Corpus BLEU-1 to BLEU-4 of generated captions against all references of each image, and the
baseline a model must beat: one caption for every image, the training set's most common one.

BLEU (Papineni et al. 2002), as nltk's corpus_bleu computes it without smoothing: n-gram
precisions clipped by the most any one reference has, summed over the corpus; their geometric
mean with equal weights; times the brevity penalty against the closest reference length. Written
here (about 30 lines) so the template needs no nltk at run time; a test checks it against nltk.
"""

import math
from collections import Counter

from projects.image_captioning.data import tokenize

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


def most_common_caption(train_captions: list[list[str]]) -> str:
    """The caption written most often in training (ties: the shortest, then alphabetical)."""
    counts = Counter(" ".join(tokenize(c)) for caps in train_captions for c in caps)
    return min(counts, key=lambda c: (-counts[c], len(c), c))


def baseline(train_captions: list[list[str]], references: list[list[str]]) -> dict:
    """BLEU of captioning every image with the most common training caption: what a model
    that ignores the image gets."""
    caption = most_common_caption(train_captions)
    return {f"baseline_{k}": v for k, v in bleu(references, [caption] * len(references)).items()}
