"""Captions from a captioner model: greedy (the model's own output) or beam search.

Beam search keeps the `beam` most likely partial captions of each image at every step (the sum
of their words' log-probabilities) and returns the most likely finished one. With a beam of one
it is greedy decoding, step for step (a test checks it). The steps run batched over images and
beams; the loop over the caption's words is in Python, around one call of the decoder per step.
"""

import keras
import numpy as np

from .data import END, PAD, START


def parts(captioner: keras.Model):
    """The captioner's resize layer, encoder and decoder (shared with its trainer)."""
    return (
        captioner.get_layer("resize"),
        captioner.get_layer("encoder"),
        captioner.get_layer("decoder"),
    )


def greedy_ids(captioner: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(n, max_length) word ids from the captioner itself (`predict` compiles it once per
    batch shape; calling the model directly would trace its loop again at every call on JAX)."""
    ids = captioner.predict(images.astype("float32"), batch_size=batch_size, verbose=0)
    return np.asarray(ids)


def beam_ids(captioner: keras.Model, images: np.ndarray, beam: int, batch_size: int = 64):
    """(n, max_length) word ids of the most likely caption found with `beam` beams."""
    return np.concatenate(
        [
            _beam_batch(captioner, images[i : i + batch_size], beam)
            for i in range(0, len(images), batch_size)
        ]
    )


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _beam_batch(captioner, images: np.ndarray, beam: int) -> np.ndarray:
    resize, encode, decoder = parts(captioner)
    n, length = len(images), decoder.max_length
    features = encode(resize(images.astype("float32")), training=False)
    state = [
        np.repeat(keras.ops.convert_to_numpy(s), beam, axis=0) for s in decoder.start(features)
    ]
    scores = np.full((n, beam), -np.inf)
    scores[:, 0] = 0.0  # all beams start equal; keep one so the first step fans out
    words = np.full((n, beam), START, "int32")
    done = np.zeros((n, beam), bool)
    ids = np.zeros((n, beam, length), "int32")
    for t in range(length):
        logits, state = decoder.step(words.reshape(-1), state)
        logp = _log_softmax(keras.ops.convert_to_numpy(logits).astype("float64"))
        logp = logp.reshape(n, beam, -1)
        logp[done] = -np.inf  # a finished caption only continues with padding, at no cost
        logp[done, PAD] = 0.0
        total = (scores[:, :, None] + logp).reshape(n, -1)
        best = np.argsort(-total, axis=1, kind="stable")[:, :beam]
        vocabulary = logp.shape[-1]
        parent, word = best // vocabulary, (best % vocabulary).astype("int32")
        scores = np.take_along_axis(total, best, axis=1)
        rows = (np.arange(n)[:, None] * beam + parent).reshape(-1)
        state = [keras.ops.convert_to_numpy(s)[rows] for s in state]
        ids = np.take_along_axis(ids, parent[:, :, None], axis=1)
        done = np.take_along_axis(done, parent, axis=1)
        ids[:, :, t] = word
        done = done | (word == END)
        words = word
    return ids[np.arange(n), np.argmax(scores, axis=1)]


def caption_ids(captioner, images: np.ndarray, beam: int = 1) -> np.ndarray:
    """Greedy through the captioner (beam 1) or beam search."""
    return greedy_ids(captioner, images) if beam == 1 else beam_ids(captioner, images, beam)


def attention_weights(captioner, image: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Greedy captioning of one image with the attention decoder, step by step: for each word
    written, (its id, the weights it gave the positions of the image as a (g, g) grid)."""
    resize, encode, decoder = parts(captioner)
    features = encode(resize(image[None].astype("float32")), training=False)
    state = decoder.start(features)
    side = int(round(np.sqrt(features.shape[1])))
    words, written = np.array([START], "int32"), []
    for _ in range(decoder.max_length):
        _, weights = decoder.attend(state[0], state[2], state[3])  # where it looks for this word
        logits, state = decoder.step(words, state)
        word = int(np.argmax(keras.ops.convert_to_numpy(logits)[0]))
        if word == END:
            break
        grid = keras.ops.convert_to_numpy(weights)[0].reshape(side, side)
        written.append((word, grid))
        words = np.array([word], "int32")
    return written
