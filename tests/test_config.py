import dataclasses
import importlib
from dataclasses import dataclass
from typing import ClassVar, Literal

import pytest

from common.config import (
    COUNT,
    POSITIVE,
    SEED,
    Range,
    build_parser,
    check_config,
    load_config,
    numeric_fields,
    parse_config,
    save_config,
)
from common.errors import UserError
from projects.image_captioning.config import Config as CaptionConfig
from projects.iris.config import Config as IrisConfig
from projects.mnist_cnn.config import Config as MnistConfig
from projects.stock_rnn.config import Config as StockConfig
from projects.text_lstm.config import Config as TextConfig
from projects.word2vec.config import Config as Word2VecConfig
from projects.xor.config import Config as XorConfig

TEMPLATE_CONFIGS = [XorConfig, IrisConfig, MnistConfig, StockConfig, TextConfig, Word2VecConfig]


@dataclass
class Toy:
    units: tuple[int, ...] = (8, 4)  # two layers
    rate: float = 0.1  # the step
    kind: Literal["a", "b"] = "a"  # which one
    flag: bool = False  # a switch
    seed: int = 0  # reproducibility

    RANGES: ClassVar[dict[str, Range]] = {"units": COUNT, "rate": POSITIVE, "seed": SEED}
    PRESETS: ClassVar[dict[str, dict]] = {"wide": {"units": (64, 32), "kind": "b"}}

    def quick(self):
        return dataclasses.replace(self, units=(2,), rate=0.5)

    def validate(self):
        if self.kind == "b" and len(self.units) > 2:
            raise UserError("--kind=b takes at most two --units")


def test_overrides_are_typed():
    config, flags = parse_config(Toy, ["--units=3,2", "--rate=0.02", "--kind=b", "--flag=yes"])
    assert config == Toy(units=(3, 2), rate=0.02, kind="b", flag=True)
    assert flags["overrides"] == {"units": (3, 2), "rate": 0.02, "kind": "b", "flag": True}


def test_quick_preset_then_explicit_flags_win():
    config, _ = parse_config(Toy, ["--quick", "--rate=0.3"])
    assert config.units == (2,) and config.rate == 0.3


def test_a_preset_applies_before_quick_and_explicit_flags():
    config, flags = parse_config(Toy, ["--preset=wide"])
    assert config == Toy(units=(64, 32), kind="b") and flags["preset"] == "wide"
    config, flags = parse_config(Toy, ["--preset=wide", "--quick", "--kind=a"])
    assert config == Toy(units=(2,), rate=0.5, kind="a")  # quick's units, the flag's kind
    assert flags["overrides"] == {"kind": "a"}  # the preset is not an override
    assert "wide: --units=64,32 --kind=b" in build_parser(Toy, "").format_help()


def test_a_preset_cannot_restart_a_resumed_run(tmp_path):
    from common.runs import run_directory

    _, flags = parse_config(Toy, ["--preset=wide", "--resume", f"--runs_dir={tmp_path}"])
    with pytest.raises(UserError, match="drop the other flags"):
        with run_directory("toy", Toy, Toy(), flags):
            pass


@pytest.mark.parametrize("config_cls", [*TEMPLATE_CONFIGS, CaptionConfig])
def test_every_template_preset_names_real_fields_with_valid_values(config_cls):
    for name, values in getattr(config_cls, "PRESETS", {}).items():
        config, _ = parse_config(config_cls, [f"--preset={name}"])  # a wrong field: TypeError
        assert all(getattr(config, k) == v for k, v in values.items())
        check_config(config)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--preset=tall"], "invalid choice: 'tall'"),
        (["--nope=1"], "unrecognized arguments: --nope=1"),
        (["--rate=fast"], "--rate: expected float, got 'fast'"),
        (["--kind=c"], "invalid choice: 'c'"),
        (["--flag=maybe"], "--flag: expected true or false"),
        (["--units=2,x"], "--units: expected comma-separated int"),
        (["--rat=0.5"], "unrecognized arguments: --rat=0.5"),  # no abbreviations
        (["--see=1"], "unrecognized arguments: --see=1"),
    ],
)
def test_bad_flags_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(Toy, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_validate_runs_after_parsing():
    with pytest.raises(UserError, match="at most two"):
        parse_config(Toy, ["--kind=b", "--units=1,2,3"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--rate=0"], "--rate=0.0 is out of range: it must be > 0"),
        (["--rate=nan"], "--rate=nan is out of range"),
        (["--rate=inf"], "--rate=inf is out of range"),
        (["--seed=-1"], "--seed=-1 is out of range: it must be >= 0 and <= 4294967295"),
        (["--seed=1099511627776"], "--seed=1099511627776 is out of range"),
        (["--units=4,0"], "--units=0 is out of range: it must be >= 1"),
    ],
)
def test_out_of_range_values_are_refused_with_one_line(argv, message):
    with pytest.raises(UserError) as info:
        parse_config(Toy, argv)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_negative_numbers_in_any_notation_are_values():
    parser = build_parser(Toy, "toy")
    parser.add_argument("values", nargs="*")
    args = parser.parse_args(["--rate=0.1", "1e30", "-1e30", "-.5", "-3"])
    assert args.values == ["1e30", "-1e30", "-.5", "-3"]


def outside(bounds: Range, current):
    """Values just outside a range (for int fields, whole numbers)."""
    whole = isinstance(current, int)
    values = []
    if bounds.low is not None:
        values.append(bounds.low if bounds.low_open else bounds.low - (1 if whole else 1e-3))
    if bounds.high is not None:
        values.append(bounds.high if bounds.high_open else bounds.high + (1 if whole else 1e-3))
    if not whole:
        values.append(float("nan"))
    return values


@pytest.mark.parametrize("config_cls", TEMPLATE_CONFIGS, ids=lambda c: c.__module__)
def test_every_numeric_field_of_every_template_is_range_checked(config_cls):
    names = numeric_fields(config_cls)
    assert names and set(names) <= set(config_cls.RANGES)
    defaults = config_cls()
    parse_config(config_cls, [])  # the defaults pass
    for name in names:
        current = getattr(defaults, name)
        sample = current[0] if isinstance(current, tuple) else current
        for value in outside(config_cls.RANGES[name], sample):
            if isinstance(sample, int):
                value = int(value)
            with pytest.raises(UserError) as info:
                parse_config(config_cls, [f"--{name}={value}"])
            message = str(info.value)
            assert f"--{name}=" in message and "\n" not in message, (name, value, message)


def test_help_shows_the_reason_and_default():
    text = build_parser(Toy, "toy").format_help()
    assert "the step (default: 0.1)" in text
    assert "two layers (default: 8,4)" in text


@pytest.mark.parametrize(
    "template",
    ["xor", "iris", "mnist_cnn", "stock_rnn", "text_lstm", "word2vec", "image_captioning"],
)
def test_every_template_prints_its_help(template):
    config = importlib.import_module(f"projects.{template}.config")
    text = build_parser(config.Config, template).format_help()  # a % in a comment broke it once
    assert "--quick" in text and "(default: " in text
    if template == "xor":
        assert "Adam reaches 100% well before this" in text


def test_config_json_round_trip(tmp_path):
    original = Toy(units=(5, 6), kind="b")
    save_config(original, tmp_path / "config.json")
    assert load_config(Toy, tmp_path / "config.json") == original
