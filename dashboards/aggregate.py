"""Run aggregation: runs grouped by a regex or an hparam, drawn as one mean line with a
min-max or standard-deviation band.

Pure numpy on store query results; the curves page packs the result like a run's series.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from inspector.buckets import bucket
from inspector.events import plugins as P
from inspector.store import Store

# Longest common step grid an aggregate is computed on; longer unions are resampled evenly.
MAX_GRID = 20_000
UNSET = "(unset)"


@dataclass
class Aggregate:
    """Mean of a group's runs on the union of their steps, and the band around it."""

    steps: np.ndarray
    rel_walls: np.ndarray  # mean time since each run's first point
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    runs_at: np.ndarray  # how many runs cover each step


def group_runs_by_regex(runs: list[str], pattern: re.Pattern) -> dict[str, list[str]]:
    """Runs whose match (first capture group if the pattern has one) is equal share a group;
    a run the pattern does not match stays a group of its own."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        m = pattern.search(run)
        key = run if m is None else (m.group(1) if pattern.groups else m.group(0))
        groups.setdefault(key if key is not None else run, []).append(run)
    return groups


def group_runs_by_hparam(runs: list[str], hparams: dict[str, dict], name: str
                         ) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for run in runs:
        value = hparams.get(run, {}).get(name, UNSET)
        groups.setdefault(f"{name}={value}", []).append(run)
    return groups


def run_hparams(store: Store) -> dict[str, dict]:
    """{run: {hparam: value}} from each run's session-start summary; a run without one takes
    its nearest ancestor's (Keras writes hparams beside its train/ and validation/ runs)."""
    own: dict[str, dict] = {}
    for run, tags in store.tags(P.KIND_HPARAMS).items():
        if P.HPARAMS_SESSION_START_TAG not in tags:
            continue
        points = store.series(P.KIND_HPARAMS, run, P.HPARAMS_SESSION_START_TAG)
        if points:
            own[run] = dict(points[-1].value.get("session_start", {}).get("hparams", {}))
    out = {}
    for run in store.runs():
        parts = run.split("/")
        for i in range(len(parts), -1, -1):
            key = "/".join(parts[:i]) or "."
            if key in own:
                out[run] = own[key]
                break
    return out


def aggregate(series: list[tuple[np.ndarray, np.ndarray, np.ndarray]], band: str) -> Aggregate:
    """Aggregate [(steps, rel_walls, values)] of several runs. Each run is linearly
    interpolated onto the union of steps, within its own first..last step only (a run that
    stopped early does not drag the mean). ``band`` is "minmax" or "std"."""
    series = [s for s in series if len(s[0])]
    if not series:
        e = np.empty(0)
        return Aggregate(e, e, e, e, e, e.astype(np.int64))
    grid = np.unique(np.concatenate([s[0] for s in series])).astype(np.float64)
    if len(grid) > MAX_GRID:
        grid = np.linspace(grid[0], grid[-1], MAX_GRID)
    values = np.full((len(series), len(grid)), np.nan)
    walls = np.full_like(values, np.nan)
    for i, (steps, rel, vals) in enumerate(series):
        inside = (grid >= steps[0]) & (grid <= steps[-1])
        values[i, inside] = np.interp(grid[inside], steps, vals)
        walls[i, inside] = np.interp(grid[inside], steps, rel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        mean = np.nanmean(values, axis=0)
        if band == "std":
            sd = np.nanstd(values, axis=0)
            lo, hi = mean - sd, mean + sd
        else:
            lo, hi = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        rel_walls = np.nanmean(walls, axis=0)
    return Aggregate(grid, rel_walls, mean, lo, hi, np.sum(~np.isnan(values), axis=0))


def bucket_aggregate(agg: Aggregate, max_points: int) -> dict[str, np.ndarray]:
    """An aggregate cut into at most ``max_points`` buckets of equal step width (the store's
    rule, ``inspector.buckets``): last mean, the band's extremes, the mean of means and the
    points per bucket."""
    n = len(agg.steps)
    if n <= max_points:
        return {"steps": agg.steps, "rel_walls": agg.rel_walls, "values": agg.mean,
                "mins": agg.lo, "maxs": agg.hi, "means": agg.mean, "counts": np.ones(n)}
    b = bucket(agg.steps, agg.mean, max_points, lo_values=agg.lo, hi_values=agg.hi)
    return {"steps": agg.steps[b.last], "rel_walls": agg.rel_walls[b.last],
            "values": b.last_values, "mins": b.mins, "maxs": b.maxs, "means": b.means,
            "counts": b.finite}
