"""The Makefile's help lists every documented target, names with digits (word2vec) included;
a Python without the environment's packages is told which one to use."""

import re
import subprocess
import sys
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


def test_a_python_without_keras_gets_one_line_that_names_the_environment_to_use():
    # keras set to None in sys.modules: this interpreter cannot import it, as a system Python
    code = "import sys; sys.modules['keras'] = None; import projects.xor.predict"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "keras is not installed" in lines[0], run.stderr
    assert ".venv/bin/python -m" in lines[0] and "source .venv/bin/activate" in lines[0]
