"""What the kernels page draws: a layer's raw kernels as tiles, sent compactly, and per-filter
statistics over every logged step. Pure functions over the store's values; never imports Dash.

Every kernel layout is brought to one drawing form, ``tiles [T, S, H, W]`` float32: T tiles
(one per output filter or unit), each with S sub-images (input channels) of H x W values:

- 2-D conv ``[kh, kw, in, out]`` -> ``[out, in, kh, kw]``;
- 1-D conv ``[k, in, out]`` -> ``[out, 1, in, k]`` (each filter one in x k picture);
- 3-D conv ``[kd, kh, kw, in, out]`` -> ``[out, in * kd, kh, kw]``;
- dense ``[in, out]`` reading an image of shape (H, W, C) with in = H*W*C -> ``[out, C, H, W]``
  (one template per unit, e.g. the 784x10 softmax weights as ten 28x28 templates);
- any other dense ``[in, out]`` -> ``[1, 1, in, out]`` (the matrix as one picture).

Frames go to the browser as int8 with one scale per tile (base64): zero stays exactly zero and
a negative weight stays negative, at a quarter of float32's size.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

import numpy as np

from inspector.events import plugins as P
from inspector.kinds import Kind

CHUNK_BYTES = 1 << 18  # frames per request: about this many int8 values (small: the first
# request answers fast and the rest stream in behind it)
UNCHANGED = 1e-2  # a filter that moved less than this share of its initial norm: "unchanging"
DEAD = 1e-2  # a filter whose norm is below this share of the layer's median norm: "dead"


@dataclass(frozen=True)
class LayerForm:
    """How a layer's kernel is drawn: ``form`` one of conv2d, conv1d, conv3d, templates,
    matrix; ``tiles`` (T, S, H, W); ``tile_label`` what a tile is (filter, unit, matrix)."""

    form: str
    tiles: tuple[int, int, int, int]
    tile_label: str


def series(store, kind: Kind, run: str, tag: str) -> list:
    """The store's points of (kind, run, tag), or [] when it holds none (never raises)."""
    return store.series(kind, run, tag) if store.has(kind, run, tag) else []


def layer_name(tag: str) -> str:
    """``kernels/conv1`` -> ``conv1``."""
    return tag[len(P.TAG_KERNELS):] if tag.startswith(P.TAG_KERNELS) else tag


def kernel_layers(store, run: str) -> list[str]:
    """The layers of ``run`` with raw kernels, in tag order (``conv1``, ``conv2``, ...)."""
    return [layer_name(t) for t in store.tags(Kind.KERNELS, run).get(run, [])]


def kernel_runs(store) -> list[str]:
    """Runs that hold raw kernels."""
    return [r for r, tags in store.tags(Kind.KERNELS).items() if tags]


def input_shape(store, run: str) -> tuple[int, ...] | None:
    """The model's per-sample input shape: from the Keras model JSON the hook writes (its first
    InputLayer), else from the probe input images (H, W, channels unknown -> 1), else None."""
    for tag in store.tags(Kind.KERAS_MODEL, run).get(run, []):
        points = series(store, Kind.KERAS_MODEL, run, tag)
        try:
            layers = json.loads(points[-1].value)["config"]["layers"]
        except (IndexError, KeyError, TypeError, ValueError):
            continue
        for layer in layers:
            shape = (layer.get("config") or {}).get("batch_shape")
            if layer.get("class_name") == "InputLayer" and shape and None not in shape[1:]:
                return tuple(int(d) for d in shape[1:])
    images = series(store, Kind.IMAGES, run, P.TAG_PROBE_INPUTS)
    if images:
        return (images[-1].value.height, images[-1].value.width, 1)
    return None


# Images of kernels written by other tools. Inspector's own picture of a layer
# (kernels/<layer>/grid) is listed only when the layer's raw tensor is missing (the hook skips
# tensors over max_kernel_values): otherwise the page's grid draws that tensor.
KERNEL_IMAGES = re.compile(r"^(?!feature_maps/|feature_vis/).*(kernel|weight)", re.IGNORECASE)


def kernel_image_tags(store) -> dict[str, list[str]]:
    """{run: image tags that look like kernels (other writers' pictures, e.g. the stock Keras
    callback's write_images), minus Inspector's pictures of layers whose raw tensor exists}."""
    raw = store.tags(Kind.KERNELS)
    suffix = P.TAG_GRID_SUFFIX

    def drawn_from_tensor(run: str, tag: str) -> bool:
        return tag.endswith(suffix) and tag[:-len(suffix)] in raw.get(run, [])

    return {run: [t for t in tags if KERNEL_IMAGES.search(t) and not drawn_from_tensor(run, t)]
            for run, tags in store.tags(Kind.IMAGES).items()}


def layer_form(shape: tuple[int, ...], image_shape: tuple[int, ...] | None = None) -> LayerForm:
    """The drawing form of a kernel of ``shape`` (see the module docstring). Raises
    ``ValueError`` for a shape that is no kernel (fewer than 2 or more than 5 dimensions)."""
    if len(shape) == 4:
        kh, kw, cin, out = shape
        return LayerForm("conv2d", (out, cin, kh, kw), "filter")
    if len(shape) == 3:
        k, cin, out = shape
        return LayerForm("conv1d", (out, 1, cin, k), "filter")
    if len(shape) == 5:
        kd, kh, kw, cin, out = shape
        return LayerForm("conv3d", (out, cin * kd, kh, kw), "filter")
    if len(shape) == 2:
        cin, out = shape
        if image_shape is not None and len(image_shape) in (2, 3) and \
                int(np.prod(image_shape)) == cin and min(image_shape[:2]) > 1:
            h, w = image_shape[:2]
            c = image_shape[2] if len(image_shape) == 3 else 1
            return LayerForm("templates", (out, c, h, w), "unit")
        return LayerForm("matrix", (1, 1, cin, out), "matrix")
    raise ValueError(f"a kernel has 2 to 5 dimensions, not shape {shape}")


def as_tiles(kernel: np.ndarray, form: LayerForm) -> np.ndarray:
    """``kernel`` (as logged) in the drawing form ``[T, S, H, W]`` float32."""
    k = np.asarray(kernel, np.float32)
    if form.form == "conv2d":
        t = k.transpose(3, 2, 0, 1)
    elif form.form == "conv1d":
        t = k.transpose(2, 1, 0)[:, None]
    elif form.form == "conv3d":
        kd, kh, kw, cin, out = k.shape
        t = k.transpose(4, 3, 0, 1, 2).reshape(out, cin * kd, kh, kw)
    elif form.form == "templates":
        out, c, h, w = form.tiles
        t = k.reshape(h, w, c, out).transpose(3, 2, 0, 1)
    else:
        t = k[None, None]
    return np.ascontiguousarray(t.reshape(form.tiles))


def quantize(tiles: np.ndarray) -> tuple[bytes, list[float]]:
    """int8 bytes of ``tiles`` with one scale per tile (value = q * scale / 127); non-finite
    values become 0. Scales are the tiles' largest magnitudes (0 for an all-zero tile)."""
    t = np.nan_to_num(np.asarray(tiles, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    scale = np.abs(t.reshape(len(t), -1)).max(axis=1) if t.size else np.zeros(len(t))
    safe = np.where(scale > 0, scale, 1.0).reshape((-1,) + (1,) * (t.ndim - 1))
    q = np.clip(np.rint(t / safe * 127), -127, 127).astype(np.int8)
    return q.tobytes(), [float(s) for s in scale]


def dequantize(data: bytes, scales: list[float], shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of ``quantize`` (what the browser computes), float32 ``shape``."""
    q = np.frombuffer(data, np.int8).astype(np.float32).reshape(shape)
    s = np.asarray(scales, np.float32).reshape((-1,) + (1,) * (len(shape) - 1))
    return q * s / 127


def steps_per_chunk(form: LayerForm, budget: int = CHUNK_BYTES) -> int:
    """How many frames of this layer one request carries (at least one)."""
    return max(1, budget // max(1, int(np.prod(form.tiles))))


def frame(point, form: LayerForm) -> dict:
    """One step's frame: ``{"q": base64 int8 tiles, "s": [scale per tile]}``."""
    data, scales = quantize(as_tiles(point.value, form))
    return {"q": base64.b64encode(data).decode("ascii"), "s": scales}


def frames_chunk(points, form: LayerForm, chunk: int, per_chunk: int) -> list[dict]:
    """Frames ``chunk * per_chunk`` onwards (at most ``per_chunk``) of a layer's points."""
    return [frame(point, form) for point in points[chunk * per_chunk:(chunk + 1) * per_chunk]]


def filter_statistics(points, form: LayerForm) -> dict:
    """Per tile (filter or unit) and step: ``norm`` (L2 of its weights), ``delta_last`` (L2 of
    the change since the previous logged step; 0 at the first), ``delta_first`` (since the
    first logged step), each ``[steps][T]`` rounded floats; and ``flags[steps][T]``: "dead"
    (norm below DEAD x the layer's median norm at that step), "unchanging" (after the first
    step, moved less than UNCHANGED x its first norm) or "". A matrix (one tile) gets its
    statistics per column (unit)."""
    norms, d_last, d_first, flags = [], [], [], []
    first = prev = None
    for point in points:
        t = as_tiles(point.value, form)
        per = t.reshape(form.tiles[2], form.tiles[3]).T if form.form == "matrix" else \
            t.reshape(len(t), -1)
        per = np.nan_to_num(per.astype(np.float64))
        if first is None:
            first = prev = per
        n = np.linalg.norm(per, axis=1)
        dl = np.linalg.norm(per - prev, axis=1)
        df = np.linalg.norm(per - first, axis=1)
        n0 = np.linalg.norm(first, axis=1)
        median = float(np.median(n)) if n.size else 0.0
        step_flags = np.where(n < DEAD * median, "dead", "")
        if len(norms):
            step_flags = np.where((step_flags == "") & (df < UNCHANGED * np.maximum(n0, 1e-12)),
                                  "unchanging", step_flags)
        norms.append(_round(n))
        d_last.append(_round(dl))
        d_first.append(_round(df))
        flags.append([str(f) for f in step_flags])
        prev = per
    return {"norm": norms, "delta_last": d_last, "delta_first": d_first, "flags": flags}


def _round(a: np.ndarray) -> list[float]:
    return [float(f"{v:.4g}") for v in a]


def layer_payload(store, run: str, layer: str, first: int | None = None) -> dict | None:
    """Everything the browser needs about a layer: steps, shape, drawing form, chunking,
    statistics, feature visualizations, and the frame at index ``first`` (default: the last
    step) as ``"first": {"index", "q", "s"}``, so the grid is drawn before any chunk arrives.
    None when the layer has no kernels in ``run``."""
    tag = P.TAG_KERNELS + layer
    points = series(store, Kind.KERNELS, run, tag)
    if not points:
        return None
    shape = tuple(int(d) for d in points[0].value.shape)
    form = layer_form(shape, input_shape(store, run))
    per_chunk = steps_per_chunk(form)
    index = len(points) - 1 if first is None else max(0, min(first, len(points) - 1))
    return {
        "key": f"{run}\x00{layer}\x00{len(points)}",
        "run": run, "layer": layer, "shape": list(shape), "form": form.form,
        "tiles": list(form.tiles), "tile_label": form.tile_label,
        "steps": [int(p.step) for p in points],
        "per_chunk": per_chunk, "chunks": -(-len(points) // per_chunk),
        "stats": filter_statistics(points, form),
        "fv": None if form.form == "matrix" else
        feature_vis_payload(store, run, layer, form.tiles[0]),
        "first": {"index": index, **frame(points[index], form)},
    }


FEATURE_VIS_BYTES = 4 << 20  # at most this many int8 values of feature visualizations per layer


def feature_vis_payload(store, run: str, layer: str, filters: int) -> dict | None:
    """The feature visualizations of ``layer`` in ``run`` (``Kind.FEATURE_VIS``) for the
    browser: ``{"steps", "tiles": [filters, C, H, W], "frames": [{"q", "s"}]}``, each image
    centred on its mean and scaled to its own range, placed at its filter's index (filters not
    visualized stay blank). Only the last steps that fit FEATURE_VIS_BYTES are sent. None when
    there are none."""
    tag = "feature_vis/" + layer
    points = series(store, Kind.FEATURE_VIS, run, tag)
    if not points:
        return None
    info = store.tag_info(run, tag)
    shape = points[-1].value.shape
    if len(shape) == 3:
        shape = (*shape, 1)
    n, h, w, c = shape
    chosen = list(getattr(info.metadata, "filters", ()) or range(n)) if info else list(range(n))
    total = max(filters, max(chosen, default=0) + 1)
    keep = max(1, FEATURE_VIS_BYTES // max(1, total * h * w * c))
    frames, steps = [], []
    for point in points[-keep:]:
        images = np.asarray(point.value, np.float32).reshape(-1, h, w, c)
        images = images - images.mean(axis=(1, 2, 3), keepdims=True)
        tiles = np.zeros((total, c, h, w), np.float32)
        for k, f in enumerate(chosen[:len(images)]):
            tiles[f] = images[k].transpose(2, 0, 1)
        data, scales = quantize(tiles)
        frames.append({"q": base64.b64encode(data).decode("ascii"), "s": scales})
        steps.append(int(point.step))
    return {"steps": steps, "tiles": [total, c, h, w], "frames": frames}


def index_at_step(steps: list[int], step) -> int:
    """The index of the last logged step at or before ``step`` (a number or its text; the
    first index when ``step`` comes before all, or is not a number)."""
    try:
        wanted = float(step)
    except (TypeError, ValueError):
        return 0
    index = 0
    for i, s in enumerate(steps):
        if s <= wanted:
            index = i
    return index
