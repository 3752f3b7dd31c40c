"""Figures of a trained forecaster: the test period's forecasts and their errors."""

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from common import runs  # noqa: E402

from . import data  # noqa: E402
from .baselines import moving_average, persistence  # noqa: E402
from .config import Config  # noqa: E402

ZOOM_DAYS = 60  # the last trading days shown close up in forecast.png


def forecast(test: data.Part, predicted, config: Config, workdir: Path) -> Path:
    """The test period's actual closes and forecasts, and its last days close up with the
    baselines."""
    fig, axes = plt.subplots(2, 1, figsize=(12, 7))
    for ax, days in ((axes[0], slice(None)), (axes[1], slice(-ZOOM_DAYS, None))):
        ax.plot(test.dates[days], test.y[days], label="actual", color="k", lw=1)
        ax.plot(test.dates[days], predicted[days], label=f"{config.cell} forecast", lw=1)
        if days.start:  # the zoom: show the baselines too
            ax.plot(test.dates[days], persistence(test.last)[days], label="persistence", ls="--")
            ma = moving_average(test.x, config.moving_average)[days]
            ax.plot(test.dates[days], ma, label=f"{config.moving_average}-day average", ls=":")
        ax.set_ylabel(config.column)
        concise_dates(ax)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_title("test period: actual close and next-day forecast")
    axes[1].set_title(f"last {ZOOM_DAYS} trading days")
    return runs.save_figure(fig, Path(workdir) / "forecast.png")


def residuals(test: data.Part, predicted, workdir: Path) -> Path:
    """The forecast's errors over the test period and their spread beside persistence's."""
    model_err = predicted - test.y
    naive_err = persistence(test.last) - test.y
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    axes[0].plot(test.dates, model_err, lw=0.8, label="model")
    axes[0].axhline(0, color="k", lw=0.5)
    axes[0].set_title("forecast minus actual, test period")
    bins = np.linspace(*np.percentile(np.r_[model_err, naive_err], [0.5, 99.5]), 50)
    axes[1].hist(naive_err, bins=bins, alpha=0.6, label="persistence")
    axes[1].hist(model_err, bins=bins, alpha=0.6, label="model")
    axes[1].set_title("error distribution")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    concise_dates(axes[0])
    return runs.save_figure(fig, Path(workdir) / "residuals.png")


def concise_dates(ax) -> None:
    """Date ticks that do not overlap: years once, then months."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
