"""How good are the vectors: word-similarity and analogy test sets, the files gensim ships.

    WordSim-353   353 word pairs with human relatedness scores (tiger-cat 7.35)
    SimLex-999    999 pairs scored for similarity proper (not relatedness: cup-coffee is low)
    Google analogies  19,544 questions "a is to b as c is to ?" (athens greece berlin -> germany)

Similarity: Spearman correlation between the cosine of the two vectors and the human score, over
the pairs whose words are both in the vocabulary. Analogy: the word nearest (by cosine) to
b - a + c, leaving out a, b and c, must be d; accuracy over the questions whose four words are in
the vocabulary (the share of questions covered is reported beside it). Both follow gensim's
evaluate_word_pairs and evaluate_word_analogies (the tests check the numbers agree).
"""

from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from common import datasets

GENSIM = ("gensim", "4.4.0")
TEST_SETS = {  # name: (member of the gensim wheel, sha256)
    "wordsim353": (
        "wordsim353.tsv",
        "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
    ),
    "simlex999": (
        "simlex999.txt",
        "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
    ),
    "analogies": (
        "questions-words.txt",
        "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
    ),
}
ANALOGY_BATCH = 1024  # questions scored at once (a 1024 x vocabulary matrix)


def test_set(name: str) -> Path:
    filename, sha256 = TEST_SETS[name]
    member = f"gensim/test/test_data/{filename}"
    return datasets.fetch(filename, sha256, [datasets.pip_member(*GENSIM, member)])


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def read_pairs(path: Path) -> list[tuple[str, str, float]]:
    rows = []
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            a, b, score = line.split("\t")[:3]
            rows.append((a.lower(), b.lower(), float(score)))
    return rows


def similarity(vectors: np.ndarray, index: dict[str, int], path: Path) -> tuple[float, float]:
    """(Spearman correlation, share of pairs covered by the vocabulary)."""
    rows = read_pairs(path)
    known = [(index[a], index[b], s) for a, b, s in rows if a in index and b in index]
    if len(known) < 3:
        return float("nan"), len(known) / len(rows)
    n = unit(vectors)
    cosines = [float(n[i] @ n[j]) for i, j, _ in known]
    rho = spearmanr(cosines, [s for _, _, s in known]).statistic
    return float(rho), len(known) / len(rows)


def read_analogies(path: Path) -> list[tuple[str, list[str]]]:
    """(section, [a, b, c, d]) per question, lowercased; sections start with ': '."""
    section, out = "", []
    for line in Path(path).read_text().splitlines():
        if line.startswith(":"):
            section = line[1:].strip()
        elif line.strip():
            out.append((section, line.lower().split()))
    return out


def analogy(vectors: np.ndarray, index: dict[str, int], path: Path) -> tuple[float, float]:
    """(accuracy over the covered questions, share of questions covered); (0, 0) where the
    vocabulary covers no question (a small or non-English corpus)."""
    questions = read_analogies(path)
    known = np.array([[index[w] for w in q] for _, q in questions if all(w in index for w in q)])
    if len(known) == 0:
        return 0.0, 0.0
    n = unit(vectors)
    correct = 0
    for start in range(0, len(known), ANALOGY_BATCH):
        q = known[start : start + ANALOGY_BATCH]
        target = n[q[:, 1]] - n[q[:, 0]] + n[q[:, 2]]
        scores = target @ n.T
        rows = np.arange(len(q))[:, None]
        scores[rows, q[:, :3]] = -np.inf  # the question's own words are not answers
        correct += int((scores.argmax(axis=1) == q[:, 3]).sum())
    return correct / len(known), len(known) / len(questions)


def evaluate(vectors: np.ndarray, words: list[str]) -> dict[str, float]:
    """metrics.json's scores for vectors (one row per word of `words`)."""
    index = {w: i for i, w in enumerate(words)}
    ws, ws_cover = similarity(vectors, index, test_set("wordsim353"))
    sl, sl_cover = similarity(vectors, index, test_set("simlex999"))
    acc, acc_cover = analogy(vectors, index, test_set("analogies"))
    return {
        "wordsim353_spearman": ws,
        "wordsim353_coverage": ws_cover,
        "simlex999_spearman": sl,
        "simlex999_coverage": sl_cover,
        "analogy_accuracy": acc,
        "analogy_coverage": acc_cover,
    }


def nearest(vectors: np.ndarray, query: np.ndarray, k: int, exclude=()) -> list[tuple[int, float]]:
    """The k rows most cosine-similar to query, leaving out the rows in exclude."""
    scores = unit(vectors) @ (query / max(np.linalg.norm(query), 1e-12))
    scores[list(exclude)] = -np.inf
    top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
    top = top[np.argsort(-scores[top])]
    return [(int(i), float(scores[i])) for i in top if np.isfinite(scores[i])]
