"""Daily prices: read a Yahoo-format CSV, split by time, cut windows inside each split.

The splits are chronological (train, then validation, then test) and windows are cut inside each
split, so no window crosses a boundary and nothing from a later period reaches an earlier one.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common import datasets
from common.errors import UserError

SERIES = {
    # name: (cached file, sha256 of the gzipped CSV, member of the arch wheel)
    "sp500": (
        "sp500.csv.gz",
        "1e028cbb9c400cc018c816ccc439b33c919387e726c3ed5ca2c05c82746059de",
        "arch/data/sp500/sp500.csv.gz",
    ),
    "nasdaq": (
        "nasdaq.csv.gz",
        "b2009535343ebb14e0aa11ed086788d2997a416ffe4f9450eed9a561ae30ac59",
        "arch/data/nasdaq/nasdaq.csv.gz",
    ),
}
UPSTREAM = "https://raw.githubusercontent.com/bashtage/arch/main/{member}"
ARCH_VERSION = "8.0.0"
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%Y")


def series_path(name: str) -> Path:
    """The cached CSV of a built-in series, fetched from upstream or the arch wheel if needed."""
    filename, sha256, member = SERIES[name]
    sources = [
        datasets.url_file(UPSTREAM.format(member=member)),
        datasets.pip_member("arch", ARCH_VERSION, member),
    ]
    return datasets.fetch(filename, sha256, sources)


def parse_dates(text: pd.Series, path) -> pd.DatetimeIndex:
    """Dates in one of the usual formats (the first that reads every row)."""
    for fmt in DATE_FORMATS:
        try:
            return pd.DatetimeIndex(pd.to_datetime(text, format=fmt))
        except (ValueError, TypeError):
            continue
    raise UserError(
        f"{path}: cannot read the Date column (e.g. {text.iloc[0]!r}); use YYYY-MM-DD or M/D/YYYY"
    )


def read_prices(path, column: str = "Close", min_rows: int = 2) -> pd.Series:
    """One price column of a Yahoo-format CSV as a float Series indexed by date, checked."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; give the path of a Yahoo-format CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        raise UserError(f"{path} is not a readable CSV: {str(err).splitlines()[0]}") from None
    for needed in ("Date", column):
        if needed not in frame.columns:
            found = ", ".join(map(str, frame.columns))
            raise UserError(f"{path} has no {needed!r} column (found: {found}); want Yahoo format")
    dates = parse_dates(frame["Date"].astype(str), path)
    if dates.has_duplicates:
        raise UserError(f"{path}: date {dates[dates.duplicated()][0].date()} appears twice")
    if not dates.is_monotonic_increasing:
        at = int(np.argmax(np.diff(dates.asi8) < 0)) + 1
        raise UserError(
            f"{path}: dates are not in increasing order at row {at + 2} "
            f"({dates[at].date()}); sort the file by Date, oldest first"
        )
    prices = pd.to_numeric(frame[column], errors="coerce")
    bad = prices.isna() | ~np.isfinite(prices) | (prices <= 0)
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raw = frame[column].iloc[row]
        raise UserError(
            f"{path}: {column} on {dates[row].date()} is {'empty' if pd.isna(raw) else raw}; "
            "prices must be positive numbers (drop or fill that row)"
        )
    if len(prices) < min_rows:
        raise UserError(f"{path} has {len(prices)} rows; this needs at least {min_rows}")
    return pd.Series(prices.to_numpy(dtype="float64"), index=dates, name=column)


def load_prices(config) -> pd.Series:
    path = Path(config.csv).expanduser() if config.csv else series_path(config.series)
    return read_prices(path, config.column, min_rows=minimum_rows(config))


def minimum_rows(config) -> int:
    """Each of the three splits needs one window and one target: lookback + 1 rows."""
    train_fraction = 1 - config.val_fraction - config.test_fraction
    shortest = min(config.val_fraction, config.test_fraction, train_fraction)
    return int(np.ceil((config.lookback + 1) / shortest))


def windows(prices: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All windows of `lookback` prices and the price of the day after each.

    Returns (x, y, last): x[i] = prices[i : i + lookback], y[i] = prices[i + lookback], and
    last[i] = x[i][-1], the price on the day the forecast is made.
    """
    prices = np.asarray(prices, dtype="float32")
    n = len(prices) - lookback
    if n < 1:
        raise UserError(f"{len(prices)} prices are too few for a {lookback}-day window")
    x = np.lib.stride_tricks.sliding_window_view(prices, lookback)[:n]
    y = prices[lookback:]
    return x.copy(), y.copy(), x[:, -1].copy()


@dataclass
class Part:
    dates: pd.DatetimeIndex  # the day each target price is for
    x: np.ndarray  # (n, lookback) raw prices
    y: np.ndarray  # (n,) the next day's price
    last: np.ndarray  # (n,) the price on the forecast day


def split(prices: pd.Series, config) -> dict[str, Part]:
    """Chronological train / val / test parts, windows cut inside each part only."""
    n = len(prices)
    n_test = int(round(n * config.test_fraction))
    n_val = int(round(n * config.val_fraction))
    bounds = {"train": (0, n - n_val - n_test), "val": (n - n_val - n_test, n - n_test)}
    bounds["test"] = (n - n_test, n)
    parts = {}
    for name, (start, stop) in bounds.items():
        segment = prices.iloc[start:stop]
        if len(segment) <= config.lookback:
            raise UserError(
                f"the {name} period has {len(segment)} days, too few for --lookback="
                f"{config.lookback}; use a longer CSV or a shorter lookback"
            )
        x, y, last = windows(segment.to_numpy(), config.lookback)
        parts[name] = Part(segment.index[config.lookback :], x, y, last)
    return parts
