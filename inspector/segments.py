"""Series kept per event file, and the rule that merges files and marks superseded points.

A series (one kind and tag of one run) keeps its points in one segment per event file, in
file order. Nothing is ever dropped; what a query sees is derived from the segments and the
run's files each time something changed:

- a file whose wall times overlap the data before it (two writers on one run directory) is
  *merged* with it: sorted by step when each of those files' steps never decrease, otherwise
  kept in file order (a step counter reset inside a file stays as written);
- a *restart* is a file whose first wall time is after all earlier data of the run (a resumed
  checkpoint) or a ``SessionLog.START`` event: earlier points of a series at or above the step
  it starts again from are marked *superseded*, never deleted.

Works on numbers only: no files, no protobuf, no TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class FileMark:
    """What the restart rule needs of one event file: its first and its latest wall time, and
    the ``SessionLog.START`` events in it as (record offset, step)."""

    first_wall: float = math.nan
    max_wall: float = -math.inf
    starts: list[tuple[int, int]] = field(default_factory=list)

    def see(self, first: float | None, latest: float) -> None:
        """Account for a batch of events: ``first`` is the wall time of the file's first
        event when this batch holds it, ``latest`` the batch's largest wall time."""
        if first is not None and math.isnan(self.first_wall):
            self.first_wall = first
        if latest > self.max_wall:
            self.max_wall = latest


def resumed_files(marks: list[FileMark]) -> list[bool]:
    """Per file (in file order): does it start after all earlier data of the run?"""
    out, latest = [], -math.inf
    for i, mark in enumerate(marks):
        out.append(i > 0 and mark.first_wall > latest)
        latest = max(latest, mark.max_wall)
    return out


@dataclass
class Layout:
    """The run's files as the restart rule sees them (recomputed when a file changes)."""

    resumed: list[bool]  # per file index
    starts: list[tuple[int, int, int]]  # (file index, record offset, step) of SessionLog.START
    files: list[str]  # file paths in order


@dataclass
class View:
    """A series as a query sees it: ``order`` indexes the concatenated segments (file order);
    ``superseded[i]`` flags ``order[i]``; ``monotonic`` says the steps in order never go down;
    ``restarts`` are (file, reason, from step, points superseded) per restart that superseded
    any; reason is "resumed" (a file starting after all earlier data) or "session_start"."""

    order: np.ndarray
    superseded: np.ndarray
    monotonic: bool
    restarts: list[tuple[str, str, int, int]]


def build_view(segments: list[tuple[int, np.ndarray, np.ndarray]], layout: Layout) -> View:
    """The order and superseded flags of a series from its ``segments``, each (file index,
    steps in file order, record offsets), sorted by file index."""
    sizes = [len(s) for _, s, _ in segments]
    starts_at = np.cumsum([0] + sizes)
    masks = [np.zeros(n, bool) for n in sizes]
    restarts: list[tuple[str, str, int, int]] = []
    for k, (fk, steps_k, _) in enumerate(segments):
        if not (layout.resumed[fk] and len(steps_k)):
            continue
        start = int(steps_k[0])
        newly = 0
        for j in range(k):
            hit = (segments[j][1] >= start) & ~masks[j]
            newly += int(hit.sum())
            masks[j] |= hit
        if newly:
            restarts.append((layout.files[fk], "resumed", start, newly))
    for fs, offset, step in layout.starts:
        newly = 0
        for j, (fj, steps_j, offsets_j) in enumerate(segments):
            if fj > fs:
                break
            hit = steps_j >= step
            if fj == fs:
                hit &= offsets_j < offset
            hit &= ~masks[j]
            newly += int(hit.sum())
            masks[j] |= hit
        if newly:
            restarts.append((layout.files[fs], "session_start", step, newly))
    # Groups of files written at the same time: a resumed file starts a new group.
    parts: list[np.ndarray] = []
    group: list[int] = []
    for k, (fk, _, _) in enumerate(segments):
        if group and layout.resumed[fk]:
            parts.append(_group_order(group, segments, starts_at))
            group = []
        group.append(k)
    if group:
        parts.append(_group_order(group, segments, starts_at))
    order = np.concatenate(parts) if parts else np.empty(0, np.int64)
    superseded = np.concatenate(masks)[order] if masks else np.empty(0, bool)
    all_steps = np.concatenate([s for _, s, _ in segments])[order] if segments else order
    monotonic = bool(len(all_steps) < 2 or np.all(all_steps[1:] >= all_steps[:-1]))
    return View(order, superseded, monotonic, restarts)


def _group_order(group: list[int], segments, starts_at: np.ndarray) -> np.ndarray:
    index = np.concatenate([np.arange(starts_at[k], starts_at[k + 1]) for k in group])
    if len(group) == 1:
        return index
    steps = [segments[k][1] for k in group]
    if all(len(s) < 2 or np.all(s[1:] >= s[:-1]) for s in steps):
        merged = np.concatenate(steps)
        return index[np.argsort(merged, kind="stable")]
    return index
