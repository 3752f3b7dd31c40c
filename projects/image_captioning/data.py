"""Images with captions: generated scenes (the offline default), Flickr8k or COCO from disk;
caption words and their vocabulary; the batches the decoder learns from.

load(config) -> Splits(train, val, test), each a Captioned: uint8 images (n, size, size, 3), the
reference captions of each image (lists of strings) and the images' names.

Scenes: one to three shapes (circle, square, triangle) in five colours and two sizes, one per
horizontal slot (left, middle, right), on a noisy background. Each scene has five differently
worded captions, all true ("a small red circle left of a large blue square", "a large blue
square right of a small red circle", ...). Fixed by the seed; nothing is downloaded.
"""

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from common.errors import UserError

SHAPES = ("circle", "square", "triangle")
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (50, 80, 230),
    "yellow": (230, 210, 40),
    "purple": (150, 60, 200),
}
SIZES = {"small": 0.08, "large": 0.14}  # radius as a share of the image side
SLOTS = ("on the left", "in the middle", "on the right")
NUMBERS = {1: "one shape", 2: "two shapes", 3: "three shapes"}

PAD, UNKNOWN, START, END = 0, 1, 2, 3  # reserved ids; words start at 4
RESERVED = ("<pad>", "<unk>", "<start>", "<end>")


@dataclass
class Captioned:
    images: np.ndarray  # (n, size, size, 3) uint8
    captions: list[list[str]]  # the reference captions of each image
    names: list[str]  # file names, or scene numbers

    def __len__(self) -> int:
        return len(self.images)


@dataclass
class Splits:
    train: Captioned
    val: Captioned
    test: Captioned
    source: str


# --- scenes ---------------------------------------------------------------------------------


def random_objects(rng: np.random.Generator) -> list[tuple[str, str, str, int]]:
    """One to three (shape, colour, size, slot) tuples in distinct slots, left to right."""
    count = int(rng.integers(1, 4))
    slots = sorted(rng.choice(3, size=count, replace=False).tolist())
    return [
        (
            SHAPES[rng.integers(len(SHAPES))],
            list(COLOURS)[rng.integers(len(COLOURS))],
            list(SIZES)[rng.integers(len(SIZES))],
            slot,
        )
        for slot in slots
    ]


def draw(objects, size: int, rng: np.random.Generator) -> np.ndarray:
    """The scene as a (size, size, 3) uint8 image: noisy grey background, flat noisy shapes."""
    rows, cols = np.mgrid[0:size, 0:size].astype("float32") + 0.5
    image = np.full((size, size, 3), rng.uniform(40, 100), dtype="float32")
    for shape, colour, size_name, slot in objects:
        r = SIZES[size_name] * size
        cx = (slot + 0.5) * size / 3 + rng.uniform(-0.05, 0.05) * size
        cy = rng.uniform(0.3, 0.7) * size
        dx, dy = cols - cx, rows - cy
        if shape == "circle":
            inside = dx**2 + dy**2 <= r**2
        elif shape == "square":
            inside = (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
        else:  # a triangle pointing up: apex at cy - r, base at cy + 0.8 r
            depth = (dy + r) / (1.8 * r)
            inside = (depth >= 0) & (depth <= 1) & (np.abs(dx) <= depth * 1.1 * r)
        shade = np.array(COLOURS[colour], "float32") + rng.uniform(-20, 20, 3)
        image[inside] = shade
    image += rng.normal(0, 10, image.shape)
    return np.clip(np.rint(image), 0, 255).astype("uint8")


def describe(objects) -> list[str]:
    """Five differently worded true captions of a scene (objects ordered left to right)."""
    names = [f"a {size} {colour} {shape}" for shape, colour, size, _ in objects]
    if len(names) == 1:
        (a,) = names
        where = SLOTS[objects[0][3]]
        return [a, f"there is {a}", f"{a} {where}", f"one shape {a}", f"a picture of {a}"]
    if len(names) == 2:
        a, b = names
        return [
            f"{a} and {b}",
            f"{a} left of {b}",
            f"{b} right of {a}",
            f"two shapes {a} and {b}",
            f"there is {b} to the right of {a}",
        ]
    a, b, c = names
    return [
        f"{a} {b} and {c}",
        f"three shapes {a} {b} and {c}",
        f"{a} left of {b} left of {c}",
        f"{c} right of {b} right of {a}",
        f"from left to right {a} {b} and {c}",
    ]


def scenes(count: int, size: int, seed: int, first: int = 0) -> Captioned:
    """`count` scenes; the same seed gives the same images and captions."""
    rng = np.random.default_rng(seed)
    images, captions = np.empty((count, size, size, 3), "uint8"), []
    for i in range(count):
        objects = random_objects(rng)
        images[i] = draw(objects, size, rng)
        captions.append(describe(objects))
    return Captioned(images, captions, [f"scene {first + i}" for i in range(count)])


def scene_splits(config) -> Splits:
    """Training, validation and test scenes from three different seeds: never the same scene
    drawn by the same random numbers."""
    parts = []
    first = 0
    for offset, count in enumerate((config.train_scenes, config.val_scenes, config.test_scenes)):
        parts.append(scenes(count, config.image_size, config.seed * 3 + offset, first))
        first += count
    return Splits(*parts, source="generated scenes")


# --- datasets from disk ---------------------------------------------------------------------


def read_rgb(path, size: int | None = None) -> np.ndarray:
    """Any image PIL reads (colour, grey, with transparency, turned upright as its EXIF says) as
    an (h, w, 3) uint8 array; resized to (size, size) when size is given."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
            if size:
                image = image.resize((size, size), Image.BILINEAR)
            return np.asarray(image, dtype="uint8")
    except FileNotFoundError:
        raise UserError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give an image file") from None
    except Image.DecompressionBombError:
        raise UserError(f"{path} is too large to read safely; give a smaller picture") from None
    except (UnidentifiedImageError, OSError):
        raise UserError(f"{path} is not an image PIL can read; give a PNG or JPEG") from None


def _read_images(folder: Path, names: list[str], size: int, what: str) -> np.ndarray:
    images = np.empty((len(names), size, size, 3), "uint8")
    start = last = time.time()
    for i, name in enumerate(names):
        images[i] = read_rgb(folder / name, size)
        if time.time() - last > 30:
            last = time.time()
            print(f"  {what}: {i + 1:,} of {len(names):,} images read, {last - start:.0f} s")
    return images


def _find(root: Path, name: str, what: str) -> Path:
    found = sorted(root.rglob(name))
    if not found:
        raise UserError(f"{root} holds no {name} ({what}); check --data_dir")
    return found[0]


def flickr8k(data_dir: str, size: int) -> Splits:
    """Flickr8k as distributed: Flickr8k.token.txt ("<image>#<n>\\t<caption>" lines), the
    Flickr_8k.{train,dev,test}Images.txt lists and the folder of JPEGs, anywhere under data_dir."""
    root = Path(data_dir)
    if not root.is_dir():
        raise UserError(f"--data_dir={data_dir} is not a folder")
    tokens = _find(root, "Flickr8k.token.txt", "the captions")
    captions: dict[str, list[str]] = {}
    for number, line in enumerate(tokens.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        key, _, caption = line.partition("\t")
        if not caption or "#" not in key:
            raise UserError(f"{tokens}:{number} is not '<image>#<n><tab><caption>': {line[:60]!r}")
        captions.setdefault(key.split("#")[0], []).append(caption.strip())
    lists = {}
    for split, file in (("train", "trainImages"), ("val", "devImages"), ("test", "testImages")):
        names = _find(root, f"Flickr_8k.{file}.txt", f"the {split} images").read_text().split()
        missing = [n for n in names if n not in captions]
        if missing:
            raise UserError(f"{missing[0]} of the {split} list has no caption in {tokens}")
        lists[split] = names
    images = _find(root, lists["train"][0], "the images").parent
    parts = [
        Captioned(_read_images(images, names, size, split), [captions[n] for n in names], names)
        for split, names in lists.items()
    ]
    return Splits(*parts, source=f"Flickr8k in {root}")


def coco(data_dir: str, size: int) -> Splits:
    """COCO captions: annotations/captions_{train,val}{2014,2017}.json and the image folders
    beside them. Training images from the train file; the val file's images split in two halves,
    validation and test (sorted by image id)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise UserError(f"--data_dir={data_dir} is not a folder")
    found = {}
    for split in ("train", "val"):
        files = sorted(root.rglob(f"captions_{split}20*.json"))
        if not files:
            raise UserError(f"{root} holds no captions_{split}2014.json or 2017; check --data_dir")
        found[split] = files[-1]
    parts = []
    for split, path in found.items():
        try:
            annotations = json.loads(path.read_text(encoding="utf-8"))
            files = {im["id"]: im["file_name"] for im in annotations["images"]}
            caps: dict[int, list[str]] = {}
            for a in annotations["annotations"]:
                caps.setdefault(a["image_id"], []).append(a["caption"].strip())
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise UserError(f"{path} is not a COCO captions file ({err})") from None
        ids = sorted(i for i in files if i in caps)
        folder = _find(root, files[ids[0]], f"the {split} images").parent
        names = [files[i] for i in ids]
        parts.append((names, [caps[i] for i in ids], folder))
    (train_names, train_caps, train_dir), (val_names, val_caps, val_dir) = parts
    half = len(val_names) // 2
    if half == 0:
        raise UserError(f"{found['val']} has fewer than two captioned images")
    splits = [
        (train_names, train_caps, train_dir),
        (val_names[:half], val_caps[:half], val_dir),
        (val_names[half:], val_caps[half:], val_dir),
    ]
    made = [
        Captioned(_read_images(d, n, size, what), c, n)
        for (n, c, d), what in zip(splits, ("train", "val", "test"), strict=True)
    ]
    return Splits(*made, source=f"COCO in {root}")


def load(config) -> Splits:
    """The three splits of the configured dataset."""
    if config.dataset == "flickr8k":
        return flickr8k(config.data_dir, config.image_size)
    if config.dataset == "coco":
        return coco(config.data_dir, config.image_size)
    return scene_splits(config)


# --- words ----------------------------------------------------------------------------------


def tokenize(caption: str) -> list[str]:
    """Lowercase words; punctuation goes ("A dog, running." -> ["a", "dog", "running"])."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", caption.lower())


@dataclass
class Vocabulary:
    words: list[str]  # index = id; the first four are RESERVED

    @classmethod
    def build(cls, captions: list[list[str]], min_count: int) -> "Vocabulary":
        """Words seen at least min_count times in the training captions, most frequent first
        (ties alphabetical); the rest become <unk>."""
        counts = Counter(w for caps in captions for c in caps for w in tokenize(c))
        kept = sorted(
            (w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w)
        )
        return cls(list(RESERVED) + kept)

    def __post_init__(self):
        self.ids = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, caption: str) -> list[int]:
        return [self.ids.get(w, UNKNOWN) for w in tokenize(caption)]

    def decode(self, ids) -> str:
        """Words up to the first <end> (padding and <start> dropped)."""
        words = []
        for i in np.asarray(ids).tolist():
            if i == END:
                break
            if i not in (PAD, START):
                words.append(self.words[i])
        return " ".join(words)


def json_words(vocabulary: Vocabulary) -> str:
    """vocabulary.json: the word of each id, for reading export/'s answers."""
    return json.dumps(vocabulary.words) + "\n"


def teacher_forcing(ids: list[int], max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Decoder input (<start> w1 .. wn) and target (w1 .. wn <end>), cut and padded to
    max_length: at step t the decoder sees the true previous word and learns the next."""
    ids = ids[: max_length - 1]
    x = np.full(max_length, PAD, "int32")
    y = np.full(max_length, PAD, "int32")
    x[: len(ids) + 1] = [START, *ids]
    y[: len(ids) + 1] = [*ids, END]
    return x, y


class Batches(keras.utils.PyDataset):
    """Batches of ({"image", "words"}, next words, weights) with one caption per image, drawn
    afresh each epoch from its references; weights are 0 on padding, so the loss is the mean
    over real words. `fixed=True` always takes the first caption (validation). `inputs` replaces
    the images (a pretrained encoder's cached features of them, one row per image)."""

    def __init__(
        self, part: Captioned, vocabulary: Vocabulary, config, seed: int, fixed=False, inputs=None
    ):
        # Two workers: Keras then feeds `fit` from its ordered threads with tf.data's autotuning
        # off. With one, on TensorFlow, freeing the last epoch's autotuned pipeline held up the
        # start of epochs by 21 to 31 s (EXPERIMENTS.md: the feed). On TensorFlow the run is
        # unchanged.
        super().__init__(workers=2)
        self.images = part.images if inputs is None else inputs
        self.encoded = [[vocabulary.encode(c) for c in caps] for caps in part.captions]
        self.batch_size, self.max_length, self.fixed = config.batch_size, config.max_length, fixed
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.images)) if not self.fixed else None
        self.choice = (
            np.zeros(len(self.images), int)
            if self.fixed
            else self.rng.integers(0, 1 << 30, len(self.images))
        )

    def __getitem__(self, index):
        rows = np.arange(
            index * self.batch_size, min((index + 1) * self.batch_size, len(self.images))
        )
        if self.order is not None:
            rows = self.order[rows]
        pairs = [
            teacher_forcing(self.encoded[r][self.choice[r] % len(self.encoded[r])], self.max_length)
            for r in rows
        ]
        x = np.stack([p[0] for p in pairs])
        y = np.stack([p[1] for p in pairs])
        return {"image": self.images[rows], "words": x}, y, (y != PAD).astype("float32")
