"""Pictures of tensors for TensorBoard's Images dashboard: kernel grids, feature-map grids,
weight matrices, dense-layer templates and confusion matrices, as uint8 RGB arrays.

The logging hook writes one of these beside each of Inspector's own raw tensors, so a
TensorBoard user sees something too. Pure numpy: never imports TensorFlow, never writes.
Colours: weights use a diverging map (blue negative, white zero, red positive) scaled by the
largest magnitude of the whole tensor, so tiles of one layer compare; activations are grey,
scaled per channel over all probe inputs, so the probes of one channel compare.
"""

from __future__ import annotations

import numpy as np

SEPARATOR = np.array([40, 44, 52], np.uint8)  # 1-pixel gaps between tiles
MIN_TILE = 24  # tiles are magnified by an integer factor up to at least this many pixels
MAX_SIDE = 1024  # no picture is larger than this on either side


def diverging(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """RGB uint8 of ``values``: -scale blue, 0 white, +scale red (scale: max |values|)."""
    v = np.nan_to_num(np.asarray(values, np.float32))
    if scale is None:
        scale = float(np.max(np.abs(v))) if v.size else 0.0
    t = np.clip(v / (scale or 1.0), -1.0, 1.0)[..., None]
    white = np.array([1.0, 1.0, 1.0], np.float32)
    red = np.array([0.70, 0.09, 0.17], np.float32)
    blue = np.array([0.13, 0.40, 0.67], np.float32)
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return (rgb * 255 + 0.5).astype(np.uint8)


def grey(values: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
    """RGB uint8 grey levels of ``values`` scaled from ``lo`` (black) to ``hi`` (white)."""
    v = np.nan_to_num(np.asarray(values, np.float32))
    span = np.where(np.asarray(hi) > np.asarray(lo), np.asarray(hi) - np.asarray(lo), 1.0)
    g = np.clip((v - lo) / span, 0.0, 1.0)
    return np.repeat((g * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=-1)


def tile(tiles: np.ndarray, min_tile: int = MIN_TILE) -> np.ndarray:
    """Tiles ``[rows, cols, h, w, 3]`` uint8 as one picture, magnified by the integer factor
    that makes a tile at least ``min_tile`` pixels (within MAX_SIDE), 1-pixel gaps."""
    rows, cols, h, w, _ = tiles.shape
    zoom = max(1, -(-min_tile // max(1, min(h, w))))
    while zoom > 1 and max(rows * (h * zoom + 1), cols * (w * zoom + 1)) > MAX_SIDE:
        zoom -= 1
    if zoom > 1:
        tiles = tiles.repeat(zoom, axis=2).repeat(zoom, axis=3)
        h, w = h * zoom, w * zoom
    out = np.empty((rows * (h + 1) + 1, cols * (w + 1) + 1, 3), np.uint8)
    out[:] = SEPARATOR
    view = out[1:, 1:].reshape(rows, h + 1, cols, w + 1, 3)
    view[:, :h, :, :w] = tiles.transpose(0, 2, 1, 3, 4)
    return out


def conv_kernel_2d(kernel: np.ndarray) -> np.ndarray:
    """Any convolution kernel as ``[kh, kw, in, out]``: 1-D kernels get kh = 1, 3-D ones
    their middle depth slice."""
    k = np.asarray(kernel, np.float32)
    if k.ndim == 3:
        return k[None]
    if k.ndim == 5:
        return k[k.shape[0] // 2]
    if k.ndim != 4:
        raise ValueError(f"a convolution kernel has 3 to 5 dimensions, got shape {k.shape}")
    return k


def kernel_grid(kernel: np.ndarray, max_in: int = 16, max_out: int = 64) -> np.ndarray:
    """A conv kernel as a picture: one column per output channel, one row per input channel
    (at most ``max_in`` x ``max_out`` tiles; the raw tensor keeps them all). A kernel with
    3 input channels (a first layer on colour images) gets one RGB tile per output channel."""
    k = conv_kernel_2d(kernel)
    kh, kw, cin, cout = k.shape
    k = k[:, :, :, :max_out]
    if cin == 3:
        lo = k.min(axis=(0, 1, 2), keepdims=True)
        hi = k.max(axis=(0, 1, 2), keepdims=True)
        rgb = grey(k, lo, hi)[..., 0]  # [kh, kw, 3, out] levels, channel = colour
        tiles = rgb.transpose(3, 0, 1, 2)[None]  # [1, out, kh, kw, 3]
        return tile(tiles)
    scale = float(np.max(np.abs(k))) if k.size else 0.0
    tiles = diverging(k[:, :, :max_in, :], scale)  # [kh, kw, in, out, 3]
    return tile(tiles.transpose(2, 3, 0, 1, 4))


def matrix_image(matrix: np.ndarray) -> np.ndarray:
    """A 2-D weight matrix ``[in, out]`` as a diverging-colour picture (rows = inputs),
    subsampled by an integer stride to at most MAX_SIDE pixels a side."""
    m = np.asarray(matrix, np.float32)
    if m.ndim != 2:
        raise ValueError(f"a weight matrix has 2 dimensions, got shape {m.shape}")
    scale = float(np.max(np.abs(m))) if m.size else 0.0
    m = m[:: -(-m.shape[0] // MAX_SIDE), :: -(-m.shape[1] // MAX_SIDE)]
    return tile(diverging(m, scale)[None, None], min_tile=64)


def templates_grid(matrix: np.ndarray, image_shape: tuple[int, ...], max_units: int = 64,
                   columns: int = 16) -> np.ndarray:
    """A dense layer that reads an image: each unit's incoming weights reshaped to the image
    (softmax regression's ten digit templates), at most ``max_units`` tiles."""
    m = np.asarray(matrix, np.float32)[:, :max_units]
    h, w = image_shape[0], image_shape[1]
    c = image_shape[2] if len(image_shape) > 2 else 1
    units = m.shape[1]
    cols = min(columns, units)
    rows = -(-units // cols)
    scale = float(np.max(np.abs(m))) if m.size else 0.0
    per_unit = m.T.reshape(units, h, w, c)
    if c == 3:
        lo = per_unit.min(axis=(1, 2, 3), keepdims=True)
        hi = per_unit.max(axis=(1, 2, 3), keepdims=True)
        pics = grey(per_unit, lo, hi)[..., 0]
    else:
        pics = diverging(per_unit.mean(axis=-1), scale)
    tiles = np.empty((rows * cols, h, w, 3), np.uint8)
    tiles[:] = SEPARATOR
    tiles[:units] = pics
    return tile(tiles.reshape(rows, cols, h, w, 3))


def feature_map_grid(maps: np.ndarray, max_channels: int = 32) -> np.ndarray:
    """Layer outputs of the probe inputs as a picture, one row per probe input.

    ``[P, H, W, C]`` (conv, pooling): one tile per channel (at most ``max_channels``), grey,
    each channel scaled over all probes. ``[P, units]`` (dense): one strip per probe, one
    cell per unit. 1-D conv outputs ``[P, L, C]`` become tiles of height 1.
    """
    a = np.asarray(maps, np.float32)
    if a.ndim == 2:
        lo, hi = a.min(), a.max()
        cells = grey(a, lo, hi)  # [P, units, 3]
        p, units = a.shape
        cell_w = max(1, min(8, MAX_SIDE // max(units, 1)))
        strip = cells.repeat(cell_w, axis=1)[:, None, None]  # [P, 1, 1, units*w, 3]
        return tile(strip.repeat(MIN_TILE, axis=2), min_tile=1)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4:
        raise ValueError(f"feature maps are [P, H, W, C], [P, L, C] or [P, units], got {a.shape}")
    a = a[..., :max_channels]
    lo = a.min(axis=(0, 1, 2), keepdims=True)
    hi = a.max(axis=(0, 1, 2), keepdims=True)
    tiles = grey(a, lo, hi)  # [P, H, W, C, 3]
    return tile(tiles.transpose(0, 3, 1, 2, 4))


def image_like(shape: tuple[int, ...]) -> bool:
    """Whether an input of this per-sample shape can be shown as an image."""
    return (len(shape) == 3 and shape[-1] in (1, 3, 4) and min(shape[:2]) > 1) or (
        len(shape) == 2 and min(shape) > 4)


def as_images(x: np.ndarray) -> np.ndarray:
    """A batch of image-like inputs as float ``[N, H, W, C]`` in [0, 1] (each image scaled by
    its own range unless it already lies in [0, 1])."""
    a = np.asarray(x, np.float32)
    if a.ndim == 3:
        a = a[..., None]
    lo = a.min(axis=(1, 2, 3), keepdims=True)
    hi = a.max(axis=(1, 2, 3), keepdims=True)
    inside = (lo >= 0) & (hi <= 1)
    return np.where(inside, a, (a - lo) / np.where(hi > lo, hi - lo, 1.0))


def confusion_image(matrix: np.ndarray, cell: int = 16) -> np.ndarray:
    """A confusion matrix (rows true, columns predicted) coloured by row share, white 0 to
    dark blue 1, so each row reads as the recall of its class."""
    m = np.asarray(matrix, np.float64)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    white = np.array([1.0, 1.0, 1.0])
    dark = np.array([0.03, 0.19, 0.42])
    rgb = ((white + share[..., None] * (dark - white)) * 255 + 0.5).astype(np.uint8)
    cell = max(1, min(cell, MAX_SIDE // max(len(m), 1)))
    return tile(rgb[:, :, None, None], min_tile=cell)
