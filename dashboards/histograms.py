"""Histogram series ([k, 3] buckets of left, right, count per step) as the distributions page
draws them: percentile bands over steps, and histograms re-binned onto shared bins.

Pure numpy on store query results.
"""

from __future__ import annotations

import numpy as np

# TensorBoard's basis points for distributions: the normal distribution's -inf, -1.5, -1,
# -0.5, 0, 0.5, 1, 1.5, +inf standard deviations.
NORMAL_BPS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)


def percentiles(buckets: np.ndarray, bps=NORMAL_BPS) -> np.ndarray:
    """The value at each basis point, interpolated linearly inside buckets exactly as
    TensorBoard's ``compress_histogram`` does (so the bands match TensorBoard's)."""
    buckets = np.asarray(buckets, dtype=np.float64).reshape(-1, 3)
    if not len(buckets):
        return np.zeros(len(bps))
    lo_edge, hi_edge = buckets[0, 0], buckets[-1, 1]
    counts, rights = buckets[:, 2], buckets[:, 1]
    weights = (counts * bps[-1] / (counts.sum() or 1.0)).cumsum()
    out = np.full(len(bps), hi_edge)
    for j, bp in enumerate(bps):
        i = int(np.searchsorted(weights, bp, side="right"))
        while i < len(weights):
            cum, prev = weights[i], (weights[i - 1] if i > 0 else 0.0)
            if cum == prev:
                i += 1
                continue
            lhs = lo_edge if (not i or not prev) else max(rights[i - 1], lo_edge)
            rhs = min(rights[i], hi_edge)
            out[j] = lhs + (rhs - lhs) * (bp - prev) / (cum - prev)
            break
        else:
            break  # this and every later basis point sit at the top edge
    return out


def percentile_table(histograms: list[np.ndarray]) -> np.ndarray:
    """[steps, len(NORMAL_BPS)] percentiles of a whole series."""
    return np.array([percentiles(h) for h in histograms]).reshape(-1, len(NORMAL_BPS))


def shared_edges(histograms: list[np.ndarray], bins: int) -> np.ndarray:
    """``bins + 1`` equal-width edges spanning every histogram's finite bucket edges. A NaN
    or infinite edge (a diverged step) is ignored, so it cannot blank the other steps."""
    finite = [e[np.isfinite(e)] for e in (np.asarray(h, np.float64)[:, :2] for h in histograms
                                          if len(h))]
    finite = [e for e in finite if len(e)]
    if not finite:
        return np.linspace(0.0, 1.0, bins + 1)
    lo, hi = min(float(e.min()) for e in finite), max(float(e.max()) for e in finite)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


def rebin(buckets: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of one histogram on ``edges``, spreading each bucket's count uniformly over its
    width (a zero-width bucket is a point mass). Buckets with a NaN or infinite edge or count
    are left out (``nonfinite_count`` says how much they held)."""
    buckets = np.asarray(buckets, dtype=np.float64).reshape(-1, 3)
    buckets = buckets[np.isfinite(buckets).all(axis=1)]
    if not len(buckets):
        return np.zeros(len(edges) - 1)
    left, right, count = buckets[:, 0], buckets[:, 1], buckets[:, 2]
    width = right - left
    lo = np.clip(edges[:-1, None], left, right)
    hi = np.clip(edges[1:, None], left, right)
    share = np.where(width > 0, (hi - lo) / np.where(width > 0, width, 1.0), 0.0)
    out = (share * count).sum(axis=1)
    points = width <= 0
    if points.any():
        idx = np.clip(np.searchsorted(edges, left[points], side="right") - 1, 0, len(edges) - 2)
        np.add.at(out, idx, count[points])
    return out


def nonfinite_count(buckets: np.ndarray) -> float:
    """The count held by buckets with a NaN or infinite edge (what ``rebin`` leaves out)."""
    buckets = np.asarray(buckets, dtype=np.float64).reshape(-1, 3)
    bad = ~np.isfinite(buckets[:, :2]).all(axis=1)
    return float(np.nansum(buckets[bad, 2])) if bad.any() else 0.0


def pick_steps(n: int, most: int) -> np.ndarray:
    """Indices of at most ``most`` of ``n`` histograms, evenly spaced, first and last kept."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, most)).astype(int))
