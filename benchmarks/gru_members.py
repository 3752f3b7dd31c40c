"""Where the time of two networks in one process goes (text_lstm's --members=2) on a CPU.

    KERAS_BACKEND=jax python -m benchmarks.gru_members [--rounds 3] [--repeats 20]
    KERAS_BACKEND=tensorflow python -m benchmarks.gru_members     # the first part only
    KERAS_BACKEND=tensorflow python -m benchmarks.gru_members --members 1 2 3
    KERAS_BACKEND=tensorflow python -m benchmarks.gru_members --share_cores 2

Two parts, each on the default configuration's sizes (16 streams of 100 characters, GRU(448)):

1. Milliseconds per training step of the default training model with one network and with two
   (`--members=2`, trained as `make text` trains them; `--members` names other counts),
   alternating in one process, on either backend (TensorFlow runs the two networks at once,
   JAX one after the other). `--share_cores 2` sets the process up as text_lstm's training
   sets it up for two networks on TensorFlow (`runtime.share_cores`: each operation on half
   the cores; the one network then runs so too).
2. JAX only: the recurrent loop alone (`_gru_states`' forward and backward pass, the step's
   largest part): one network; two in turn in one compiled function, as a step of
   `--members=2` runs them; two at once, each on its own host device (XLA's CPU runtime made to
   show two devices); and one network's 16 streams split 8 + 8 over the two devices. With
   XLA's own threads for the products turned off (`XLA_FLAGS=--xla_cpu_multi_thread_eigen=false`)
   the loop takes as long: the products of one network run on one core.
"""

import os

# before JAX's runtime starts (at its first array): the CPU shown as two devices
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
).strip()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

from benchmarks.gru_step import WARM_UP, alternating_ms, first_batches  # noqa: E402
from common import runtime  # noqa: E402
from common.optimizers import build_optimizer  # noqa: E402
from projects.text_lstm import model  # noqa: E402
from projects.text_lstm.config import Config  # noqa: E402
from projects.text_lstm.train import training_loss  # noqa: E402


def step_ms(config: Config, args) -> dict[str, list[float]]:
    """Milliseconds per training step with each count of networks in `args.members`
    (one and two by default), alternating."""
    vocabulary, steps = first_batches(config, WARM_UP + args.steps * args.rounds)
    trainers = {}
    for members in args.members:
        c = dataclasses.replace(config, members=members)
        trainer = model.training_model(model.build_model(c, vocabulary), c, each_member=True)
        trainer.compile(
            optimizer=build_optimizer(c.optimizer, c.learning_rate, clipnorm=c.clipnorm / members),
            loss=training_loss(),
        )
        trainers[f"{members} network{'s' * (members > 1)}"] = trainer
    return alternating_ms(trainers, steps, args.rounds)


def loop_ms(config: Config, args) -> dict[str, list[float]]:
    """Milliseconds of the recurrent loop's forward and backward pass, in four arrangements."""
    t, b, u = config.window, config.batch_size, config.units
    rng = np.random.default_rng(0)

    def draw(*shape):
        return (rng.normal(size=shape) * 0.05).astype("float32")

    nets = [(draw(t, b, 3 * u), draw(b, u), draw(u, 3 * u), draw(3 * u)) for _ in range(2)]
    upstream = draw(t, b, u)

    def one(projected, h0, recurrent, bias, up):
        return jax.numpy.sum(model._gru_states(projected, h0, recurrent, bias) * up)

    grad = jax.jit(jax.grad(one, argnums=(0, 1, 2, 3)))
    in_turn = jax.jit(jax.grad(lambda a, c, up: one(*a, up) + one(*c, up), argnums=(0, 1)))
    devices = jax.devices()[:2]
    placed = [jax.device_put((*net, upstream), d) for net, d in zip(nets, devices, strict=True)]

    def shard(spec):
        return NamedSharding(Mesh(np.array(devices), ("streams",)), spec)

    split = jax.device_put(
        (*nets[0], upstream),
        (shard(P(None, "streams")), shard(P("streams")), shard(P()), shard(P()),
         shard(P(None, "streams"))),
    )  # fmt: skip
    forms = {
        "one network": lambda: grad(*nets[0], upstream),
        "two in turn": lambda: in_turn(nets[0], nets[1], upstream),
        "two at once, a device each": lambda: [grad(*p) for p in placed],
        "one, streams split over two devices": lambda: grad(*split),
    }
    ms = {name: [] for name in forms}
    for f in forms.values():
        jax.block_until_ready(f())
    for _ in range(args.rounds):
        for name, f in forms.items():
            start = time.perf_counter()
            for _ in range(args.repeats):
                out = f()
            jax.block_until_ready(out)
            ms[name].append((time.perf_counter() - start) / args.repeats * 1000)
    return ms


def show(title: str, ms: dict[str, list[float]]) -> None:
    base = statistics.median(next(iter(ms.values())))
    print(title)
    for name, values in ms.items():
        each = " ".join(f"{v:.0f}" for v in values)
        median = statistics.median(values)
        print(f"  {name:36s} median {median:6.1f} ms  x{median / base:.2f}  ({each})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20, help="training steps a round")
    parser.add_argument("--repeats", type=int, default=20, help="loops a round")
    parser.add_argument("--members", type=int, nargs="+", default=[1, 2],
                        help="the counts of networks whose training steps are timed")  # fmt: skip
    parser.add_argument(
        "--share_cores", type=int, default=1, help="runtime.share_cores(N) first, as N networks do"
    )
    args = parser.parse_args()
    shared = runtime.share_cores(args.share_cores)
    config = Config()
    backend = keras.backend.backend()
    cores = f", each operation on {shared} of them" if shared else ""
    print(f"keras {keras.__version__} on {backend}, {runtime.cpu_cores()} CPUs{cores}")
    show("training step (one process):", step_ms(config, args))
    if backend == "jax":
        show("recurrent loop, forward and backward:", loop_ms(config, args))
    else:
        print("(the recurrent loop's part measures JAX's runtime: KERAS_BACKEND=jax)")


if __name__ == "__main__":
    main()
