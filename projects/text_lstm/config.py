"""Hyperparameters of the character-level language model; each comment gives its reason."""

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, Literal

from common.config import COUNT, FRACTION, NON_NEGATIVE, POSITIVE, SEED, Range
from common.optimizers import OptimizerName

# how the training text becomes batches (data.py): truncated BPTT in order, the same chunks
# shuffled with the state still carried, or independent windows from a zero state
Batching = Literal["streams", "shuffled_streams", "windows"]


@dataclass
class Config:
    text: str = ""  # a UTF-8 file or a folder of .txt files; empty: Shakespeare's complete works
    val_fraction: float = 0.1  # held out from the end: whole files (plays) where there are several
    train_chars: int = 0  # use only the first N training characters (0: all); for quick runs
    val_chars: int = 0  # measure on only the first N held-out characters (0: all)
    cell: Literal["lstm", "gru"] = "gru"  # 3 gates, not the LSTM's 4: wider for the same CPU time
    layers: int = 1  # one wide layer learns faster per CPU second than two narrow ones
    units: int = 448  # a little narrower than an LSTM(384)'s cost: more characters in 15 minutes
    update_bias: float = 0.0  # the GRU's update gates' first bias: 0 (Keras's) keeps about half
    embedding_dim: int = 64  # about as many as there are characters
    members: int = 2  # networks averaged; on TensorFlow the two train at once, a core each
    dropout: float = 0.0  # 2-3 passes over 4.5M characters do not overfit; 0.2-0.3 for more
    input_dropout: float = 0.0  # dropout on the embedded characters, before the first layer
    recurrent_dropout: float = 0.0  # drops parts of the fed-back state (one mask per window)
    weight_drop: float = 0.0  # drops recurrent weights, one mask a batch: no cost in speed
    batching: Batching = "shuffled_streams"  # streams: in order; shuffled: learned faster (README)
    state_reset: float = 0.1  # chance per chunk that a stream restarts from a zero state
    window: int = 100  # k: characters per chunk, the steps gradients flow back through
    batch_size: int = 16  # parallel streams: more, smaller steps learn faster per CPU second
    optimizer: OptimizerName = "adam"  # rmsprop is the classic for RNNs; adam learns as fast
    learning_rate: float = 4e-3  # peak of the cosine schedule (over the epochs or the minutes)
    final_learning_rate: float = 2e-4  # where the cosine schedule ends: the last steps settle
    warmup_steps: int = 100  # the rate rises to its peak over the first steps: no bad start
    clipnorm: float = 1.0  # clip each gradient's norm: the course's cure for exploding gradients
    weight_decay: float = 0.0  # decoupled (AdamW's): weights shrink by this x the rate each step
    ema: float = 0.0  # momentum of a moving average of the weights, measured and saved (0: none)
    confidence_penalty: float = 0.0  # loss less this x each prediction's entropy (0: none)
    epochs: int = 3  # a bound: two networks pass about 2.5 times in the 15 minutes here (README)
    max_minutes: float = 15.0  # stop after this many minutes, the schedule ending then (0: none)
    keep_best: bool = False  # end with the epoch of lowest held-out loss, not the last (README)
    backup_minutes: float = 2.0  # back up this often, within an epoch or at its end (0: each end)
    sample_length: int = 200  # characters generated after each epoch, to watch the model learn
    mixed_precision: bool = False  # float16 compute on a GPU (ignored on a CPU)
    jit_compile: bool = False  # XLA on a GPU with TensorFlow (on a CPU Keras decides)
    seed: int = 0  # fixes initial weights, window offsets and the samples

    RANGES: ClassVar[dict[str, Range]] = {
        "val_fraction": Range(0, 0.5, low_open=True, high_open=True),
        "train_chars": NON_NEGATIVE,  # 0: all
        "val_chars": NON_NEGATIVE,  # 0: all
        "layers": COUNT,
        "units": COUNT,
        "embedding_dim": COUNT,
        "members": Range(1, 8),
        "update_bias": Range(0, 10),  # 0: Keras's start
        "dropout": FRACTION,
        "input_dropout": FRACTION,
        "recurrent_dropout": FRACTION,
        "weight_drop": FRACTION,
        "state_reset": Range(0, 1),
        "window": Range(2),  # one step has nothing to carry
        "batch_size": COUNT,
        "learning_rate": POSITIVE,
        "final_learning_rate": NON_NEGATIVE,
        "warmup_steps": NON_NEGATIVE,
        "clipnorm": NON_NEGATIVE,  # 0: no clipping
        "weight_decay": NON_NEGATIVE,
        "ema": Range(0, 1, high_open=True),  # 0: none
        "confidence_penalty": Range(0, 1),  # 0: none
        "epochs": COUNT,
        "max_minutes": NON_NEGATIVE,  # 0: no limit
        "backup_minutes": NON_NEGATIVE,  # 0: at the end of each epoch only
        "sample_length": NON_NEGATIVE,  # 0: no samples during training
        "seed": SEED,
    }

    PRESETS: ClassVar[dict[str, dict]] = {
        # one LSTM of about one default GRU's cost (EXPERIMENTS.md: 1.479 nats in 12.9 minutes)
        "lstm": {"cell": "lstm", "units": 384, "members": 1},
        # one GPU: two wide GRU layers, dropout, weight decay, weight drop and averaged
        # weights, on wide batches of random windows, XLA, the best epoch kept (benchmarks/gpu.sh;
        # README: this run reached 1.3138 nats on an H200, the lowest of every GPU run so far)
        "gpu": {
            "cell": "gru",  # named: every GPU figure so far is of GRU layers (README)
            "layers": 2,
            "units": 1536,
            "members": 1,  # as measured (the next GPU call tries 2: gpu.md)
            "dropout": 0.3,
            "input_dropout": 0.2,
            "weight_decay": 0.3,
            "weight_drop": 0.2,  # holds the wide network from overfitting as fast
            "ema": 0.995,
            "batching": "windows",
            "window": 128,
            "batch_size": 256,
            "learning_rate": 2e-3,
            "final_learning_rate": 1e-4,
            "warmup_steps": 0,  # as measured; a warm-up is untried on a GPU
            "epochs": 100,  # a bound: the schedule spans the minutes (47 epochs on an H200)
            "max_minutes": 4.2,  # as measured; its best epoch came at 2.6 minutes
            "keep_best": True,  # every long GPU run overfits before its end
            "jit_compile": True,
            "sample_length": 300,
        },
    }

    def quick(self) -> "Config":
        return dataclasses.replace(
            self,
            train_chars=20_000,
            val_chars=4_000,
            units=32,
            embedding_dim=16,
            window=25,
            batch_size=16,
            epochs=2,
            warmup_steps=10,  # of the run's 100 steps
            sample_length=40,
        )

    def validate(self) -> None:
        from common.errors import UserError

        if self.final_learning_rate > self.learning_rate:
            raise UserError(
                f"--final_learning_rate={self.final_learning_rate} is above "
                f"--learning_rate={self.learning_rate}; the schedule only decays"
            )
