"""The store: every point of every series of every run in a logdir, and a small query API.

Scalars live in columns (step, wall time, value); other kinds keep their decoded values
(images as encoded bytes, decoded only when shown). Nothing is sampled away: decimation
happens per query, for the number of points asked for, keeping each bucket's min and max.
When a run logs a step it has logged before (a restart from a checkpoint), the later data
replaces the orphaned steps of that series and the purge is recorded.

The store knows nothing of Dash or of file formats below ``inspector.logdir``; it never
imports TensorFlow. All methods are safe to call from several threads.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inspector.buckets import bucket
from inspector.events import plugins as P
from inspector.events.decode import Item, TagInfo, UndecodableEvent, decode_event
from inspector.logdir import Batch, Damage, FileSystem, FileTail, discover_runs
from inspector.remote import open_logdir


@dataclass
class ScalarSeries:
    """A scalar series or a decimated view of it. When decimated, ``steps``/``values`` are each
    bucket's last point and ``mins``/``maxs`` the bucket's extremes."""

    steps: np.ndarray
    wall_times: np.ndarray
    values: np.ndarray
    mins: np.ndarray | None = None
    maxs: np.ndarray | None = None
    total: int = 0  # points in the requested range before decimation

    @property
    def decimated(self) -> bool:
        return self.mins is not None


@dataclass
class Point:
    """One step of a non-scalar series."""

    step: int
    wall_time: float
    value: Any


@dataclass
class Purge:
    run: str
    kind: str
    tag: str
    from_step: int
    dropped: int


class _Column:
    """Growable (step, wall, value) columns; appends are amortised O(1)."""

    __slots__ = ("steps", "walls", "values", "n", "version")

    def __init__(self) -> None:
        self.steps = np.empty(64, np.int64)
        self.walls = np.empty(64, np.float64)
        self.values = np.empty(64, np.float64)
        self.n = 0
        self.version = 0

    def append(self, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> tuple[int, int]:
        """Append in order; a step not above the last one purges what it replaces.
        Returns (first purged step, points dropped) or (0, 0)."""
        purge_from, dropped = 0, 0
        restarts = bool(self.n and len(steps) and steps[0] <= self.steps[self.n - 1])
        if restarts or (len(steps) > 1 and np.any(steps[1:] <= steps[:-1])):
            steps, walls, values, purge_from, dropped = self._purge(steps, walls, values)
        k = len(steps)
        if self.n + k > len(self.steps):
            # 1.5x growth: amortised O(1) appends with less idle capacity than doubling.
            cap = max(len(self.steps) * 3 // 2, self.n + k)
            for name in ("steps", "walls", "values"):
                old = getattr(self, name)
                new = np.empty(cap, old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        self.steps[self.n : self.n + k] = steps
        self.walls[self.n : self.n + k] = walls
        self.values[self.n : self.n + k] = values
        self.n += k
        return purge_from, dropped

    def _purge(self, steps, walls, values):
        # Rare path (restarts): replay point by point, dropping every kept point whose step
        # is at or above a step that comes again.
        all_steps = list(self.steps[: self.n]) + list(steps)
        all_walls = list(self.walls[: self.n]) + list(walls)
        all_values = list(self.values[: self.n]) + list(values)
        kept: list[int] = []
        first, dropped = None, 0
        for i, s in enumerate(all_steps):
            while kept and all_steps[kept[-1]] >= s:
                kept.pop()
                dropped += 1
                first = s if first is None else min(first, s)
            kept.append(i)
        idx = np.array(kept, dtype=np.int64)
        self.steps = np.array(all_steps, np.int64)[idx]
        self.walls = np.array(all_walls, np.float64)[idx]
        self.values = np.array(all_values, np.float64)[idx]
        self.n = len(idx)
        empty = np.empty(0)
        return empty.astype(np.int64), empty, empty, int(first or 0), dropped


class _Series:
    """Points of a non-scalar series, in step order, with the same purge rule."""

    __slots__ = ("points", "version")

    def __init__(self) -> None:
        self.points: list[Point] = []
        self.version = 0

    def append(self, point: Point) -> tuple[int, int]:
        dropped = 0
        while self.points and self.points[-1].step >= point.step:
            self.points.pop()
            dropped += 1
        self.points.append(point)
        return (point.step, dropped) if dropped else (0, 0)


@dataclass
class _Run:
    name: str
    files: dict[str, FileTail] = field(default_factory=dict)
    tag_info: dict[str, TagInfo] = field(default_factory=dict)
    tag_by_hash: dict[int, str] = field(default_factory=dict)
    scalars: dict[str, _Column] = field(default_factory=dict)
    series: dict[str, dict[str, _Series]] = field(default_factory=dict)
    purges: list[Purge] = field(default_factory=list)
    decode_errors: list[str] = field(default_factory=list)
    file_versions: set[str] = field(default_factory=set)
    version: int = 0


class Store:
    """Every run under ``logdir``. Call ``reload()`` to read what the files gained."""

    def __init__(self, logdir: str | os.PathLike, fs: FileSystem | None = None) -> None:
        self.logdir = os.fspath(logdir)
        if fs is None:
            fs, self._root = open_logdir(self.logdir)
        else:
            self._root = self.logdir
        self._fs = fs
        self._runs: dict[str, _Run] = {}
        self._lock = threading.RLock()
        self._reload_lock = threading.Lock()
        self._version = 0
        self.loaded = False  # True after the first complete reload

    # ------------------------------------------------------------------ reading
    def reload(self) -> int:
        """Read new bytes of every event file (new runs and files included).
        Returns the store version after reading (it grows whenever anything changed)."""
        found = discover_runs(self._root, self._fs)
        # Reading happens outside the query lock (only decoded batches are ingested under it),
        # so queries stay quick while a large logdir is read; one reload runs at a time.
        with self._reload_lock:
            for name, paths in found.items():
                with self._lock:
                    run = self._runs.get(name)
                    if run is None:
                        run = self._runs[name] = _Run(name)
                    tails = [run.files.setdefault(path, FileTail(path)) for path in paths]
                for tail in tails:
                    for batch in tail.poll(self._fs):
                        with self._lock:
                            self._ingest(run, batch)
            self.loaded = True
            return self._version

    def _bump(self, run: _Run) -> int:
        self._version += 1
        run.version = self._version
        return self._version

    def _ingest(self, run: _Run, batch: Batch) -> None:
        scan = batch.scan
        points = scan.points
        if len(points):
            # Name the fast-path tags first: TF1's FileWriter writes a tag's metadata only on
            # its first value, and the events after it (decoded below) rely on it.
            self._learn_scalar_tags(run, batch, points)
        extra_scalars: list[Item] = []
        for offset, length in scan.others:
            payload = batch.buffer[offset : offset + length]
            try:
                decoded = decode_event(payload, run.tag_info, int(offset))
            except UndecodableEvent:
                start = batch.base + int(offset) - 12
                run.files[batch.file].damage.append(
                    Damage(batch.file, start, start + int(length) + 16, "undecodable"))
                continue
            if decoded.file_version:
                run.file_versions.add(decoded.file_version)
            run.decode_errors.extend(decoded.errors[:100])
            for item in decoded.items:
                if item.kind == P.KIND_SCALARS:
                    extra_scalars.append(item)
                else:
                    self._append_point(run, item)
        if len(points) or extra_scalars:
            self._ingest_scalars(run, batch, points, extra_scalars)

    def _learn_scalar_tags(self, run: _Run, batch: Batch, points: np.ndarray) -> None:
        hashes, first = np.unique(points["tag_hash"], return_index=True)
        for h, i in zip(hashes.tolist(), first.tolist(), strict=True):
            if h not in run.tag_by_hash:
                o, n = int(points[i]["tag_offset"]), int(points[i]["tag_length"])
                tag = batch.buffer[o : o + n].decode("utf-8", "replace")
                run.tag_by_hash[h] = tag
                run.tag_info.setdefault(tag, TagInfo(P.SCALARS))

    def _ingest_scalars(self, run: _Run, batch: Batch, points: np.ndarray,
                        extra: list[Item]) -> None:
        groups: dict[str, list[np.ndarray]] = {}
        if len(points):
            hashes = points["tag_hash"]
            order = np.argsort(hashes, kind="stable")
            sorted_hashes = hashes[order]
            starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]])
            ends = np.r_[starts[1:], len(order)]
            for s, e in zip(starts, ends, strict=False):
                idx = order[s:e]
                tag = run.tag_by_hash[int(sorted_hashes[s])]
                groups.setdefault(tag, []).append(points[idx])
        if extra:
            by_tag: dict[str, list[Item]] = {}
            for item in extra:
                by_tag.setdefault(item.tag, []).append(item)
            from inspector.events.framing import POINT_DTYPE

            for tag, items in by_tag.items():
                arr = np.zeros(len(items), POINT_DTYPE)
                arr["step"] = [i.step for i in items]
                arr["wall_time"] = [i.wall_time for i in items]
                arr["value"] = [i.value for i in items]
                arr["record_offset"] = [i.record_offset for i in items]
                groups.setdefault(tag, []).append(arr)
        for tag, parts in groups.items():
            arr = parts[0] if len(parts) == 1 else np.concatenate(parts)
            if len(parts) > 1:
                arr = arr[np.argsort(arr["record_offset"], kind="stable")]
            column = run.scalars.get(tag)
            if column is None:
                column = run.scalars[tag] = _Column()
            purge_from, dropped = column.append(arr["step"], arr["wall_time"], arr["value"])
            if dropped:
                run.purges.append(Purge(run.name, P.KIND_SCALARS, tag, purge_from, dropped))
            column.version = self._bump(run)

    def _append_point(self, run: _Run, item: Item) -> None:
        series = run.series.setdefault(item.kind, {}).setdefault(item.tag, _Series())
        purge_from, dropped = series.append(Point(item.step, item.wall_time, item.value))
        if dropped:
            run.purges.append(Purge(run.name, item.kind, item.tag, purge_from, dropped))
        series.version = self._bump(run)

    # ------------------------------------------------------------------ queries
    @property
    def version(self) -> int:
        return self._version

    def runs(self) -> list[str]:
        with self._lock:
            return sorted(self._runs)

    def tags(self, kind: str, run: str | None = None) -> dict[str, list[str]]:
        """{run: [tag, ...]} for series of ``kind`` (one of the KIND_* names)."""
        with self._lock:
            runs = [self._runs[run]] if run is not None and run in self._runs else (
                [] if run is not None else list(self._runs.values()))
            out = {}
            for r in runs:
                names = r.scalars.keys() if kind == P.KIND_SCALARS else \
                    r.series.get(kind, {}).keys()
                if names:
                    out[r.name] = sorted(names)
            return out

    def kinds(self, run: str) -> dict[str, list[str]]:
        """{kind: [tag, ...]} for one run."""
        with self._lock:
            r = self._runs.get(run)
            if r is None:
                return {}
            out = {P.KIND_SCALARS: sorted(r.scalars)} if r.scalars else {}
            for kind, series in r.series.items():
                out[kind] = sorted(series)
            return out

    def tag_info(self, run: str, tag: str) -> TagInfo | None:
        with self._lock:
            r = self._runs.get(run)
            return r.tag_info.get(tag) if r else None

    def scalars(self, run: str, tag: str, *, step_range: tuple[float, float] | None = None,
                max_points: int | None = None) -> ScalarSeries:
        """The scalar series; with ``max_points``, decimated to at most that many buckets of
        equal step width, each keeping its min, max and last point."""
        with self._lock:
            col = self._runs[run].scalars[tag] if run in self._runs and \
                tag in self._runs[run].scalars else None
            if col is None:
                e = np.empty(0)
                return ScalarSeries(e.astype(np.int64), e, e)
            n = col.n
            steps, walls, values = col.steps[:n], col.walls[:n], col.values[:n]
        if step_range is not None:
            lo = np.searchsorted(steps, step_range[0], "left")
            hi = np.searchsorted(steps, step_range[1], "right")
            steps, walls, values = steps[lo:hi], walls[lo:hi], values[lo:hi]
        total = len(steps)
        if max_points is None or total <= max_points:
            return ScalarSeries(steps.copy(), walls.copy(), values.copy(), total=total)
        return _decimate(steps, walls, values, max(int(max_points), 1))

    def series(self, kind: str, run: str, tag: str) -> list[Point]:
        """Every point of a non-scalar series (histograms, images, text, tensors, ...)."""
        with self._lock:
            r = self._runs.get(run)
            s = r.series.get(kind, {}).get(tag) if r else None
            return list(s.points) if s else []

    def graphs(self, run: str) -> list[Point]:
        return self.series(P.KIND_GRAPHS, run, "")

    def changed_since(self, version: int) -> dict[str, dict[str, list[str]]]:
        """{run: {kind: [tag, ...]}} of the series that changed after ``version``."""
        with self._lock:
            out: dict[str, dict[str, list[str]]] = {}
            for r in self._runs.values():
                if r.version <= version:
                    continue
                kinds: dict[str, list[str]] = {}
                tags = [t for t, c in r.scalars.items() if c.version > version]
                if tags:
                    kinds[P.KIND_SCALARS] = sorted(tags)
                for kind, series in r.series.items():
                    tags = [t for t, s in series.items() if s.version > version]
                    if tags:
                        kinds[kind] = sorted(tags)
                out[r.name] = kinds
            return out

    def damage(self, run: str | None = None) -> dict[str, list[Damage]]:
        """{run: [damaged or pending byte ranges]}; runs without any are left out."""
        with self._lock:
            out = {}
            for r in self._runs.values():
                if run is not None and r.name != run:
                    continue
                found = []
                for tail in r.files.values():
                    found.extend(tail.damage)
                    if tail.pending is not None:
                        found.append(tail.pending)
                if found:
                    out[r.name] = found
            return out

    def purges(self, run: str | None = None) -> list[Purge]:
        with self._lock:
            return [p for r in self._runs.values() if run in (None, r.name) for p in r.purges]

    def decode_errors(self, run: str) -> list[str]:
        with self._lock:
            r = self._runs.get(run)
            return list(r.decode_errors) if r else []

    def point_count(self) -> int:
        """Scalar points held, over all runs (a cheap size figure for status lines)."""
        with self._lock:
            return sum(c.n for r in self._runs.values() for c in r.scalars.values())


def _decimate(steps: np.ndarray, walls: np.ndarray, values: np.ndarray,
              buckets: int) -> ScalarSeries:
    b = bucket(steps, values, buckets)
    return ScalarSeries(steps[b.last], walls[b.last], b.last_values, mins=b.mins,
                        maxs=b.maxs, total=len(steps))
