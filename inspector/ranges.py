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


def step_window(steps: np.ndarray, walls: np.ndarray, lo_wall: float,
                hi_wall: float) -> tuple[float, float] | None:
    """The step range covering every point whose wall time is within [lo_wall, hi_wall],
    widened to the nearest step outside it on each side (so a line runs to the border of
    the window); None for an empty series. When no point is inside, the step of the point
    nearest the window's middle, twice."""
    if not len(steps):
        return None
    inside = (walls >= lo_wall) & (walls <= hi_wall)
    if not inside.any():
        s = float(steps[int(np.nanargmin(np.abs(walls - (lo_wall + hi_wall) / 2)))])
        return s, s
    lo, hi = steps[inside].min(), steps[inside].max()
    below, above = steps[steps < lo], steps[steps > hi]
    return (float(below.max() if len(below) else lo), float(above.min() if len(above) else hi))
