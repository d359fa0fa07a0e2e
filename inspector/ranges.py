"""Selecting the points of a series inside a window, without assuming an order.

Wall times go back when a clock is reset or a job resumes on another machine, and steps go
back when a counter is reset inside one file (both are kept as written), so no binary search
is made on either unless the values are checked to never decrease. Pure numpy.
"""

from __future__ import annotations

import numpy as np


def never_decreasing(x: np.ndarray) -> bool:
    """True when ``x[i] <= x[i + 1]`` everywhere (NaN anywhere makes it False)."""
    return bool(len(x) < 2 or np.all(x[1:] >= x[:-1]))


def in_range(x: np.ndarray, lo: float, hi: float) -> slice | np.ndarray:
    """An index of the points with ``lo <= x <= hi``: a slice (binary search) when ``x``
    never decreases, else a boolean mask."""
    if never_decreasing(x):
        return slice(int(np.searchsorted(x, lo, "left")), int(np.searchsorted(x, hi, "right")))
    return (x >= lo) & (x <= hi)


def step_window(steps: np.ndarray, key: np.ndarray, lo: float,
                hi: float) -> tuple[float, float] | None:
    """The step range covering every point whose ``key`` (its wall time, or its step) is
    within [lo, hi], widened to the nearest step outside it on each side (so a line runs to
    the border of the window). When no point is inside (a window between two logged points),
    the steps of the points whose keys are nearest below and above it. None for an empty
    series. ``key`` need not be sorted; NaN keys are never inside."""
    if not len(steps):
        return None
    key = np.asarray(key, np.float64)
    inside = (key >= lo) & (key <= hi)
    if inside.any():
        first, last = steps[inside].min(), steps[inside].max()
        below, above = steps[steps < first], steps[steps > last]
        return (float(below.max() if len(below) else first),
                float(above.min() if len(above) else last))
    below, above = np.flatnonzero(key < lo), np.flatnonzero(key > hi)
    near = [steps[below[np.argmax(key[below])]]] if len(below) else []
    near += [steps[above[np.argmin(key[above])]]] if len(above) else []
    if not near:  # every key is NaN
        return None
    return float(min(near)), float(max(near))
