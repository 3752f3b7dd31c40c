import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from common import datasets
from common.datasets import Source, fetch, local_file, read_member
from common.errors import UserError

CONTENT = b"0123456789" * 100
SHA = hashlib.sha256(CONTENT).hexdigest()


def failing(message):
    def get(dest):
        dest.write_bytes(b"half a fi")  # a partial write before the failure
        raise OSError(message)

    return Source(f"broken ({message})", get)


def test_first_working_source_wins_and_is_cached(tmp_path):
    good = tmp_path / "good.bin"
    good.write_bytes(CONTENT)
    cache = tmp_path / "cache"
    path = fetch("data.bin", SHA, [failing("offline"), local_file(good)], cache)
    assert path == cache / "data.bin" and path.read_bytes() == CONTENT
    assert sorted(p.name for p in cache.iterdir()) == ["data.bin"]  # no partial files left
    good.unlink()  # served from the cache now
    assert fetch("data.bin", SHA, [failing("offline")], cache).read_bytes() == CONTENT


def test_source_with_wrong_bytes_is_skipped(tmp_path):
    wrong, right = tmp_path / "wrong.bin", tmp_path / "right.bin"
    wrong.write_bytes(b"not it")
    right.write_bytes(CONTENT)
    path = fetch("data.bin", SHA, [local_file(wrong), local_file(right)], tmp_path / "c")
    assert path.read_bytes() == CONTENT


def test_corrupt_cache_is_fetched_again(tmp_path, capsys):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "data.bin").write_bytes(CONTENT[:-1] + b"X")
    good = tmp_path / "good.bin"
    good.write_bytes(CONTENT)
    assert fetch("data.bin", SHA, [local_file(good)], cache).read_bytes() == CONTENT
    assert "fails its checksum" in capsys.readouterr().err


def test_all_sources_failing_names_each(tmp_path):
    with pytest.raises(UserError) as info:
        fetch("data.bin", SHA, [failing("no route"), local_file(tmp_path / "missing")], tmp_path)
    message = str(info.value)
    assert "could not obtain data.bin" in message
    assert "broken (no route)" in message and "local file" in message
    assert "\n" not in message
    assert not any(tmp_path.glob(".*partial"))


# Two processes fetch one file into one cache at once; the source writes half, waits, then the rest.
TWO_AT_ONCE = """
import sys, time
from pathlib import Path
from common import datasets

def slow(dest):
    with open(dest, "wb") as f:
        f.write(b"first half, ")
        f.flush()
        time.sleep(1.5)
        f.write(b"second half")

path = datasets.fetch("data.bin", sys.argv[2], [datasets.Source("slow", slow)], Path(sys.argv[1]))
print(path.read_bytes().decode())
"""


def test_two_processes_fetching_one_file_each_get_it_whole(tmp_path):
    sha = hashlib.sha256(b"first half, second half").hexdigest()
    root = Path(__file__).resolve().parents[1]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_AT_ONCE, str(tmp_path), sha],
            cwd=root,
            env={**os.environ, "KERAS_BACKEND": "jax"},  # then `common` loads no TensorFlow
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert out.strip() == "first half, second half"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]  # no partial files left


def test_gunzip_local_file(tmp_path):
    packed = tmp_path / "data.gz"
    packed.write_bytes(gzip.compress(CONTENT))
    assert fetch("data.bin", SHA, [local_file(packed, gunzip=True)], tmp_path / "c").exists()


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "elsewhere"))
    assert datasets.cache_dir() == tmp_path / "elsewhere"


def make_tar(path, member, data, mode="w:gz"):
    with tarfile.open(path, mode) as tf:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))


def test_read_member_from_wheel_and_tarball(tmp_path):
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/data/file.bin", CONTENT)
    assert read_member(wheel, "pkg/data/file.bin") == CONTENT
    tgz = tmp_path / "package.tgz"
    make_tar(tgz, "package/data/file.bin", CONTENT)
    assert read_member(tgz, "package/data/file.bin") == CONTENT
    with pytest.raises(KeyError, match="not in"):
        read_member(tgz, "package/other")


def test_read_member_from_debian_package(tmp_path):
    data_tar = tmp_path / "data.tar.xz"
    make_tar(data_tar, "./usr/share/x/file.bin", CONTENT, mode="w:xz")
    body = data_tar.read_bytes()

    def ar_entry(name, payload):
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(payload):<10}`\n".encode()
        return header + payload + (b"\n" if len(payload) % 2 else b"")

    deb = tmp_path / "x_1.0_all.deb"
    deb.write_bytes(
        b"!<arch>\n" + ar_entry("debian-binary", b"2.0\n") + ar_entry("data.tar.xz", body)
    )
    assert read_member(deb, "usr/share/x/file.bin") == CONTENT
