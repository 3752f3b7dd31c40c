"""The template's figures: written into the run directory, never shown on screen."""

from pathlib import Path

import numpy as np

from common import runs

GROUPS = {  # word groups drawn in words.png, where the vocabulary has them
    "countries": ["france", "germany", "italy", "spain", "england", "russia", "china", "egypt"],
    "numbers": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    "family": ["father", "mother", "son", "daughter", "brother", "sister", "husband", "wife"],
    "royalty": ["king", "queen", "prince", "princess", "duke", "lord", "lady"],
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def words(vectors: np.ndarray, vocabulary: list[str], out: Path) -> Path | None:
    """words.png: the word groups projected onto their two principal components."""
    from sklearn.decomposition import PCA

    index = {w: i for i, w in enumerate(vocabulary)}
    chosen = {g: [w for w in ws if w in index] for g, ws in GROUPS.items()}
    chosen = {g: ws for g, ws in chosen.items() if ws}
    flat = [w for ws in chosen.values() for w in ws]
    if len(flat) < 3:
        return None
    unit = vectors[[index[w] for w in flat]]
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    xy = PCA(n_components=2).fit_transform(unit)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    start = 0
    for group, ws in chosen.items():
        part = xy[start : start + len(ws)]
        ax.scatter(part[:, 0], part[:, 1], label=group, s=25)
        for (x, y), w in zip(part, ws, strict=True):
            ax.annotate(w, (x, y), fontsize=9, xytext=(3, 3), textcoords="offset points")
        start += len(ws)
    ax.legend()
    ax.set_title("word vectors, two principal components (cosine geometry)")
    ax.grid(alpha=0.3)
    return runs.save_figure(fig, out)


def learning_curve(train_points, epoch_points, out: Path) -> Path:
    """learning.png: the loss per pair against words seen, and WordSim-353 after each epoch."""
    plt = _pyplot()
    train = np.asarray(train_points, dtype=float).reshape(-1, 3)
    epochs = np.asarray(epoch_points, dtype=float).reshape(-1, 3)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.plot(train[:, 0] / 1e6, train[:, 2], lw=1)
    left.set_xlabel("words seen (millions)")
    left.set_ylabel("loss per pair (mean since the previous point)")
    right.plot(epochs[:, 0] / 1e6, epochs[:, 2], "o-")
    right.set_xlabel("words seen (millions)")
    right.set_ylabel("WordSim-353 Spearman")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle("word2vec")
    return runs.save_figure(fig, out)
