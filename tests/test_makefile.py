"""The Makefile's help lists every documented target, names with digits (word2vec) included."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_help_lists_every_documented_target():
    documented = re.findall(r"^([^\s:#]+):[^\n]*## ", (ROOT / "Makefile").read_text(), re.M)
    assert "word2vec" in documented and "help" in documented
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    listed = re.findall(r"^  make (\S+)", shown, re.M)
    assert set(documented) <= set(listed), set(documented) - set(listed)
