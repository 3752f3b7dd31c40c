"""A new project from a template: inside the collection, or standalone in a folder of its own.

    make new NAME=my_classifier FROM=iris                   # projects/my_classifier
    make new NAME=my_classifier FROM=mnist_cnn DEST=../dir  # ../dir, a project of its own

Inside the collection the template's folder is copied and its documentation renamed; the code
needs no edit, since a template's modules import each other relatively and take the run name
(runs/<NAME>/) from their folder. Standalone, the copy goes to DEST/<NAME>/ beside the parts of
common/ it imports, with its own requirements.txt (only what it imports), Makefile (train,
predict, test, lint), README, pyproject.toml and .ci/run.

Either way the project is built in a temporary folder and moved into place at the end: a bad
NAME, FROM or DEST changes nothing.
"""

import argparse
import ast
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
# names a project must not take: Make targets of the collection and folders or modules that
# `python -m NAME...` would confuse with it
RESERVED = {"common", "projects", "benchmarks", "tests", "tools", "runs", "keras", "numpy"}
# an import -> the requirements.txt lines it needs
REQUIREMENTS = {
    "keras": ["keras", "tensorflow"],  # TensorFlow: the default backend and the SavedModel export
    "tensorflow": ["tensorflow"],
    "numpy": ["numpy"],
    "scipy": ["scipy"],
    "matplotlib": ["matplotlib"],
    "sklearn": ["scikit-learn"],
    "pandas": ["pandas"],
    "PIL": ["pillow"],
    "jax": ["jax", "jaxlib"],
    "gensim": ["gensim"],
    "nltk": ["nltk"],
    "pytest": ["pytest"],
}
ALWAYS = ["tensorboard", "pytest", "ruff"]  # the TensorBoard callback; make test and make lint


class UserError(Exception):
    """A bad NAME, FROM or DEST: one line, exit code 2 (as common.errors, without importing
    common/, whose first import loads TensorFlow)."""


def main(argv=None) -> None:
    try:
        _main(argv)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def _main(argv) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("name", help="the new project's name, a Python identifier")
    parser.add_argument("template", help="the template to start from (a folder of projects/)")
    parser.add_argument("--dest", default="", help="a folder for a standalone project")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)  # for the tests
    args = parser.parse_args(argv)
    root = Path(args.root)
    check_names(args.name, args.template, root)
    if args.dest:
        made = standalone(args.name, args.template, Path(args.dest), root)
        print(f"wrote {made}: cd {made} && make test && make train")
    else:
        made = in_collection(args.name, args.template, root)
        print(f"wrote {made}: make {args.name}, or python -m projects.{args.name}.train --quick")


def templates(root: Path) -> list[str]:
    return sorted(p.parent.name for p in (root / "projects").glob("*/train.py"))


def make_targets(root: Path) -> set[str]:
    text = (root / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_-]+):", text, flags=re.M))


def check_names(name: str, template: str, root: Path) -> None:
    if not template or template not in templates(root):
        raise UserError(
            f"FROM={template!r} is not a template; choose one of {', '.join(templates(root))}"
        )
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise UserError(
            f"NAME={name!r} is not a Python identifier (letters, digits and underscores, not "
            "starting with a digit or an underscore); try NAME=my_project"
        )
    if (root / "projects" / name).exists():
        raise UserError(f"projects/{name} exists already; choose another NAME")
    taken = RESERVED | make_targets(root) | set(templates(root))
    if name in taken:
        raise UserError(f"NAME={name!r} is taken by the collection; choose another NAME")


def rename_text(text, name, template, module, target, old_target) -> str:
    """The template's names in documentation and docstrings -> the new project's."""
    text = text.replace(f"projects.{template}.", f"{module}.")
    text = text.replace(f"projects/{template}/", f"{module.replace('.', '/')}/")
    text = text.replace(f"runs/{template}/", f"runs/{name}/")
    return re.sub(rf"\bmake {re.escape(old_target)}\b", f"make {target}", text)


def target_of(template: str, root: Path = ROOT) -> str:
    """The collection's Make target for a template (mnist_cnn -> mnist)."""
    makefile = (root / "Makefile").read_text()
    found = re.search(
        rf"^([A-Za-z0-9_-]+):.*\n\t\$\(PY\) -m projects\.{template}\.train\b", makefile, flags=re.M
    )
    return found.group(1) if found else template


def copy_template(template: str, dest: Path, name: str, module: str, target: str, root: Path):
    shutil.copytree(root / "projects" / template, dest, ignore=IGNORED)
    old_target = target_of(template, root)
    for path in [*dest.glob("*.py"), *dest.glob("*.md")]:
        text = path.read_text()
        renamed = rename_text(text, name, template, module, target, old_target)
        if path.name == "README.md":
            title, _, body = renamed.partition("\n")
            renamed = (
                f"# {name}: started from the {template} template\n\n"
                f"(The figures below were measured for the template; the same commands measure "
                f"this project.)\n\n{title[2:]}\n{body}"
            )
        elif path.name == "EXPERIMENTS.md":  # the template's record, not yet this project's
            title, _, body = renamed.partition("\n")
            renamed = (
                f"# {name}: experiments\n\n"
                f"(Inherited from the {template} template: how its defaults were chosen, each "
                f"run with its command. Add this project's own below them.)\n\n"
                f"#{title}\n{body}"
            )
        if renamed != text:
            path.write_text(renamed)
    tidy(dest)


def tidy(folder: Path) -> None:
    """ruff format the copy where ruff is at hand (renamed lines may now fit on one line), so
    that its make lint passes; tools/new.py itself needs only the standard library."""
    for python in (ROOT / ".venv" / "bin" / "python", Path(sys.executable)):
        if python.exists():
            done = subprocess.run(
                [str(python), "-m", "ruff", "format", "--quiet", str(folder)],
                capture_output=True,
            )
            if done.returncode == 0:
                return


def in_collection(name: str, template: str, root: Path) -> Path:
    final = root / "projects" / name
    with tempfile.TemporaryDirectory(dir=root / "projects", prefix=".new-") as tmp:
        built = Path(tmp) / name
        copy_template(template, built, name, f"projects.{name}", name, root)
        built.rename(final)
    return final


def imports_of(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth (top-level and inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def common_closure(files: list[Path], root: Path) -> set[str]:
    """The modules of common/ these files import, directly or through each other."""
    needed, todo = set(), list(files)
    while todo:
        for module in imports_of(todo.pop()):
            parts = module.split(".")
            if parts[0] == "common" and len(parts) > 1 and parts[1] not in needed:
                if (root / "common" / f"{parts[1]}.py").exists():
                    needed.add(parts[1])
                    todo.append(root / "common" / f"{parts[1]}.py")
    return needed


def requirements(files: list[Path], root: Path) -> str:
    wanted = set(ALWAYS)
    for path in files:
        for module in imports_of(path):
            wanted |= set(REQUIREMENTS.get(module.split(".")[0], []))
        if "KERAS_BACKEND" in path.read_text():  # tests run commands on the JAX backend
            wanted |= {"jax", "jaxlib"}
    lines = ["# Pinned as in the collection this project started from."]
    for line in (root / "requirements.txt").read_text().splitlines():
        package = re.split(r"[=<>\[ ]", line.strip(), maxsplit=1)[0]
        if line and not line.startswith("#") and package in wanted:
            lines.append(line)
    return "\n".join(lines) + "\n"


MAKEFILE = """\
# {name}: `make help` lists the targets. Every target builds .venv from requirements.txt first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help train {demos_phony}predict test test-full lint clean

$(VENV)/.installed: requirements.txt
\t@test -x $(PY) || $(PYTHON) -m venv $(VENV)
\t$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
\t@touch $@

help: ## list the targets
\t@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \\
\t  awk 'BEGIN {{FS = ":.*## "}}; {{printf "  make %-10s %s\\n", $$1, $$2}}'
\t@echo '  pass options with ARGS, e.g. make train ARGS="--quick"'

{backend}train: $(VENV)/.installed ## train (python -m {name}.train --help lists the options)
\t$(PY) -m {name}.train $(ARGS)
{demos}
predict: $(VENV)/.installed ## predict with the latest run: make predict ARGS="..."
\t$(PY) -m {name}.predict $(ARGS)

test: $(VENV)/.installed ## the fast tests
\t$(PY) -m pytest -q

test-full: $(VENV)/.installed ## every test, including the slow ones
\t$(PY) -m pytest -q -m "slow or not slow"

lint: $(VENV)/.installed ## ruff lint and format check
\t$(PY) -m ruff check .
\t$(PY) -m ruff format --check .

clean: ## remove runs/, caches and the virtual environment
\trm -rf runs .pytest_cache .ruff_cache $(VENV)
\tfind . -name __pycache__ -type d -prune -exec rm -rf {{}} +
"""

README = """\
# {name}

Started from the `{template}` template of a collection of Keras 3 templates. It needs Python 3.11
or newer; the first `make` builds `.venv` from requirements.txt.

```bash
make test    # the tests, in minutes on a CPU
make train   # trains with the default configuration; make train ARGS="--quick" in seconds
```

`make help` lists the other targets (predict, lint, clean). `{name}/` is the project, `common/`
the parts of the collection's shared package it uses.

---

"""

CI = """\
#!/usr/bin/env bash
# CI entry point: on a clean clone, install from requirements.txt (via make) and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
make lint
make test
"""


def standalone(name: str, template: str, dest: Path, root: Path) -> Path:
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UserError(f"DEST={dest} exists and is not empty; give a new or empty folder")
    if not dest.parent.is_dir():
        raise UserError(f"DEST={dest}: its parent folder does not exist; create it first")
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}-") as tmp:
        built = Path(tmp) / "project"
        built.mkdir()
        copy_template(template, built / name, name, name, "train", root)
        files = sorted((built / name).glob("*.py"))
        (built / "common").mkdir()
        shutil.copy(root / "common" / "__init__.py", built / "common")
        for module in sorted(common_closure(files, root)):
            shutil.copy(root / "common" / f"{module}.py", built / "common")
        files += sorted((built / "common").glob("*.py"))
        (built / "requirements.txt").write_text(requirements(files, root))
        (built / "Makefile").write_text(makefile(name, template, built / name, root))
        readme = relink((built / name / "README.md").read_text(), f"{name}/", built, template)
        (built / "README.md").write_text(README.format(name=name, template=template) + readme)
        (built / name / "README.md").unlink()
        for notes in (built / name).glob("*.md"):  # the other notes stay in name/, beside the code
            notes.write_text(relink(notes.read_text(), "", built / name, template))
        (built / "pyproject.toml").write_text(pyproject(name, root))
        (built / ".gitignore").write_text((root / ".gitignore").read_text())
        (built / ".ci").mkdir()
        (built / ".ci" / "run").write_text(CI)
        (built / ".ci" / "run").chmod(0o755)
        if dest.exists():
            dest.rmdir()
        built.rename(dest)
    return dest


def relink(text: str, prefix: str, built: Path, template: str) -> str:
    """A standalone copy's Markdown links, read from the folder `built` (where the project's
    files are under `prefix`): a link to a file the copy has points at it; a link into the
    rest of the collection (benchmarks/results/) becomes plain text naming that file."""

    def mend(link: re.Match) -> str:
        words, target = link.group(1), link.group(2)
        if re.match(r"[a-z]+:|#", target):  # a web address or an anchor: as it was
            return link.group(0)
        moved = f"{prefix}{target}"
        if (built / moved).exists():
            return f"[{words}]({moved})"
        where = os.path.normpath(f"projects/{template}/{target}")
        if words.strip("`") in (target, where):
            return f"the collection's `{where}`"
        return f"{words} (in the collection: `{where}`)"

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", mend, text)


def makefile(name: str, template: str, project: Path, root: Path) -> str:
    collection = (root / "Makefile").read_text()
    target = target_of(template, root)
    backend = re.search(rf"^{re.escape(target)}: export (KERAS_BACKEND \?= \w+)", collection, re.M)
    has_demos = (project / "demos.py").exists()
    return MAKEFILE.format(
        name=name,
        backend=f"train: export {backend.group(1)}\n" if backend else "",
        demos_phony="demos " if has_demos else "",
        demos=(
            f"\ndemos: $(VENV)/.installed ## the course's figures (demos.py)\n"
            f"\t$(PY) -m {name}.demos $(ARGS)\n"
            if has_demos
            else ""
        ),
    )


def pyproject(name: str, root: Path) -> str:
    text = (root / "pyproject.toml").read_text()
    text = re.sub(r"^# .*\n", "# Tool settings only.\n", text, count=1)
    return re.sub(r"^testpaths = .*$", f'testpaths = ["{name}"]', text, flags=re.M)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
