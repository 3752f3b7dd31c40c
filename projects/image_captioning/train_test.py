"""image_captioning: scenes and their captions, words and batches, BLEU against nltk, greedy
against beam search, the Flickr8k and COCO layouts, a quick run with save, reload and export,
predict and the errors a user can meet."""

import dataclasses
import json
import math
import random
import re
import warnings

import keras
import numpy as np
import pytest
from PIL import Image

from common.errors import UserError
from common.export import check_fresh_process
from common.testing import run_module

from . import NAME, data, decoding, evaluate, predict
from .config import Config
from .model import build_models
from .train import train_and_evaluate

OBJECT = re.compile(r"a (small|large) (\w+) (circle|square|triangle)")


def near(image, colour, tolerance=60.0):
    """Pixels within `tolerance` of a nominal colour."""
    return np.linalg.norm(image.astype(float) - np.array(colour, float), axis=-1) < tolerance


def test_a_drawn_scene_is_what_its_captions_say():
    rng = np.random.default_rng(0)
    objects = [("circle", "red", "small", 0), ("square", "blue", "large", 2)]
    image = data.draw(objects, 96, rng)
    third = 96 // 3
    red, blue = near(image, data.COLOURS["red"]), near(image, data.COLOURS["blue"])
    r_small, r_large = 0.08 * 96, 0.14 * 96
    assert red[:, :third].sum() == pytest.approx(math.pi * r_small**2, rel=0.35)
    assert red[:, third:].sum() == 0 and blue[:, : 2 * third].sum() == 0
    assert blue[:, 2 * third :].sum() == pytest.approx((1.7 * r_large) ** 2, rel=0.35)
    for name in ("green", "yellow", "purple"):
        assert near(image, data.COLOURS[name]).sum() < 5, name
    captions = data.describe(objects)
    assert len(set(captions)) == 5
    assert "a small red circle left of a large blue square" in captions
    assert "a large blue square right of a small red circle" in captions
    for caption in captions:
        assert sorted(OBJECT.findall(caption)) == [
            ("large", "blue", "square"),
            ("small", "red", "circle"),
        ]


def test_scenes_are_fixed_by_the_seed_and_captions_agree():
    a, b = data.scenes(40, 32, seed=5), data.scenes(40, 32, seed=5)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.captions == b.captions
    assert not np.array_equal(a.images, data.scenes(40, 32, seed=6).images)
    counts = set()
    for captions in a.captions:
        found = [sorted(OBJECT.findall(c)) for c in captions]
        assert all(f == found[0] for f in found) and 1 <= len(found[0]) <= 3
        counts.add(len(found[0]))
    assert counts == {1, 2, 3}


def test_words_vocabulary_and_teacher_forcing():
    assert data.tokenize("A dog, running; on the beach's sand!") == [
        "a", "dog", "running", "on", "the", "beach's", "sand",
    ]  # fmt: skip
    vocabulary = data.Vocabulary.build([["a red circle", "a red square"], ["a circle"]], 2)
    assert vocabulary.words == ["<pad>", "<unk>", "<start>", "<end>", "a", "circle", "red"]
    ids = vocabulary.encode("A red triangle")
    assert ids == [4, 6, data.UNKNOWN]
    x, y = data.teacher_forcing(ids, 6)
    assert x.tolist() == [data.START, 4, 6, 1, 0, 0]
    assert y.tolist() == [4, 6, 1, data.END, 0, 0]
    assert vocabulary.decode([4, 6, 5, data.END, 4, 4]) == "a red circle"
    cut_x, cut_y = data.teacher_forcing(list(range(4, 14)), 4)
    assert cut_x.tolist() == [data.START, 4, 5, 6] and cut_y.tolist() == [4, 5, 6, data.END]


def test_batches_draw_captions_and_weigh_out_padding():
    part = data.scenes(10, 16, seed=0)
    vocabulary = data.Vocabulary.build(part.captions, 1)
    config = dataclasses.replace(Config(), batch_size=4, max_length=20)
    batches = data.Batches(part, vocabulary, config, seed=0)
    assert len(batches) == 3
    x, y, w = batches[2]
    assert x["image"].shape == (2, 16, 16, 3) and x["words"].shape == y.shape == w.shape == (2, 20)
    np.testing.assert_array_equal(w, (y != data.PAD).astype("float32"))
    fixed = data.Batches(part, vocabulary, config, seed=0, fixed=True)
    x, y, _ = fixed[0]
    np.testing.assert_array_equal(x["image"], part.images[:4])
    assert vocabulary.decode(y[0]) == part.captions[0][0]


def test_bleu_matches_nltk():
    from nltk.translate.bleu_score import corpus_bleu

    words = "a small red circle large blue square left of right and".split()
    rng = random.Random(0)
    weights = [(1.0,), (0.5, 0.5), (1 / 3,) * 3, (0.25,) * 4]
    for _ in range(50):
        n = rng.randint(1, 6)
        refs = [
            [
                [rng.choice(words) for _ in range(rng.randint(1, 10))]
                for _ in range(rng.randint(1, 5))
            ]
            for _ in range(n)
        ]
        hyps = [[rng.choice(words) for _ in range(rng.randint(0, 10))] for _ in range(n)]
        ours = evaluate.corpus_bleu(refs, hyps)
        for order, w in enumerate(weights, 1):
            with warnings.catch_warnings():  # nltk warns when a precision is zero
                warnings.simplefilter("ignore")
                expected = corpus_bleu(refs, hyps, weights=w)
            assert ours[f"bleu{order}"] == pytest.approx(expected, abs=1e-9)
    assert (
        evaluate.bleu(
            [["a red circle left of a blue square"]], ["a red circle left of a blue square"]
        )["bleu4"]
        == 1.0
    )


def test_scene_errors_name_what_a_caption_got_wrong():
    refs = [["a small red circle and a large blue square"], ["a small red circle"]]
    assert evaluate.scene_objects("a large blue square right of a small red circle") == [
        ("small", "red", "circle"), ("large", "blue", "square"),
    ]  # fmt: skip
    right = [
        "there is a large blue square to the right of a small red circle",
        "one shape a small red circle",
    ]
    assert evaluate.scene_errors(refs, right) == {
        "wrong_count_share": 0.0, "wrong_size_share": 0.0,
        "wrong_colour_share": 0.0, "wrong_shape_share": 0.0,
    }  # fmt: skip
    errors = evaluate.scene_errors(
        refs,
        ["a small red square and a large blue square", "a small red circle and a small red circle"],
    )
    assert errors["wrong_count_share"] == 0.5 and errors["wrong_shape_share"] == 0.5
    assert errors["wrong_colour_share"] == errors["wrong_size_share"] == 0.0


def test_the_baseline_captions_everything_with_the_most_common_caption():
    train = [["a red circle", "a blue square"], ["a red circle"]]
    assert evaluate.most_common_caption(train) == "a red circle"
    scores = evaluate.baseline(train, [["a red circle"], ["a green triangle"]])
    assert 0 < scores["baseline_bleu1"] < 1


def write_images(folder, names, size=(40, 30)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(
            folder / name
        )


@pytest.fixture
def flickr8k_dir(tmp_path):
    names = [f"{i}_abc.jpg" for i in range(6)]
    write_images(tmp_path / "Flicker8k_Dataset", names)
    text = tmp_path / "Flickr8k_text"
    text.mkdir()
    lines = [
        f"{n}#{k}\tA dog number {i} runs , caption {k} ."
        for i, n in enumerate(names)
        for k in range(5)
    ]
    (text / "Flickr8k.token.txt").write_text("\n".join(lines) + "\n")
    (text / "Flickr_8k.trainImages.txt").write_text("\n".join(names[:4]) + "\n")
    (text / "Flickr_8k.devImages.txt").write_text(names[4] + "\n")
    (text / "Flickr_8k.testImages.txt").write_text(names[5] + "\n")
    return tmp_path


def test_flickr8k_layout(flickr8k_dir):
    splits = data.flickr8k(str(flickr8k_dir), 24)
    assert [len(p) for p in (splits.train, splits.val, splits.test)] == [4, 1, 1]
    assert splits.train.images.shape == (4, 24, 24, 3) and splits.train.images.dtype == np.uint8
    assert splits.test.names == ["5_abc.jpg"]
    assert splits.test.captions[0][2] == "A dog number 5 runs , caption 2 ."
    (flickr8k_dir / "Flickr8k_text" / "Flickr8k.token.txt").unlink()
    with pytest.raises(UserError, match="Flickr8k.token.txt"):
        data.flickr8k(str(flickr8k_dir), 24)


def test_coco_layout(tmp_path):
    for split, ids in (("train", [1, 2, 3]), ("val", [10, 11, 12, 13])):
        names = [f"COCO_{split}2014_{i:012d}.jpg" for i in ids]
        write_images(tmp_path / f"{split}2014", names)
        annotations = {
            "images": [{"id": i, "file_name": n} for i, n in zip(ids, names, strict=True)],
            "annotations": [
                {"image_id": i, "id": 100 * i + k, "caption": f"thing {i} {k}"}
                for i in ids
                for k in range(2)
            ],
        }
        (tmp_path / "annotations").mkdir(exist_ok=True)
        (tmp_path / "annotations" / f"captions_{split}2014.json").write_text(
            json.dumps(annotations)
        )
    splits = data.coco(str(tmp_path), 16)
    assert [len(p) for p in (splits.train, splits.val, splits.test)] == [3, 2, 2]
    assert splits.test.captions[1] == ["thing 13 0", "thing 13 1"]
    (tmp_path / "annotations" / "captions_val2014.json").write_text("{not json")
    with pytest.raises(UserError, match="not a COCO captions file"):
        data.coco(str(tmp_path), 16)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("caption_run")
    config = dataclasses.replace(Config().quick(), epochs=3)
    return workdir, config, train_and_evaluate(config, workdir, verbose=0)


def test_quick_run_writes_finite_metrics_and_figures(quick_run):
    workdir, config, metrics = quick_run
    for key in ("bleu1", "bleu2", "bleu3", "bleu4", "baseline_bleu4", "test_loss"):
        assert np.isfinite(metrics[key]), key
    assert metrics["test_loss"] < math.log(metrics["vocabulary_size"]) - 0.5  # below guessing
    for name in (
        "captions.png",
        "learning.png",
        "test_captions.txt",
        "vocabulary.json",
        "model.keras",
    ):
        assert (workdir / name).exists(), name
    assert len((workdir / "test_captions.txt").read_text().splitlines()) == config.test_scenes


def test_a_run_cut_by_its_minutes_still_ends_at_a_low_learning_rate(tmp_path):
    """The cosine schedule follows the minutes of --max_minutes where they run out before the
    epochs (a slow machine): the last steps take rates near the floor, not the peak."""
    rates = []

    class Rates(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    config = dataclasses.replace(Config().quick(), epochs=100, max_minutes=0.02, samples=0)
    train_and_evaluate(config, tmp_path, verbose=0, extra_callbacks=[Rates()])
    steps = config.epochs * -(-config.train_scenes // config.batch_size)
    assert 2 < len(rates) < steps / 4  # cut by the minutes, early in the epochs' schedule
    assert rates[0] == pytest.approx(config.learning_rate)
    assert rates[-1] < 0.2 * config.learning_rate  # the epochs' cosine alone: above 0.9


def random_captioner(max_length=20, scale=0.5, decoder="show_tell"):
    """An untrained captioner with random weights of the given spread (large: decisive, varied
    captions; smaller: closer calls, where greedy and beam search part)."""
    config = dataclasses.replace(Config().quick(), max_length=max_length, decoder=decoder)
    part = data.scenes(64, config.image_size, seed=3)
    vocabulary = data.Vocabulary.build(part.captions, 1)
    _, captioner, _ = build_models(config, vocabulary.words)
    rng = np.random.default_rng(0)
    for w in captioner.weights:
        big = (
            rng.uniform(0.5, 2.0, w.shape)
            if "variance" in w.path
            else rng.normal(0, scale, w.shape)
        )
        w.assign(big.astype("float32"))
    return captioner, data.scenes(12, config.image_size, seed=99).images


@pytest.mark.parametrize("decoder", ["show_tell", "attention"])
def test_a_beam_of_one_is_greedy(decoder):
    captioner, images = random_captioner(decoder=decoder)
    greedy = decoding.greedy_ids(captioner, images)
    assert len({tuple(row) for row in greedy}) > 3  # the captions differ between images
    np.testing.assert_array_equal(decoding.beam_ids(captioner, images, beam=1), greedy)


def test_a_beam_as_wide_as_the_vocabulary_finds_the_likeliest_two_word_caption():
    captioner, images = random_captioner(max_length=2, scale=0.15)
    # all twelve images: greedy misses the best caption of some of them
    size = len(captioner.get_layer("decoder").vocabulary)
    found = decoding.beam_ids(captioner, images, beam=size)
    every = np.array(
        [(a, b if a != data.END else data.PAD) for a in range(size) for b in range(size)]
    )
    for image, ids in zip(images, found, strict=True):
        scores = log_probability(captioner, np.repeat(image[None], len(every), 0), every)
        best = log_probability(captioner, image[None], ids[None])[0]
        assert best == pytest.approx(scores.max(), abs=1e-4)
    assert not np.array_equal(found, decoding.greedy_ids(captioner, images))  # greedy misses it


def log_probability(captioner, images, ids):
    """Sum of log-probabilities of each caption's words up to and with <end>."""
    resize, encode, decoder = decoding.parts(captioner)
    state = decoder.start(encode(resize(images.astype("float32"))))
    words = np.full(len(images), data.START, "int32")
    total, done = np.zeros(len(images)), np.zeros(len(images), bool)
    for t in range(ids.shape[1]):
        logits, state = decoder.step(words, state)
        logp = decoding._log_softmax(keras.ops.convert_to_numpy(logits).astype("float64"))
        total += np.where(done, 0.0, logp[np.arange(len(images)), ids[:, t]])
        done |= ids[:, t] == data.END
        words = ids[:, t]
    return total


def test_saved_and_exported_models_caption_alike_in_a_fresh_process(quick_run):
    workdir, config, _ = quick_run
    images = data.scenes(6, 48, seed=7).images.astype("float32")  # another size: resized inside
    answers = check_fresh_process(workdir, images, imports=(f"{__package__}.model",))
    captioner = keras.saving.load_model(workdir / "model.keras")
    np.testing.assert_array_equal(answers["keras"], decoding.greedy_ids(captioner, images))
    if "export" in answers:
        np.testing.assert_array_equal(answers["export"], answers["keras"])


def test_predict_captions_a_picture_and_refuses_bad_input(quick_run, tmp_path, capsys):
    workdir, _, _ = quick_run
    photo = tmp_path / "photo.jpg"
    Image.fromarray(
        data.draw([("circle", "red", "large", 1)], 200, np.random.default_rng(0))
    ).convert("L").save(photo)
    predict.main(["--run", str(workdir), str(photo)])
    predict.main(["--run", str(workdir), "--beam", "3", str(photo)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{photo}: ") for line in lines)
    words = set(json.loads((workdir / "vocabulary.json").read_text()))
    assert set(lines[0].split(": ", 1)[1].split()) <= words
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    for argv in ([str(not_image)], [str(tmp_path / "missing.png")], ["--beam", "0", str(photo)]):
        with pytest.raises(SystemExit) as exit_info:
            predict.main(["--run", str(workdir), *argv])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and len(err.splitlines()) == 1


def test_attention_teacher_forcing_equals_writing_word_by_word(tmp_path):
    """The attention decoder's whole-caption pass (a scan over the words, as in training) gives
    the logits of its one-step-at-a-time use (greedy, beam search), and it saves and reloads."""
    captioner, images = random_captioner(max_length=6, decoder="attention")
    _, encode, decoder = decoding.parts(captioner)
    features = encode(captioner.get_layer("resize")(images.astype("float32")))
    assert len(features.shape) == 3  # (batch, positions, features): one vector per position
    words = np.random.default_rng(0).integers(0, len(decoder.vocabulary), (len(images), 6))
    whole = keras.ops.convert_to_numpy(decoder(features, words.astype("int32")))
    state = decoder.start(features)
    for t in range(words.shape[1]):
        logits, state = decoder.step(words[:, t].astype("int32"), state)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(logits), whole[:, t], atol=1e-4)
    _, weights = decoder.attend(state[0], state[2], state[3])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights).sum(axis=1), 1, rtol=1e-5)
    greedy = decoding.greedy_ids(captioner, images)
    for image, ids in zip(images[:3], greedy, strict=False):  # attention.png's words: greedy's
        steps = decoding.attention_weights(captioner, image)
        ids = ids.tolist()
        written = ids[: ids.index(data.END)] if data.END in ids else ids
        assert [word for word, _ in steps] == written
        for _, grid in steps:
            assert grid.shape == (4, 4) and abs(grid.sum() - 1) < 1e-4  # 32 px / 8
    captioner.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(
        decoding.greedy_ids(loaded, images), decoding.greedy_ids(captioner, images)
    )


@pytest.mark.slow  # about 40 s
def test_attention_quick_run_reloads_alike_in_a_fresh_process(tmp_path):
    config = dataclasses.replace(Config().quick(), decoder="attention", epochs=2)
    metrics = train_and_evaluate(config, tmp_path, verbose=0)
    assert math.isfinite(metrics["test_loss"]) and 0 <= metrics["bleu4"] <= 1
    images = data.scenes(4, 40, seed=7).images.astype("float32")
    answers = check_fresh_process(tmp_path, images, imports=(f"{__package__}.model",))
    captioner = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(answers["keras"], decoding.greedy_ids(captioner, images))
    if "export" in answers:
        np.testing.assert_array_equal(answers["export"], answers["keras"])


def test_config_errors():
    with pytest.raises(UserError, match="--data_dir"):
        Config(dataset="flickr8k").validate()
    with pytest.raises(UserError, match="multiple of 8"):
        Config(image_size=60).validate()


@pytest.mark.slow  # 58 s, the longest test: make test stays under 10 minutes; make test-full
def test_flickr8k_quick_run_and_predict_on_jax_without_tensorflow(flickr8k_dir, tmp_path):
    flags = ["--quick", "--dataset=flickr8k", f"--data_dir={flickr8k_dir}", "--min_count=1",
             "--batch_size=2", "--epochs=1", "--max_length=6", "--samples=0",
             f"--runs_dir={tmp_path}"]  # fmt: skip
    done = run_module(f"{__package__}.train", flags)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Flickr8k in" in done.stdout and "test BLEU-1" in done.stdout
    run = tmp_path / NAME / "latest"
    photo = flickr8k_dir / "Flicker8k_Dataset" / "0_abc.jpg"
    answer = run_module(f"{__package__}.predict", ["--run", run, photo])
    assert answer.returncode == 0 and answer.stdout.startswith(f"{photo}: "), answer.stderr[-2000:]


def test_efficientnet_lite0_with_its_imagenet_weights_knows_real_photos():
    """The offline pretrained encoder: built in Keras, weights read from the torch file without
    torch; the darknet package's dog is a shepherd-type dog and its eagle a bird of prey."""
    from . import efficientnet

    model = efficientnet.efficientnet_lite0()
    assert model.count_params() == 4_694_024  # every tensor of the file but the step counters
    paths = [efficientnet.photo(name) for name in ("dog", "eagle")]
    images = np.stack([data.read_rgb(path, efficientnet.SIZE) for path in paths])
    dog, eagle = efficientnet.classify(model, images, top=3)
    assert dog[0][0] in ("German Shepherd Dog", "Malinois", "Standard Schnauzer"), dog
    assert eagle[0][0] in ("bald eagle", "kite (bird of prey)", "vulture"), eagle
    assert dog[0][1] > 0.3 and eagle[0][1] > 0.2


def test_pretrained_encoder_trains_on_cached_features_that_match_the_captioners_own(
    tmp_path, capsys
):
    """With a frozen backbone the trainer reads cached feature vectors; the captioner, which
    starts from pixels, must say exactly what the fast captioner says from those vectors, also
    after saving and loading; the cache is read the second time and not for other images."""
    from . import backbones
    from .train import model_inputs

    config = dataclasses.replace(Config().quick(), encoder="efficientnet_lite0")
    scenes = [data.scenes(n, config.image_size, seed=s) for n, s in ((8, 1), (4, 2), (4, 3))]
    splits = data.Splits(*scenes, source="scenes")
    vocabulary = data.Vocabulary.build(splits.train.captions, 1)
    trainer, captioner, fast = build_models(config, vocabulary.words)
    assert trainer.input["image"].shape == (None, 1280)  # pooled features, not pixels
    assert not captioner.get_layer("encoder").get_layer("backbone").trainable_weights
    cache = tmp_path / "features"
    backbone = captioner.get_layer("encoder").get_layer("backbone")
    first = backbones.cached_features(backbone, config.encoder, splits.val.images, folder=cache)
    assert "from the cache" not in capsys.readouterr().out
    again = backbones.cached_features(backbone, config.encoder, splits.val.images, folder=cache)
    np.testing.assert_array_equal(first, again)
    assert "from the cache" in capsys.readouterr().out
    other = backbones.cached_features(backbone, config.encoder, splits.test.images, folder=cache)
    assert len(list(cache.glob("*.npy"))) == 2 and not np.allclose(other, first)

    for w in trainer.trainable_weights:  # decisive random captions instead of training
        w.assign(np.random.default_rng(0).normal(0, 0.5, w.shape).astype("float32"))
    from_features = decoding.greedy_ids(fast, first)
    np.testing.assert_array_equal(decoding.greedy_ids(captioner, splits.val.images), from_features)
    captioner.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(decoding.greedy_ids(loaded, splits.val.images), from_features)
    inputs = model_inputs(dataclasses.replace(config, encoder="cnn"), captioner, splits)
    assert inputs["val"] is splits.val.images  # the small encoder trains on the pixels


def test_a_keras_applications_backbone_pools_or_keeps_positions():
    """The architecture only (weights=False: no download): frozen, any input size resized to
    the network's own, pooled features or one vector per position of its 7x7 map."""
    from .backbones import backbone

    images = np.random.default_rng(0).uniform(0, 255, (2, 40, 40, 3)).astype("float32")
    pooled = backbone("mobilenet_v2", weights=False)
    assert not pooled.trainable_weights
    assert tuple(pooled(images).shape) == (2, 1280)
    spatial = backbone("mobilenet_v2", weights=False, pooled=False)
    assert tuple(spatial(images).shape) == (2, 49, 1280)


def test_preprocessing_of_keras_applications_backbones():
    from .backbones import Preprocess

    pixels = np.array([[[[0.0, 127.5, 255.0]]]], "float32")
    tf_mode = keras.ops.convert_to_numpy(Preprocess("tf")(pixels))
    np.testing.assert_allclose(tf_mode.ravel(), [-1, 0, 1])
    caffe = keras.ops.convert_to_numpy(Preprocess("caffe")(pixels)).ravel()
    np.testing.assert_allclose(caffe, [255 - 103.939, 127.5 - 116.779, 0 - 123.68], rtol=1e-6)
    with pytest.raises(ValueError, match="unknown preprocessing"):
        Preprocess("torch")


@pytest.mark.slow  # about 90 s: the backbone encodes 576 images
def test_quick_run_with_efficientnet_lite0_and_predict_in_a_fresh_process(tmp_path):
    from . import efficientnet

    args = ["--quick", "--encoder=efficientnet_lite0", f"--runs_dir={tmp_path}"]
    done = run_module(f"{__package__}.train", args)  # on JAX, TensorFlow hidden
    assert done.returncode == 0, done.stderr[-2000:]
    workdir = tmp_path / NAME / "latest"
    metrics = json.loads((workdir / "metrics.json").read_text())
    assert math.isfinite(metrics["test_loss"]) and 0 <= metrics["bleu4"] <= 1
    photo = efficientnet.photo("dog")
    done = run_module(f"{__package__}.predict", ["--run", workdir, photo, "--beam", "2"])
    assert done.returncode == 0 and str(photo) in done.stdout, done.stderr[-2000:]
