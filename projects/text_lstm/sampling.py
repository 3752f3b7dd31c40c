"""Writing text with a trained model: pick each next character from the model's probabilities.

`Writer` keeps the recurrent state between characters (one step of the network per character);
`write_with_export` needs only the exported SavedModel and re-reads the whole text each step.
Both pick characters the same way, so with the same seed they write the same text.
"""

from collections.abc import Callable, Iterator

import keras
import numpy as np

from .data import encode
from .model import UNKNOWN, sampler, vocabulary_of

START = "\n"  # what an empty prompt starts from: the model has seen many texts begin a line


def pick(probabilities, temperature: float, top_k: int, rng: np.random.Generator) -> int:
    """A vocabulary id drawn from probabilities sharpened by temperature (below 1: safer
    choices, above 1: wilder ones), among the top_k most likely (0: all); never UNKNOWN."""
    p = np.asarray(probabilities, dtype="float64").ravel()
    p[UNKNOWN] = 0.0
    logp = np.log(np.maximum(p, 1e-300)) / temperature
    if 0 < top_k < len(p):
        logp[np.argsort(logp)[:-top_k]] = -np.inf
    logp -= logp.max()
    q = np.exp(logp)
    q[p == 0] = 0.0
    return int(rng.choice(len(q), p=q / q.sum()))


class Writer:
    """Generates text from a Keras model (saved or in training), carrying its state."""

    def __init__(self, model: keras.Model):
        self.step, self.state_shapes = sampler(model)
        self.vocabulary = vocabulary_of(model)

    def write(self, prompt: str, length: int, temperature=1.0, top_k=0, seed=0) -> Iterator[str]:
        """Yield `length` characters, one at a time, following `prompt`."""
        rng = np.random.default_rng(seed)
        states = [np.zeros((1, *s), "float32") for s in self.state_shapes]
        codes = encode(prompt or START)[None, :]
        for _ in range(length):
            probabilities, *states = self.step.predict_on_batch([codes, *states])
            k = pick(keras.ops.convert_to_numpy(probabilities)[0], temperature, top_k, rng)
            char = self.vocabulary[k - 1]
            yield char
            codes = encode(char)[None, :]
            states = [keras.ops.convert_to_numpy(s) for s in states]


def write_with_export(
    predict: Callable, vocabulary: str, prompt: str, length: int, temperature=1.0, top_k=0, seed=0
) -> Iterator[str]:
    """The same from export/: `predict` maps codes (1, n) to probabilities (1, n, vocabulary)."""
    rng = np.random.default_rng(seed)
    text = prompt or START
    for _ in range(length):
        probabilities = np.asarray(predict(encode(text)[None, :]))[0, -1]
        char = vocabulary[pick(probabilities, temperature, top_k, rng) - 1]
        text += char
        yield char
