import dataclasses
from dataclasses import dataclass
from typing import Literal

import pytest

from common.config import build_parser, load_config, parse_config, save_config
from common.errors import UserError


@dataclass
class Toy:
    units: tuple[int, ...] = (8, 4)  # two layers
    rate: float = 0.1  # the step
    kind: Literal["a", "b"] = "a"  # which one
    flag: bool = False  # a switch
    seed: int = 0  # reproducibility

    def quick(self):
        return dataclasses.replace(self, units=(2,), rate=0.5)

    def validate(self):
        if self.rate <= 0:
            raise UserError("--rate must be positive")


def test_overrides_are_typed():
    config, flags = parse_config(Toy, ["--units=3,2,1", "--rate=0.02", "--kind=b", "--flag=yes"])
    assert config == Toy(units=(3, 2, 1), rate=0.02, kind="b", flag=True)
    assert flags["overrides"] == {"units": (3, 2, 1), "rate": 0.02, "kind": "b", "flag": True}


def test_quick_preset_then_explicit_flags_win():
    config, _ = parse_config(Toy, ["--quick", "--rate=0.3"])
    assert config.units == (2,) and config.rate == 0.3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--nope=1"], "unrecognized arguments: --nope=1"),
        (["--rate=fast"], "--rate: expected float, got 'fast'"),
        (["--kind=c"], "invalid choice: 'c'"),
        (["--flag=maybe"], "--flag: expected true or false"),
        (["--units=2,x"], "--units: expected comma-separated int"),
    ],
)
def test_bad_flags_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(Toy, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_validate_runs_after_parsing():
    with pytest.raises(UserError, match="positive"):
        parse_config(Toy, ["--rate=-1"])


def test_help_shows_the_reason_and_default():
    text = build_parser(Toy, "toy").format_help()
    assert "the step (default: 0.1)" in text
    assert "two layers (default: 8,4)" in text


def test_config_json_round_trip(tmp_path):
    original = Toy(units=(5, 6), kind="b")
    save_config(original, tmp_path / "config.json")
    assert load_config(Toy, tmp_path / "config.json") == original
