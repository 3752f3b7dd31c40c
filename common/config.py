"""Dataclass configs and the strict command line every template shares.

A template's config.py holds one dataclass whose fields are its hyperparameters, each with an
inline comment giving its reason, and a `quick()` method returning the seconds-long variant.
Named settings beside the defaults live in an optional `PRESETS` dict ({name: {field: value}},
a comment above each saying what it is for), chosen with `--preset NAME` and listed by --help.
`parse_config` turns `--field=value` flags into that dataclass; the inline comments become the
`--help` text, so the reason for each default is written once.

Every numeric field has a range in the dataclass's `RANGES` (a test checks that none is
missing); `check_config` refuses a value outside it, or a NaN or infinity, with one line, before
anything is written. Cross-field rules stay in the dataclass's own `validate()`.
"""

import argparse
import dataclasses
import inspect
import json
import math
import re
import types
import typing
from pathlib import Path

from common.errors import EXIT_USAGE, UserError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (argparse alone prints the whole usage block first), no
    abbreviated flags (`--epoch` must not silently mean `--epochs`), and negative numbers in any
    notation (`-1e30`, `-.5`) read as values rather than as flags."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(
            r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE
        )

    def error(self, message):
        self.exit(EXIT_USAGE, f"error: {message} (see --help)\n")


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a numeric setting may take: low and high bounds, each inclusive or not."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: the value must be above `low`, not equal to it
    high_open: bool = False

    def __contains__(self, value) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True

    def __str__(self) -> str:
        def number(v) -> str:
            return str(v) if isinstance(v, int) else f"{v:g}"

        low = None if self.low is None else f"{'>' if self.low_open else '>='} {number(self.low)}"
        high = (
            None if self.high is None else f"{'<' if self.high_open else '<='} {number(self.high)}"
        )
        return " and ".join(part for part in (low, high) if part) or "a finite number"


POSITIVE = Range(0, low_open=True)  # learning rates, clipping norms
COUNT = Range(1)  # epochs, units, batch sizes
NON_NEGATIVE = Range(0)  # optional counts where 0 switches something off
FRACTION = Range(0, 1, high_open=True)  # dropout and other shares in [0, 1)
SEED = Range(0, 2**32 - 1)  # what numpy and Keras accept as a seed


def numeric_fields(config_cls) -> list[str]:
    """Fields holding numbers (int or float, or tuples of them), which need a range."""
    hints = typing.get_type_hints(config_cls)

    def numeric(tp) -> bool:
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            return any(numeric(a) for a in typing.get_args(tp) if a is not type(None))
        if typing.get_origin(tp) in (tuple, list):
            return any(numeric(a) for a in typing.get_args(tp) if a is not Ellipsis)
        return tp in (int, float)

    return [f.name for f in dataclasses.fields(config_cls) if numeric(hints[f.name])]


def check_config(config) -> None:
    """Refuse out-of-range numbers with one line, then run the config's own `validate()`."""
    ranges = getattr(config, "RANGES", {})
    for name in numeric_fields(type(config)):
        if name not in ranges:
            raise TypeError(f"{type(config).__name__}.RANGES has no range for {name!r}")
        value = getattr(config, name)
        for item in value if isinstance(value, tuple) else (value,):
            if item is not None and item not in ranges[name]:
                raise UserError(f"--{name}={item} is out of range: it must be {ranges[name]}")
    if hasattr(config, "validate"):
        config.validate()


def _field_comments(cls) -> dict[str, str]:
    """Map each field of a dataclass to the inline comment written beside it in its source."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    pattern = re.compile(r"^\s+(\w+)\s*:[^=#]+=[^#]*#\s*(.+)$")
    return {m[1]: m[2].strip() for m in map(pattern.match, source.splitlines()) if m}


def _parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


_parse_bool.__name__ = "true or false"


def _converter(tp):
    """Return (function from text to value, choices or None) for a field's type annotation."""
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        choices = typing.get_args(tp)
        return type(choices[0]), choices
    if origin in (tuple, list):
        (item, *_rest) = typing.get_args(tp) or (str,)
        convert_item, _ = _converter(item)

        def convert_seq(text: str):
            parts = [p for p in text.replace(" ", "").split(",") if p]
            return tuple(convert_item(p) for p in parts)

        convert_seq.__name__ = f"comma-separated {getattr(convert_item, '__name__', 'values')}"
        return convert_seq, None
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        convert_inner, choices = _converter(inner[0])
        return (lambda text: None if text.lower() in ("", "none") else convert_inner(text)), choices
    if tp is bool:
        return _parse_bool, None
    return tp, None


def _typed(convert, name):
    """Wrap a converter so argparse reports which field was given a bad value."""

    def parse(text: str):
        try:
            return convert(text)
        except (TypeError, ValueError):
            expected = getattr(convert, "__name__", "a value")
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    parse.__name__ = name
    return parse


def _shown(value) -> str:
    """A value as it is written on the command line (tuples comma-separated)."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def build_parser(config_cls, description: str) -> argparse.ArgumentParser:
    """An argparse parser with one `--field` per dataclass field, plus the run flags."""
    parser = Parser(description=description, formatter_class=argparse.RawTextHelpFormatter)
    comments = _field_comments(config_cls)
    hints = typing.get_type_hints(config_cls)
    defaults = config_cls()
    for field in dataclasses.fields(config_cls):
        convert, choices = _converter(hints[field.name])
        default = getattr(defaults, field.name)
        help_text = f"{comments.get(field.name, '')} (default: {_shown(default)})".strip()
        help_text = help_text.replace("%", "%%")  # argparse formats help with %: "100%" is text
        parser.add_argument(
            f"--{field.name}",
            type=_typed(convert, field.name),
            choices=choices,
            default=argparse.SUPPRESS,
            help=help_text,
            metavar=type(default).__name__.upper() if choices is None else None,
        )
    presets = getattr(config_cls, "PRESETS", {})
    if presets:
        listed = "\n".join(
            f"  {name}: " + " ".join(f"--{k}={_shown(v)}" for k, v in values.items())
            for name, values in presets.items()
        )
        parser.add_argument(
            "--preset",
            choices=list(presets),
            default=None,
            help=f"named settings from config.py (explicit flags win over them):\n{listed}",
        )
    parser.add_argument(
        "--quick", action="store_true", help="seconds-long preset: tiny data, model and epochs"
    )
    parser.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        default=None,
        metavar="RUN_DIR",
        help="finish an interrupted run (default: the latest one) from its last finished epoch",
    )
    parser.add_argument(
        "--runs_dir", default="runs", help="where run directories go (default: runs)"
    )
    return parser


def parse_config(config_cls, argv=None, description: str = ""):
    """Parse `--field=value` flags into (config, run flags).

    `--preset NAME` applies a named preset to the defaults, then `--quick` the config's quick
    variant; explicit flags win over both.
    """
    parser = build_parser(config_cls, description)
    args = vars(parser.parse_args(argv))
    preset = args.pop("preset", None)
    quick = args.pop("quick")
    resume = args.pop("resume")
    runs_dir = args.pop("runs_dir")
    config = config_cls()
    if preset:
        config = dataclasses.replace(config, **config_cls.PRESETS[preset])
    if quick:
        config = config.quick()
    config = dataclasses.replace(config, **args)
    check_config(config)
    return config, {
        "resume": resume,
        "runs_dir": runs_dir,
        "overrides": args,
        "quick": quick,
        "preset": preset,
    }


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


def save_config(config, path: Path) -> None:
    Path(path).write_text(json.dumps(to_dict(config), indent=2) + "\n")


def load_config(config_cls, path: Path):
    """Read a config.json written by `save_config` back into its dataclass."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"cannot read the run's config {path}: {err}") from None
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(data) - names
    if unknown:
        raise UserError(f"{path} has fields this template does not know: {sorted(unknown)}")
    hints = typing.get_type_hints(config_cls)
    for name, value in data.items():
        if isinstance(value, list):
            data[name] = tuple(value)
        elif typing.get_origin(hints[name]) in (tuple, list) and value is not None:
            data[name] = tuple(value)
    return config_cls(**data)
