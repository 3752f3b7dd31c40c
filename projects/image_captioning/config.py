"""Hyperparameters of the image captioner; each comment gives its reason."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, NON_NEGATIVE, POSITIVE, SEED, Range
from common.optimizers import OptimizerName


@dataclass
class Config:
    dataset: Literal["scenes", "flickr8k", "coco"] = "scenes"  # scenes: generated, offline
    data_dir: str = ""  # flickr8k / coco: the folder in the dataset's standard layout
    train_scenes: int = 12_000  # generated scenes to train on (each with five captions)
    val_scenes: int = 500  # watched after each epoch (loss, BLEU-4, a few captions)
    test_scenes: int = 1_000  # measured once at the end
    image_size: int = 64  # images are resized to this square; the scenes are drawn at it
    min_count: int = 2  # rarer caption words become <unk>: too few examples to learn them
    max_length: int = 20  # words in a generated caption (the longest scene caption has 17)
    # cnn: small, trained from scratch (enough for the scenes); or a pretrained ImageNet network,
    # frozen, its features cached: efficientnet_lite0 (offline), mobilenet_v2, efficientnet_b0,
    # resnet50 (keras.applications: weights downloaded, a network needed). For real photos.
    encoder: Literal["cnn", "efficientnet_lite0", "mobilenet_v2", "efficientnet_b0", "resnet50"] = (
        "cnn"
    )
    # show_tell: the image vector starts the LSTM; attention: the decoder looks at every position
    # of the image again before each word (Show, Attend and Tell)
    decoder: Literal["show_tell", "attention"] = "show_tell"
    filters: int = 16  # the cnn encoder's first convolution; each later block doubles it
    features: int = 256  # size of the image vector the decoder starts from
    embedding_dim: int = 64  # size of a word vector; the scenes' vocabulary has about 25 words
    units: int = 256  # LSTM units of the decoder
    dropout: float = 0.2  # on the image vector and the word vectors, against memorizing
    batch_size: int = 64  # images per step, each with one of its captions drawn at random
    optimizer: OptimizerName = "adam"
    learning_rate: float = 2e-3  # peak of the cosine schedule
    clipnorm: float = 1.0  # recurrent decoders can spike; clip each gradient's norm
    epochs: int = 14  # passes over the training images (40 to 65 s each on a 2-core CPU); 14
    # scored 0.08 BLEU-4 above 8 at two seeds, and fits the 15 minutes (README, Results)
    max_minutes: float = 15.0  # stop training after this many minutes (0: no limit)
    beam: int = 1  # beam width for the test captions (1: greedy, as the exported model does)
    samples: int = 3  # validation captions printed after each epoch
    mixed_precision: bool = False  # float16 compute on a GPU (ignored on a CPU)
    jit_compile: bool = False  # XLA on a GPU with TensorFlow (on a CPU Keras decides)
    seed: int = 0  # fixes the scenes, the weights and the caption drawn per image

    RANGES: ClassVar[dict[str, Range]] = {
        "train_scenes": COUNT,
        "val_scenes": COUNT,
        "test_scenes": COUNT,
        "image_size": Range(16, 512),
        "min_count": COUNT,
        "max_length": Range(2, 200),
        "filters": COUNT,
        "features": COUNT,
        "embedding_dim": COUNT,
        "units": COUNT,
        "dropout": FRACTION,
        "batch_size": COUNT,
        "learning_rate": POSITIVE,
        "clipnorm": NON_NEGATIVE,  # 0: no clipping
        "epochs": COUNT,
        "max_minutes": NON_NEGATIVE,  # 0: no limit
        "beam": Range(1, 50),
        "samples": NON_NEGATIVE,
        "seed": SEED,
    }

    def quick(self) -> "Config":
        return dataclasses.replace(
            self,
            train_scenes=512,
            val_scenes=32,
            test_scenes=32,
            image_size=32,
            filters=8,
            features=32,
            embedding_dim=16,
            units=32,
            batch_size=32,
            epochs=3,
            samples=1,
        )

    def validate(self) -> None:
        from common.errors import UserError

        if self.dataset != "scenes" and not self.data_dir:
            raise UserError(
                f"--dataset={self.dataset} reads the dataset from your disk: give its folder "
                "with --data_dir (see projects/image_captioning/README.md)"
            )
        if self.image_size % 8 and self.encoder == "cnn":
            raise UserError(
                f"--image_size={self.image_size} must be a multiple of 8 (the encoder halves it "
                "three times; a pretrained --encoder takes any size)"
            )
