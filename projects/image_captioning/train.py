"""Train a captioner (CNN encoder, LSTM decoder) and score its test captions with BLEU.

    python -m projects.image_captioning.train [--epochs=12] [--beam=3] [--quick]
    python -m projects.image_captioning.train --dataset=flickr8k --data_dir=path/to/Flickr8k

Writes runs/image_captioning/<run-id>/ (see common/runs.py) with captions.png (test images with
their captions), learning.png, test_captions.txt and vocabulary.json; model.keras and export/
take an image (any size, 0-255) and return word ids.
"""

import time
from pathlib import Path

import keras

from common import runs, runtime
from common.config import parse_config
from common.errors import main_guard
from common.optimizers import CosineSchedule, build_optimizer

from . import NAME, data, decoding, evaluate, figures
from .config import Config
from .model import build_models

PROGRESS_SECONDS = 30
FINAL_RATE_SHARE = 0.05  # the learning rate ends at this share of its peak
FIGURE_IMAGES = 12
ATTENTION_IMAGES = 4


def model_inputs(config: Config, captioner: keras.Model, splits: data.Splits) -> dict:
    """What the trainer's "image" input gets for each split: the images themselves (cnn), or
    the frozen backbone's features of them, computed once and cached (backbones.py)."""
    parts = {"train": splits.train, "val": splits.val, "test": splits.test}
    if config.encoder == "cnn":
        return {name: part.images for name, part in parts.items()}
    from .backbones import cached_features

    backbone = captioner.get_layer("encoder").get_layer("backbone")
    return {
        name: cached_features(backbone, config.encoder, part.images, what=name)
        for name, part in parts.items()
    }


class ValidationCaptions(keras.callbacks.Callback):
    """After each epoch: greedy captions of the validation images, their BLEU-4 into the logs
    (and so into history.csv), and a few of them printed, to watch the model learn. `fast`
    takes the trainer's inputs (images, or cached features)."""

    def __init__(self, fast, part: data.Captioned, inputs, vocabulary: data.Vocabulary, shown):
        super().__init__()
        self.fast, self.part, self.inputs = fast, part, inputs
        self.vocabulary, self.shown = vocabulary, shown

    def on_epoch_end(self, epoch, logs=None):
        ids = decoding.greedy_ids(self.fast, self.inputs)
        captions = [self.vocabulary.decode(row) for row in ids]
        score = evaluate.bleu(self.part.captions, captions)["bleu4"]
        if logs is not None:
            logs["val_bleu4"] = score
        loss = (logs or {}).get("val_loss", float("nan"))
        print(f"epoch {epoch + 1}: validation loss {loss:.3f}, BLEU-4 {score:.3f}", flush=True)
        for name, caption, refs in list(
            zip(self.part.names, captions, self.part.captions, strict=True)
        )[: self.shown]:
            print(f"  {name}: {caption!r} (reference: {refs[0]!r})", flush=True)


def train_and_evaluate(config: Config, workdir: Path, verbose: int = 2, extra_callbacks=()) -> dict:
    """Train with teacher forcing, then caption the test images and score them."""
    runtime.setup(config.seed, config.mixed_precision, config.jit_compile)
    start = time.time()
    splits = data.load(config)
    vocabulary = data.Vocabulary.build(splits.train.captions, config.min_count)
    print(
        f"{splits.source}: train {len(splits.train):,} images, validation {len(splits.val):,}, "
        f"test {len(splits.test):,} ({time.time() - start:.0f} s); vocabulary {len(vocabulary)} "
        f"words (min_count {config.min_count})"
    )
    runs.atomic_write_text(Path(workdir, "vocabulary.json"), data.json_words(vocabulary))
    trainer, captioner, fast = build_models(config, vocabulary.words)
    inputs = model_inputs(config, captioner, splits)
    train = data.Batches(splits.train, vocabulary, config, config.seed, inputs=inputs["train"])
    val = data.Batches(splits.val, vocabulary, config, config.seed, True, inputs["val"])
    trainer.compile(
        optimizer=build_optimizer(
            config.optimizer, config.learning_rate, clipnorm=config.clipnorm or None
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(  # mean over real words, not padding
            from_logits=True, reduction="mean_with_sample_weight"
        ),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="word_accuracy")],
        jit_compile=runtime.jit_compile(config.jit_compile),
    )
    progress = runs.Progress(
        len(train), config.epochs, config.batch_size, config.max_minutes, "images", "per word",
        every=PROGRESS_SECONDS, workdir=workdir,
    )  # fmt: skip
    # the rate falls along a cosine to FINAL_RATE_SHARE of its peak over the epochs, or over the
    # minutes of --max_minutes where those run out first (a slow machine): the last steps settle
    schedule = CosineSchedule(
        config.learning_rate,
        FINAL_RATE_SHARE * config.learning_rate,
        len(train) * config.epochs,
        config.max_minutes,
        clock=progress.seconds,
    )
    print(
        f"{config.epochs} epochs of {len(train)} steps ({config.batch_size} images each); "
        f"a progress line every {PROGRESS_SECONDS} s"
    )
    trainer.fit(
        train,
        shuffle=False,  # Batches draws each epoch's order itself; fit would shuffle it again
        validation_data=val,
        epochs=config.epochs,
        verbose=0,  # Progress prints a line every 30 s instead
        callbacks=[
            progress,  # before the schedule, which reads its clock
            schedule,
            ValidationCaptions(fast, splits.val, inputs["val"], vocabulary, config.samples),
            *extra_callbacks,
            *runs.standard_callbacks(workdir, monitor="val_loss"),
        ],
    )
    seconds = time.time() - start
    test = splits.test
    if config.beam == 1:
        ids = decoding.greedy_ids(fast, inputs["test"])
    else:
        ids = decoding.caption_ids(captioner, test.images, config.beam)
    captions = [vocabulary.decode(row) for row in ids]
    test_loss = trainer.evaluate(
        data.Batches(test, vocabulary, config, config.seed, True, inputs["test"]),
        verbose=0,
        return_dict=True,
    )
    history = runs.read_history(workdir)
    metrics = {
        **evaluate.bleu(test.captions, captions),
        **evaluate.baseline(splits.train.captions, test.captions),
        "exact_share": evaluate.exact_share(test.captions, captions),
        **(evaluate.scene_errors(test.captions, captions) if config.dataset == "scenes" else {}),
        "test_loss": float(test_loss["loss"]),
        "test_word_accuracy": float(test_loss["word_accuracy"]),
        "beam": config.beam,
        "test_images": len(test),
        "vocabulary_size": len(vocabulary),
        "fit_seconds": seconds,  # wall time of `fit` in this process, its evaluations included
        "train_minutes": progress.seconds() / 60,  # training alone, a resume's earlier part too
        "epochs_run": len(history.get("epoch", [])),
    }
    lines = [
        f"{n}\t{c}\t{' | '.join(r)}"
        for n, c, r in zip(test.names, captions, test.captions, strict=True)
    ]
    runs.atomic_write_text(Path(workdir, "test_captions.txt"), "\n".join(lines) + "\n")
    shown = min(FIGURE_IMAGES, len(test))
    figures.captioned_images(
        test.images[:shown], captions[:shown], test.captions[:shown], Path(workdir, "captions.png")
    )
    figures.learning(history, Path(workdir, "learning.png"))
    if config.decoder == "attention":
        shown = test.images[:ATTENTION_IMAGES]
        steps = [decoding.attention_weights(captioner, image) for image in shown]
        figures.attention_maps(shown, steps, vocabulary, Path(workdir, "attention.png"))
    runs.finish(
        workdir, captioner, metrics, test.images[:4].astype("float32"), title="image_captioning"
    )
    return metrics


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        m = train_and_evaluate(config, workdir)
    print(
        f"test BLEU-1 {m['bleu1']:.3f}, BLEU-4 {m['bleu4']:.3f} (beam {m['beam']}; one caption for "
        f"all: {m['baseline_bleu4']:.3f}); {m['exact_share']:.1%} of the captions are one of "
        f"the references; results in {workdir}"
    )


if __name__ == "__main__":
    main()
