"""make new: a project from a template, in the collection or standalone (tools/new.py)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def new(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "tools.new", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def python(args, cwd, timeout=300):
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def collection(tmp_path):
    """A small copy of the collection: its Makefile and settings, common/ and the xor template."""
    root = tmp_path / "collection"
    (root / "projects").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "requirements.txt", ".gitignore"):
        shutil.copy(ROOT / name, root)
    shutil.copy(ROOT / "projects" / "__init__.py", root / "projects")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "projects" / "xor", root / "projects" / "xor", ignore=ignore)
    shutil.copytree(ROOT / "common", root / "common", ignore=ignore)
    return root


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# the standalone project above trains in make test; this one in make test-full (10 minutes)
@pytest.mark.slow
def test_new_project_in_the_collection_trains_under_its_own_name(collection, tmp_path):
    done = new("gates", "xor", "--root", collection)
    assert done.returncode == 0, done.stderr
    project = collection / "projects" / "gates"
    assert sorted(p.name for p in project.glob("*.py")) == sorted(
        p.name for p in (collection / "projects" / "xor").glob("*.py")
    )
    for path in project.glob("*.py"):
        assert "projects.xor" not in path.read_text(), path.name
    readme = (project / "README.md").read_text()
    assert readme.startswith("# gates: started from the xor template")
    assert "make gates" in readme and "make xor" not in readme
    assert "python -m projects.gates." in readme and "projects.xor." not in readme
    # a Make target of its own, with no edit of the Makefile
    dry = subprocess.run(
        ["make", "-n", "gates"], cwd=collection, capture_output=True, text=True, timeout=60
    )
    assert "-m projects.gates.train" in dry.stdout, dry.stdout + dry.stderr
    trained = python(
        ["-m", "projects.gates.train", "--quick", f"--runs_dir={tmp_path / 'runs'}"], collection
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    metrics = json.loads((tmp_path / "runs" / "gates" / "latest" / "metrics.json").read_text())
    assert metrics["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["xor2", "xor"], "exists already"),
        (["2xor", "xor"], "not a Python identifier"),
        (["class", "xor"], "not a Python identifier"),
        (["test", "xor"], "taken by the collection"),
        (["fresh", "nope"], "is not a template"),
    ],
)
def test_bad_names_get_one_line_and_change_nothing(collection, args, message):
    assert new("xor2", "xor", "--root", collection).returncode == 0  # so that xor2 is taken
    before = tree(collection)
    done = new(*args, "--root", collection)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert tree(collection) == before


def test_standalone_project_has_what_it_imports_and_trains_in_its_folder(tmp_path):
    dest = tmp_path / "gates"
    done = new("gates", "xor", "--dest", dest)
    assert done.returncode == 0, done.stderr
    assert (dest / "gates" / "train.py").exists() and not (dest / "projects").exists()
    shipped = {p.stem for p in (dest / "common").glob("*.py")}
    assert {"runs", "config", "errors", "export", "testing"} <= shipped
    assert not shipped & {"corpora", "datasets", "normalization"}  # xor imports none of these
    requirements = (dest / "requirements.txt").read_text()
    assert "keras==" in requirements and "pytest==" in requirements
    assert "gensim" not in requirements and "nltk" not in requirements
    assert "python -m gates.train" in (dest / "Makefile").read_text()
    assert (dest / ".ci" / "run").stat().st_mode & 0o111
    assert "make test" in (dest / "README.md").read_text()
    trained = python(["-m", "gates.train", "--quick"], dest)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert json.loads((dest / "runs/gates/latest/metrics.json").read_text())["accuracy"] == 1.0
    again = new("other", "xor", "--dest", dest)  # the folder is no longer empty
    assert again.returncode == 2 and "not empty" in again.stderr


@pytest.mark.slow
def test_standalone_project_passes_its_own_tests_and_lint(tmp_path):
    dest = tmp_path / "flowers"
    assert new("flowers", "iris", "--dest", dest).returncode == 0
    for command in (["-m", "ruff", "check", "."], ["-m", "ruff", "format", "--check", "."]):
        assert python(command, dest).returncode == 0
    tested = python(["-m", "pytest", "-q"], dest, timeout=900)
    assert tested.returncode == 0, tested.stdout[-3000:]


def test_standalone_notes_are_retitled_and_their_links_lead_somewhere(tmp_path):
    dest = tmp_path / "words"
    done = new("words", "word2vec", "--dest", dest)
    assert done.returncode == 0, done.stderr
    notes = (dest / "words" / "EXPERIMENTS.md").read_text()
    assert notes.startswith("# words: experiments\n") and "word2vec template" in notes
    for folder, text in ((dest, (dest / "README.md").read_text()), (dest / "words", notes)):
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if not re.match(r"[a-z]+:|#", target):  # a file in the copy, not the collection's
                assert (folder / target).exists(), target
    assert "](words/EXPERIMENTS.md)" in (dest / "README.md").read_text()
    assert "the collection's `benchmarks/results/word2vec.md`" in (dest / "README.md").read_text()
