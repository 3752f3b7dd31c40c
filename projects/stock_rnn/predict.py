"""Forecast the next trading day's price from the last days of a Yahoo-format CSV.

    python -m projects.stock_rnn.predict prices.csv
    python -m projects.stock_rnn.predict --run runs/stock_rnn/<run-id> prices.csv

Uses the run's lookback and price column (from its config.json); the exported model does the
scaling itself, so it gets the raw prices of the last `lookback` rows.
"""

import argparse

import numpy as np
import pandas as pd

from common import runs
from common.config import Parser, load_config
from common.errors import main_guard
from common.export import load_for_inference

from . import (
    NAME,
    model,  # noqa: F401 (registers the custom layers of model.keras)
)
from .config import Config
from .data import read_prices


def forecast(workdir, csv_path) -> dict:
    config = load_config(Config, workdir / "config.json")
    prices = read_prices(csv_path, config.column, min_rows=config.lookback)
    window = prices.to_numpy(dtype="float32")[-config.lookback :][None, :]
    predicted = float(np.asarray(load_for_inference(workdir)(window)).ravel()[0])
    last_date = prices.index[-1]
    return {
        "column": config.column,
        "last_date": last_date.date(),
        "last_price": float(prices.iloc[-1]),
        "date": (last_date + pd.offsets.BDay(1)).date(),  # the next weekday; holidays unknown
        "forecast": predicted,
    }


@main_guard
def main(argv=None) -> None:
    parser = Parser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--run", default=None, help="run directory (default: the latest run)")
    parser.add_argument("csv", help="Yahoo-format CSV: Date, Open, High, Low, Close, ...")
    args = parser.parse_args(argv)
    f = forecast(runs.resolve_run(NAME, args.run), args.csv)
    change = f["forecast"] / f["last_price"] - 1
    print(
        f"{f['column']} forecast for {f['date']} (the next weekday): {f['forecast']:.2f} "
        f"({change:+.2%} on {f['last_price']:.2f} of {f['last_date']})"
    )


if __name__ == "__main__":
    main()
