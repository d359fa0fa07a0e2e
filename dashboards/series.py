"""Scalar series shaped for a chart card: queried from the store, decimated per pixel,
packed as base64 typed arrays for ``assets/curves.js``.

Every point stays reachable: a series longer than the card's pixel budget comes back as
buckets carrying their min, max, mean and point count (drawn as an envelope, so no spike
disappears), and zooming re-queries the visible step range at full resolution.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import numpy as np

from inspector.buckets import bucket
from inspector.ranges import in_range
from inspector.store import Store

# Buckets per card when the browser has not said how wide its charts are.
DEFAULT_MAX_POINTS = 600
INT32_MAX = 2**31 - 1


@dataclass
class CardSeries:
    """One run's series as a card draws it. ``mins``..``counts`` are None when every point
    in the range is present (no decimation)."""

    steps: np.ndarray
    wall_times: np.ndarray
    values: np.ndarray
    total: int
    wall0: float
    mins: np.ndarray | None = None
    maxs: np.ndarray | None = None
    means: np.ndarray | None = None
    counts: np.ndarray | None = None
    marks: dict | None = None  # edge_marks(): NaN/±inf points and superseded points

    @property
    def decimated(self) -> bool:
        return self.mins is not None


def query_series(store: Store, run: str, tag: str, step_range: tuple[float, float] | None,
                 max_points: int) -> CardSeries:
    """(run, tag) within ``step_range`` (every step when None), cut into at most
    ``max_points`` equal-width buckets when longer (``inspector.buckets``), with each
    bucket's mean and finite-point count, which the smoothing needs to treat a bucket as the
    points it stands for. The series is read from the store once."""
    full = store.scalars(run, tag, include_superseded=True)
    wall0 = float(full.wall_times[0]) if len(full.wall_times) else 0.0
    steps, walls, values, sup = full.steps, full.wall_times, full.values, full.superseded
    if step_range is not None:
        keep = in_range(steps, step_range[0], step_range[1])  # steps may go back
        steps, walls, values, sup = steps[keep], walls[keep], values[keep], sup[keep]
    marks = edge_marks(steps, walls - wall0, values, sup, max_points)
    if sup.any():
        steps, walls, values = steps[~sup], walls[~sup], values[~sup]
    total = len(steps)
    if total <= max_points:
        return CardSeries(steps, walls, values, total, wall0, marks=marks)
    b = bucket(steps, values, max_points)
    return CardSeries(steps[b.last], walls[b.last], b.last_values, total, wall0,
                      mins=b.mins, maxs=b.maxs, means=b.means, counts=b.finite, marks=marks)


MAX_MARKS = 200  # edge marks per run and card; more are thinned evenly (the hover counts all)


def edge_marks(steps: np.ndarray, rel_walls: np.ndarray, values: np.ndarray,
               superseded: np.ndarray, max_points: int) -> dict | None:
    """What a card marks besides its line, as small JSON lists (None when nothing):
    ``nf``: NaN and ±inf points ({"s": steps, "w": relative walls, "k": 0 NaN, 1 +inf,
    2 -inf, "n": how many in all}), drawn as markers at the plot's edge; ``sup``: points
    superseded at a restart ({"s", "w", "v", "n"}), drawn faint on request."""
    out = {}
    bad = ~np.isfinite(values) & ~superseded
    if bad.any():
        idx = _thin(np.flatnonzero(bad), MAX_MARKS)
        v = values[idx]
        out["nf"] = {"s": steps[idx].tolist(), "w": rel_walls[idx].tolist(),
                     "k": np.where(np.isnan(v), 0, np.where(v > 0, 1, 2)).tolist(),
                     "n": int(bad.sum())}
    if superseded.any():
        idx = _thin(np.flatnonzero(superseded & np.isfinite(values)), max_points)
        out["sup"] = {"s": steps[idx].tolist(), "w": rel_walls[idx].tolist(),
                      "v": values[idx].tolist(), "n": int(superseded.sum())}
    return out or None


def _thin(idx: np.ndarray, most: int) -> np.ndarray:
    if len(idx) <= most:
        return idx
    return idx[np.unique(np.linspace(0, len(idx) - 1, most).round().astype(int))]


def b64(array: np.ndarray, dtype: str) -> str:
    """Little-endian typed-array bytes as base64 (what ``curves.js`` decodes)."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def pack_chunk(steps: np.ndarray, rel_walls: np.ndarray, values: np.ndarray, mins=None,
               maxs=None, means=None, counts=None) -> dict:
    """Arrays as base64: steps as int32 when they fit (float64 otherwise); the rest float32,
    which is plenty for drawing (downloads carry the exact float64 values)."""
    small = steps.dtype.kind in "iu" and (
        not len(steps) or (steps.min() >= -INT32_MAX and steps.max() <= INT32_MAX))
    chunk = {"n": int(len(steps)), "sk": "i4" if small else "f8",
             "s": b64(steps, "<i4" if small else "<f8"),
             "w": b64(rel_walls, "<f4"), "v": b64(values, "<f4")}
    for key, arr in (("lo", mins), ("hi", maxs), ("m", means), ("c", counts)):
        if arr is not None:
            chunk[key] = b64(arr, "<f4")
    return chunk


def run_payload(series: CardSeries, name: str, color: str) -> dict:
    """One run's entry in a card's data store."""
    rel = series.wall_times - series.wall0
    return {"name": name, "color": color, "kind": "run", "wall0": series.wall0,
            "total": series.total, "dec": series.decimated,
            "last": int(series.steps[-1]) if len(series.steps) else None,
            "chunks": [pack_chunk(series.steps, rel, series.values, series.mins, series.maxs,
                                  series.means, series.counts)],
            **({"marks": series.marks} if series.marks else {})}


def compile_filter(pattern: str | None) -> tuple[re.Pattern | None, str]:
    """A case-insensitive regex from user input, and an error text if it is not valid
    (then the input is matched as plain text)."""
    if not pattern:
        return None, ""
    try:
        return re.compile(pattern, re.IGNORECASE), ""
    except re.error as err:
        return re.compile(re.escape(pattern), re.IGNORECASE), f"not a regular expression ({err})"


def group_tags(tags: list[str]) -> list[tuple[str, list[str]]]:
    """Tags grouped by the part before their first "/" (TensorBoard's grouping); tags with no
    "/" form the first group, named ""."""
    groups: dict[str, list[str]] = {}
    for tag in sorted(set(tags)):
        prefix = tag.split("/", 1)[0] if "/" in tag else ""
        groups.setdefault(prefix, []).append(tag)
    return sorted(groups.items(), key=lambda kv: (kv[0] != "", kv[0]))
