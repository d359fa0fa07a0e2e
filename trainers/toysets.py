"""Generated data sets: Playground-style 2-D toys, a separable set for the perceptron, a
weather-like regression, coloured-shape images (the offline stand-in for CIFAR-10) and the
list of source files that make the "code" text corpus.

Each generator takes a size, a noise level and a numpy ``Generator`` and returns the full,
unsplit ``(x, y)`` arrays; splitting, scaling and the ``Dataset`` record live in
``trainers.data``. Nothing here touches the network.
"""

from pathlib import Path

import numpy as np

import inspector

# The TensorFlow Playground draws its 2-D sets in the square [-6, 6]^2.
PLAYGROUND_EXTENT = 6.0


def _finish_2d(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.clip(x, -PLAYGROUND_EXTENT, PLAYGROUND_EXTENT).astype(np.float32)
    return x, y.astype(np.int64)


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc (label 1) inside a ring (label 0), radius 5.

    As in the Playground, the label is taken from a noisy copy of each point while the
    clean point is returned, so noise shows up as mislabelled points near the gap.
    """
    radius = 5.0
    inner = np.arange(n) < n // 2
    r = np.where(inner, rng.uniform(0, 0.5, n), rng.uniform(0.7, 1.0, n)) * radius
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    noisy = x + rng.uniform(-radius, radius, (n, 2)) * noise
    return _finish_2d(x, np.hypot(noisy[:, 0], noisy[:, 1]) < 0.5 * radius)


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants; label 1 where x1 * x2 >= 0 (taken from a noisy copy, as above)."""
    x = rng.uniform(-5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)  # the Playground's padding keeps points off the axes
    noisy = x + rng.uniform(-5, 5, (n, 2)) * noise
    return _finish_2d(x, noisy[:, 0] * noisy[:, 1] >= 0)


def gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two gaussian blobs at (2, 2) (label 1) and (-2, -2) (label 0).

    The variance grows from 0.5 to 4 as noise goes from 0 to 0.5, as in the Playground.
    """
    variance = 0.5 + 3.5 * min(noise, 0.5) / 0.5
    y = np.arange(n) < n // 2
    centre = np.where(y, 2.0, -2.0)[:, None]
    return _finish_2d(centre + rng.normal(0, np.sqrt(variance), (n, 2)), y)


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms (labels 1 and 0) of 1.75 turns out to radius 5."""
    half = n // 2
    arm = np.arange(n) < half
    i = np.where(arm, np.arange(n), np.arange(n) - half)
    per_arm = np.where(arm, half, n - half)
    r = i / per_arm * 5
    t = 1.75 * i / per_arm * 2 * np.pi + np.where(arm, 0.0, np.pi)
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _finish_2d(x + rng.uniform(-1, 1, (n, 2)) * noise, arm)


def linear(
    n: int, margin: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Points in [-5, 5]^2 labelled +1/-1 by a random line, none closer than ``margin``.

    Returns ``x, y, w, b`` with ``y * (x @ w + b) >= margin`` for every point (w is a unit
    vector), so the perceptron convergence theorem applies.
    """
    angle = rng.uniform(0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    b = float(rng.uniform(-1, 1))
    kept = np.empty((0, 2))
    while len(kept) < n:
        x = rng.uniform(-5, 5, (2 * n, 2))
        kept = np.concatenate([kept, x[np.abs(x @ w + b) >= margin]])
    x = kept[:n]
    y = np.where(x @ w + b > 0, 1, -1)
    return x.astype(np.float32), y.astype(np.int64), w, b


WEATHER_FEATURES = ("hour", "day_of_year", "humidity", "pressure", "wind", "cloud_cover")


def weather(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Conditions -> air temperature in degrees Celsius (unscaled).

    Features, in ``WEATHER_FEATURES`` order: hour 0..24, day of year 0..365, relative
    humidity 20..100 %, pressure ~1013 hPa, wind speed m/s, cloud cover 0..1. The target
    mixes a seasonal and a daily cycle (damped by clouds) with smaller linear and
    square-root effects, plus gaussian noise of ``noise`` degrees.
    """
    hour = rng.uniform(0, 24, n)
    day = rng.uniform(0, 365, n)
    humidity = rng.uniform(20, 100, n)
    pressure = rng.normal(1013, 8, n)
    wind = np.abs(rng.normal(0, 5, n))
    cloud = rng.uniform(0, 1, n)
    temperature = (
        12
        - 10 * np.cos(2 * np.pi * (day - 15) / 365)  # coldest in mid-January
        - 6 * (1 - 0.6 * cloud) * np.cos(2 * np.pi * (hour - 3) / 24)  # warmest at 15:00
        - 0.08 * (humidity - 60)
        + 0.15 * (pressure - 1013)
        - 2 * np.sqrt(wind)
        + rng.normal(0, noise, n)
    )
    x = np.stack([hour, day, humidity, pressure, wind, cloud], axis=1)
    return x.astype(np.float32), temperature.astype(np.float32)


SHAPE_NAMES = (
    "circle", "square", "triangle", "diamond", "plus",
    "cross", "ring", "star", "hexagon", "crescent",
)


def _regular_polygon(u: np.ndarray, v: np.ndarray, sides: int, phase: float) -> np.ndarray:
    """Inside test for a regular polygon of circumradius 1 (convex: all half-planes)."""
    inside = np.ones(u.shape, dtype=bool)
    apothem = np.cos(np.pi / sides)
    for k in range(sides):
        a = phase + 2 * np.pi * (k + 0.5) / sides
        inside &= u * np.cos(a) + v * np.sin(a) <= apothem
    return inside


def _shape_mask(kind: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean mask of one shape in local coordinates where the shape spans about [-1, 1]."""
    r = np.hypot(u, v)
    if kind == "circle":
        return r <= 0.9
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.75
    if kind == "triangle":
        return _regular_polygon(u, v + 0.2, 3, np.pi / 2)
    if kind == "diamond":
        return np.abs(u) + np.abs(v) <= 1.0
    if kind in ("plus", "cross"):
        if kind == "cross":
            u, v = (u - v) / np.sqrt(2), (u + v) / np.sqrt(2)
        return ((np.abs(u) <= 0.28) & (np.abs(v) <= 1)) | ((np.abs(v) <= 0.28) & (np.abs(u) <= 1))
    if kind == "ring":
        return (r <= 1.0) & (r >= 0.6)
    if kind == "star":
        theta = np.arctan2(v, u)
        return r <= 0.5 + 0.5 * np.cos(2.5 * (theta - np.pi / 2)) ** 4
    if kind == "hexagon":
        return _regular_polygon(u, v, 6, 0.0)
    if kind == "crescent":
        return (r <= 1.0) & (np.hypot(u - 0.45, v) >= 0.8)
    raise ValueError(kind)


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    k = (np.array([5.0, 3.0, 1.0]) + h[:, None] * 6) % 6
    return v[:, None] - v[:, None] * s[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)


def shapes(
    n: int, noise: float, rng: np.random.Generator, size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` RGB images (n, size, size, 3) in [0, 1] of one shape each; labels index
    ``SHAPE_NAMES`` and are balanced.

    Position, scale, a small rotation (+-15 degrees, so a square never becomes a diamond),
    the shape's colour and a contrasting background vary at random, and gaussian pixel
    noise of standard deviation ``noise`` is added; colour never tells the class.
    """
    y = rng.permutation(np.arange(n) % len(SHAPE_NAMES))
    ss = 2  # supersampling factor for soft, anti-aliased edges
    grid = ((np.arange(size * ss) + 0.5) / ss).astype(np.float32)  # float32 halves the time
    py, px = np.meshgrid(grid, grid, indexing="ij")
    scale = rng.uniform(0.22, 0.36, n) * size
    cx = size / 2 + rng.uniform(-1, 1, n) * (size / 2 - scale - 1)
    cy = size / 2 + rng.uniform(-1, 1, n) * (size / 2 - scale - 1)
    rot = np.deg2rad(rng.uniform(-15, 15, n))
    scale, cx, cy, rot = (a.astype(np.float32) for a in (scale, cx, cy, rot))
    masks = np.empty((n, size * ss, size * ss), dtype=bool)
    for label, kind in enumerate(SHAPE_NAMES):
        i = np.flatnonzero(y == label)[:, None, None]
        dx, dy = (px - cx[i]) / scale[i], (py - cy[i]) / scale[i]
        u = dx * np.cos(rot[i]) + dy * np.sin(rot[i])
        v = dx * np.sin(rot[i]) - dy * np.cos(rot[i])  # v points up, as on paper
        masks[i[:, 0, 0]] = _shape_mask(kind, u, v)
    alpha = masks.reshape(n, size, ss, size, ss).mean(axis=(2, 4), dtype=np.float32)[..., None]
    # Half the images are a bright shape on a dark ground, half a darker shape on a light one.
    dark = rng.uniform(0, 1, n) < 0.5
    fg_value = np.where(dark, rng.uniform(0.7, 1, n), rng.uniform(0.35, 0.7, n))
    bg_value = np.where(dark, rng.uniform(0, 0.25, n), rng.uniform(0.85, 1, n))
    fg = _hsv_to_rgb(rng.uniform(0, 1, n), rng.uniform(0.7, 1, n), fg_value).astype(np.float32)
    bg = _hsv_to_rgb(rng.uniform(0, 1, n), rng.uniform(0, 0.2, n), bg_value).astype(np.float32)
    images = alpha * fg[:, None, None, :] + (1 - alpha) * bg[:, None, None, :]
    images += noise * rng.standard_normal(images.shape, dtype=np.float32)
    return np.clip(images, 0, 1, out=images), y.astype(np.int64)


def source_files() -> list[Path]:
    """The package's own hand-written Python files (inspector/, trainers/): the text corpus
    of the "code" data set. Generated protobuf modules are left out."""
    roots = [Path(inspector.__file__).parent, Path(__file__).parent]
    return sorted(p for root in roots for p in root.rglob("*.py")
                  if "__pycache__" not in p.parts and not p.name.endswith("_pb2.py"))
