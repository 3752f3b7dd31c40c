"""Ask trained word vectors: nearest words, or analogies.

    python -m projects.word2vec.predict king [queen ...] [--top 10]
    python -m projects.word2vec.predict --analogy man king woman     # man : king = woman : ?
    python -m projects.word2vec.predict king --run runs/word2vec/<id>

Reads vectors.txt of the latest finished run (the word2vec text format; gensim's
KeyedVectors.load_word2vec_format reads the same file). Similarity is the cosine.
"""

import argparse
import difflib
from pathlib import Path

import numpy as np

from common import runs
from common.config import Parser
from common.errors import UserError, main_guard

from . import NAME
from .evaluate import nearest, unit

SPELLINGS = 3  # close spellings suggested for a word not in the vocabulary


def load_vectors(path: Path) -> tuple[list[str], np.ndarray]:
    """(words, vectors) from a word2vec text-format file."""
    with open(path, encoding="utf-8") as f:
        try:
            count, dim = (int(x) for x in f.readline().split())
        except ValueError:
            raise UserError(f"{path} has no word2vec header line ('count dim')") from None
        words, rows = [], []
        for line in f:
            parts = line.rstrip("\n").split(" ")
            words.append(parts[0])
            rows.append(parts[1:])
    vectors = np.asarray(rows, dtype=np.float32)
    if vectors.shape != (count, dim):
        raise UserError(f"{path} announces {count} x {dim} vectors but holds {vectors.shape}")
    return words, vectors


def lookup(word: str, index: dict[str, int]) -> int:
    key = word.lower()
    if key not in index:
        close = difflib.get_close_matches(key, index.keys(), n=SPELLINGS)
        hint = f"; close spellings that are: {', '.join(close)}" if close else ""
        raise UserError(f"'{word}' is not in the vocabulary ({len(index):,} words){hint}")
    return index[key]


def neighbours(words, vectors, index, word: str, top: int) -> list[tuple[str, float]]:
    i = lookup(word, index)
    return [(words[j], s) for j, s in nearest(vectors, vectors[i], top, [i])]


def analogy(words, vectors, index, a: str, b: str, c: str, top: int) -> list[tuple[str, float]]:
    """a is to b as c is to ...: the words nearest to b - a + c (on unit vectors)."""
    ia, ib, ic = (lookup(w, index) for w in (a, b, c))
    n = unit(vectors[[ia, ib, ic]])
    return [(words[j], s) for j, s in nearest(vectors, n[1] - n[0] + n[2], top, [ia, ib, ic])]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is below 1")
    return value


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("words", nargs="*", help="words whose nearest neighbours to print")
    parser.add_argument("--analogy", nargs=3, metavar=("A", "B", "C"), help="A : B = C : ?")
    parser.add_argument("--top", type=positive_int, default=10, help="how many answers")
    parser.add_argument("--run", default=None, help="run directory (default: the latest run)")
    args = parser.parse_args(argv)
    if not args.words and not args.analogy:
        raise UserError("give a word (e.g. king) or --analogy man king woman")
    workdir = runs.resolve_run(NAME, args.run)
    path = workdir / "vectors.txt"
    if not path.exists():
        raise UserError(f"{workdir} has no vectors.txt: the run did not finish; train again")
    words, vectors = load_vectors(path)
    index = {w: i for i, w in enumerate(words)}  # word -> row, built once for every question
    for word in [*args.words, *(args.analogy or [])]:
        lookup(word, index)  # every word checked first: an unknown one stops before any answer
    for word in args.words:
        found = neighbours(words, vectors, index, word, args.top)
        print(f"{word}: " + ", ".join(f"{w} {s:.3f}" for w, s in found))
    if args.analogy:
        a, b, c = args.analogy
        found = analogy(words, vectors, index, a, b, c, args.top)
        print(f"{a} : {b} = {c} : " + ", ".join(f"{w} {s:.3f}" for w, s in found))


if __name__ == "__main__":
    main()
