"""What the activations page draws: a layer's outputs on the probe inputs at one step, in the
tile form of ``dashboards.kernels_data`` (sent as int8 with one scale per map), the probe
inputs beside them, and the probes that excite a filter most. Pure functions over the store's
values; never imports Dash.

Feature maps ``[probes, h, w, c]`` become ``[probes, c, 1, h, w]`` (one tile per channel);
sequences ``[probes, steps, c]`` one ``steps x c`` picture per probe; dense outputs
``[probes, units]`` one near-square picture of the units per probe (``valid`` says how many
of its cells are real units, the rest is padding).
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np

from dashboards.kernels_data import quantize, series
from dashboards.security import safe_image_uri
from inspector.events import plugins as P
from inspector.kinds import Kind


def activation_runs(store) -> list[str]:
    """Runs that hold feature maps."""
    return [r for r, tags in store.tags(Kind.ACTIVATIONS).items() if tags]


def model_layer_order(store, run: str) -> list[str]:
    """Layer names in model order, from the Keras model JSON the hook writes (empty if none)."""
    for tag in store.tags(Kind.KERAS_MODEL, run).get(run, []):
        points = series(store, Kind.KERAS_MODEL, run, tag)
        try:
            return [layer["config"]["name"] for layer in
                    json.loads(points[-1].value)["config"]["layers"]]
        except (IndexError, KeyError, TypeError, ValueError):
            continue
    return []


def activation_layers(store, run: str) -> list[str]:
    """Layers with feature maps in ``run``, in model order when known (else by name)."""
    names = [t[len(P.TAG_FEATURE_MAPS):] for t in store.tags(Kind.ACTIVATIONS, run).get(run, [])
             if t.startswith(P.TAG_FEATURE_MAPS)]
    order = {name: i for i, name in enumerate(model_layer_order(store, run))}
    return sorted(names, key=lambda n: (order.get(n.rsplit("/", 1)[-1], len(order)), n))


def as_map_tiles(maps: np.ndarray) -> tuple[np.ndarray, int]:
    """Outputs ``[probes, ...]`` as tiles ``[probes, T, 1, H, W]`` and the count of real values
    per tile (see the module docstring). Raises ``ValueError`` for other ranks."""
    m = np.asarray(maps, np.float32)
    if m.ndim == 4:
        p, h, w, c = m.shape
        return np.ascontiguousarray(m.transpose(0, 3, 1, 2)[:, :, None]), h * w
    if m.ndim == 3:
        p, s, c = m.shape
        return m[:, None, None], s * c
    if m.ndim == 2:
        p, units = m.shape
        w = max(1, math.ceil(math.sqrt(units)))
        h = max(1, math.ceil(units / w))
        padded = np.zeros((p, h * w), np.float32)
        padded[:, :units] = m
        return padded.reshape(p, 1, 1, h, w), units
    raise ValueError(f"feature maps are [probes, ...] of 2 to 4 dimensions, not {m.shape}")


def maps_payload(maps: np.ndarray) -> dict:
    """The browser's form of one step's outputs: ``dims`` [P, T, 1, H, W], ``valid``, int8
    ``q`` (base64) and ``s`` (one scale per map, P*T of them)."""
    tiles, valid = as_map_tiles(maps)
    p, t, s, h, w = tiles.shape
    data, scales = quantize(tiles.reshape(p * t, s, h, w))
    return {"dims": [p, t, s, h, w], "valid": valid,
            "q": base64.b64encode(data).decode("ascii"), "s": scales}


def filter_means(maps: np.ndarray) -> np.ndarray:
    """Mean activation of every filter (channel, unit) per probe, ``[probes, channels]``."""
    m = np.nan_to_num(np.asarray(maps, np.float64))
    return m.reshape(len(m), -1, m.shape[-1]).mean(axis=1) if m.ndim > 2 else m


def top_probes(maps: np.ndarray, channel: int, k: int = 8) -> list[tuple[int, float]]:
    """The ``k`` probes with the highest mean activation of ``channel``: (probe, mean)."""
    means = filter_means(maps)
    if not 0 <= channel < means.shape[1]:
        return []
    order = np.argsort(-means[:, channel], kind="stable")[:k]
    return [(int(i), float(means[i, channel])) for i in order]


def probe_images(store, run: str, tag: str = P.TAG_PROBE_INPUTS) -> list[str | None]:
    """Data URIs of the probe input images (the last logged set), None where an image was
    refused; empty when the probe inputs are not images."""
    points = series(store, Kind.IMAGES, run, tag)
    if not points:
        return []
    return [safe_image_uri(data)[0] for data in points[-1].value.encoded]


_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$")


def probe_labels(store, run: str) -> dict[int, str]:
    """Probe index -> label, from the hook's ``probe/labels`` table (empty if none)."""
    points = series(store, Kind.TEXT, run, P.TAG_PROBE_LABELS)
    if not points:
        return {}
    value = points[-1].value
    text = str(value.flat[0] if isinstance(value, np.ndarray) else value)
    if isinstance(value, np.ndarray) and isinstance(value.flat[0], bytes):
        text = value.flat[0].decode("utf-8", "replace")
    labels = {}
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if match:
            labels[int(match.group(1))] = match.group(2)
    return labels
