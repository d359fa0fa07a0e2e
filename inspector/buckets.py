"""Equal-width bucketing of a series: the one rule by which the store decimates a scalar
series, the curves page cuts a zoomed range, and a run aggregate is thinned for drawing.

Pure numpy on arrays; knows nothing of the store or of Dash.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass
class Buckets:
    """The non-empty buckets of a series, in x order. Every array has shape ``[k]`` with
    ``k <= n_buckets`` (empty buckets are left out).

    ``first``/``last`` index the input arrays (int64): each bucket is the input slice
    ``first[i]:last[i] + 1``. Non-finite values (NaN, +-Inf) are ignored by ``mins``,
    ``maxs`` and ``means`` (NaN where a bucket holds no finite value) and counted in
    ``nonfinite``; ``counts`` counts every point, finite or not.
    """

    first: np.ndarray  # int64: index of the bucket's first point
    last: np.ndarray  # int64: index of the bucket's last point
    counts: np.ndarray  # int64: points in the bucket
    nonfinite: np.ndarray  # int64: NaN or infinite values among them
    mins: np.ndarray  # float64: least finite value
    maxs: np.ndarray  # float64: greatest finite value
    means: np.ndarray  # float64: mean of the finite values
    last_values: np.ndarray  # float64: value of the bucket's last point (may be non-finite)
    first_walls: np.ndarray | None = None  # float64 seconds: wall time of the first point

    @property
    def finite(self) -> np.ndarray:
        """int64 ``[k]``: finite values per bucket."""
        return self.counts - self.nonfinite


def bucket_ids(x: np.ndarray, n_buckets: int) -> np.ndarray:
    """int64 ``[n]``: the bucket of each x when ``[x[0], x[-1]]`` is cut into ``n_buckets``
    of equal width (the last bucket is closed). ``x`` must be sorted ascending."""
    if not len(x):
        return np.empty(0, np.int64)
    n_buckets = max(int(n_buckets), 1)
    lo, hi = float(x[0]), float(x[-1])
    width = (hi - lo) / n_buckets or 1.0
    return np.minimum(((np.asarray(x, np.float64) - lo) / width).astype(np.int64),
                      n_buckets - 1)


def bucket(x: np.ndarray, values: np.ndarray, n_buckets: int, *,
           walls: np.ndarray | None = None, lo_values: np.ndarray | None = None,
           hi_values: np.ndarray | None = None) -> Buckets:
    """Cut a series into at most ``n_buckets`` buckets of equal width in ``x``.

    Args:
        x: ``[n]`` sorted ascending (steps, any real dtype).
        values: ``[n]`` float values.
        n_buckets: how many buckets the range ``[x[0], x[-1]]`` is cut into (at least 1).
        walls: ``[n]`` wall times in seconds; gives ``first_walls``.
        lo_values, hi_values: ``[n]`` per-point lower and upper extents, for a series that
            is itself a band (a run aggregate); the buckets' ``mins``/``maxs`` are taken
            over these instead of ``values``.

    Returns:
        ``Buckets``; a series no longer than ``n_buckets`` with distinct x keeps one point
        per bucket. An empty series gives empty arrays.
    """
    values = np.asarray(values, np.float64)
    n = len(values)
    if n == 0:
        e, ei = np.empty(0), np.empty(0, np.int64)
        return Buckets(ei, ei, ei, ei, e, e, e, e, e if walls is not None else None)
    ids = bucket_ids(x, n_buckets)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], n]
    finite = np.isfinite(values)
    nonfinite = np.add.reduceat((~finite).astype(np.int64), starts)
    counts = ends - starts
    good = counts - nonfinite
    sums = np.add.reduceat(np.where(finite, values, 0.0), starts)
    means = np.divide(sums, good, out=np.full(len(sums), np.nan), where=good > 0)
    lo_src = values if lo_values is None else np.asarray(lo_values, np.float64)
    hi_src = values if hi_values is None else np.asarray(hi_values, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN buckets stay NaN
        mins = np.fmin.reduceat(np.where(np.isfinite(lo_src), lo_src, np.nan), starts)
        maxs = np.fmax.reduceat(np.where(np.isfinite(hi_src), hi_src, np.nan), starts)
    first_walls = None if walls is None else np.asarray(walls, np.float64)[starts]
    return Buckets(starts.astype(np.int64), (ends - 1).astype(np.int64),
                   counts.astype(np.int64), nonfinite.astype(np.int64), mins, maxs,
                   means, values[ends - 1], first_walls)
