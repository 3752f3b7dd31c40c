"""Forecast the next trading day's close with a recurrent network, against naive baselines.

    python -m projects.stock_rnn.train [--cell=gru] [--target=close] [--csv=prices.csv] [--quick]
    python -m projects.stock_rnn.train --walk_forward=4

Writes runs/stock_rnn/<run-id>/ (see common/runs.py) with forecast.png and residuals.png.
"""

from pathlib import Path

import numpy as np

from common import runs, runtime
from common.config import parse_config
from common.errors import UserError, main_guard
from common.optimizers import build_optimizer

from . import NAME, data, figures
from .baselines import drift, forecast_metrics
from .config import Config
from .model import build_model, fit_stats, scaled_target

ZOOM_DAYS = 60  # the last trading days shown close up in forecast.png
MIN_WINDOW_DAYS = 5  # a walk-forward window shorter than a trading week measures nothing


def train_and_evaluate(config: Config, workdir: Path, verbose: int = 2) -> dict:
    """Train on the training period, stop on the validation period, measure on the test period."""
    runtime.setup(config.seed)
    prices = data.load_prices(config)
    parts = data.split(prices, config)
    train, val, test = parts["train"], parts["val"], parts["test"]
    if config.walk_forward > len(test.y) // MIN_WINDOW_DAYS:
        raise UserError(
            f"--walk_forward={config.walk_forward} leaves windows under {MIN_WINDOW_DAYS} days "
            f"in a test period of {len(test.y)} days; use at most "
            f"{len(test.y) // MIN_WINDOW_DAYS}"
        )
    train_prices = np.concatenate([train.x[0], train.y])  # the training period, day by day
    stats = fit_stats(train_prices, config.target)
    train_model, serve_model = build_model(config, stats)
    train_model.compile(
        optimizer=build_optimizer(
            config.optimizer, config.learning_rate, clipnorm=config.clipnorm or None
        ),
        loss="mse",
        metrics=["mae"],
    )
    print(
        f"{prices.name} {prices.index[0].date()}..{prices.index[-1].date()}: "
        f"train {len(train.y)}, validation {len(val.y)}, test {len(test.y)} days "
        f"(test from {test.dates[0].date()})"
    )
    train_model.fit(
        **runtime.batches_shuffled(
            train.x,
            scaled_target(train.y, train.last, stats, config.target),
            config.batch_size,
            config.seed,
            validation_data=(val.x, scaled_target(val.y, val.last, stats, config.target)),
        ),
        epochs=config.epochs,
        verbose=verbose,
        callbacks=runs.standard_callbacks(workdir, monitor="val_loss", patience=config.patience),
    )
    predicted = serve_model.predict(test.x, verbose=0)
    metrics = forecast_metrics(test.y, predicted, test.last, test.x, config.moving_average)
    drift_mae = np.mean(np.abs(drift(test.last, np.diff(np.log(train_prices)).mean()) - test.y))
    metrics["drift_mase"] = float(drift_mae / metrics["persistence_mae"])
    if config.walk_forward:
        metrics.update(walk_forward(config, train_model, serve_model, test, stats))
    figures.forecast(test, predicted, config, workdir)
    figures.residuals(test, predicted, workdir)
    runs.finish(workdir, serve_model, metrics, test.x[:8], title=f"{prices.name}, {config.cell}")
    return metrics


def walk_forward(config: Config, train_model, serve_model, test: data.Part, stats) -> dict:
    """Split the test period into K windows; forecast each, then fine-tune on it once it is past.

    The weights are put back afterwards, so the saved model is the one the test metrics describe.
    """
    saved = train_model.get_weights()
    scores = []
    for k, days in enumerate(np.array_split(np.arange(len(test.y)), config.walk_forward)):
        x, y, last = test.x[days], test.y[days], test.last[days]
        predicted = serve_model.predict(x, verbose=0)
        scores.append(forecast_metrics(y, predicted, last, x, config.moving_average)["mase"])
        print(f"walk-forward window {k + 1}: {test.dates[days[0]].date()}.., mase {scores[-1]:.4f}")
        train_model.fit(
            **runtime.batches_shuffled(
                x, scaled_target(y, last, stats, config.target), config.batch_size, config.seed + k
            ),
            epochs=config.finetune_epochs,
            verbose=0,
        )
    train_model.set_weights(saved)
    out = {f"walk_forward_mase_{k + 1}": s for k, s in enumerate(scores)}
    out["walk_forward_mase_mean"] = float(np.mean(scores))
    out["walk_forward_mase_std"] = float(np.std(scores))
    return out


@main_guard
def main(argv=None) -> None:
    config, flags = parse_config(Config, argv, __doc__)
    with runs.run_directory(NAME, Config, config, flags) as (config, workdir):
        m = train_and_evaluate(config, workdir)
    print(
        f"test MAE {m['test_mae']:.2f} vs persistence {m['persistence_mae']:.2f} "
        f"(mase {m['mase']:.4f}); direction right on {m['direction_accuracy']:.1%} of "
        f"{m['test_days']} days (always 'up': {m['always_up_accuracy']:.1%}); results in {workdir}"
    )


if __name__ == "__main__":
    main()
