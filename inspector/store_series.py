"""What the store holds per series and what its queries return.

A series keeps one segment per event file (scalars as growable numpy columns, other kinds as
lists of ``Point``); ``view`` derives, and caches until something changes, the order and
superseded flags a query sees (``inspector.segments``). The records a query returns
(``ScalarSeries``, ``Point``, ``LastValue``, ``Purge``, ``Restart``) are documented here.
Never imports TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import numpy as np

from inspector.errors import InspectorError
from inspector.kinds import Kind
from inspector.segments import Layout, build_view

V = TypeVar("V")


def as_kind(kind: Kind | str) -> Kind:
    """``kind`` as a ``Kind`` (the old string names work too). Raises ``InspectorError``."""
    try:
        return kind if isinstance(kind, Kind) else Kind(kind)
    except ValueError:
        raise InspectorError(f"unknown kind {kind!r}; use one of "
                             f"{', '.join(k.value for k in Kind)}") from None


@dataclass
class ScalarSeries:
    """A scalar series or a decimated view of it. ``steps`` int64, ``wall_times`` float64
    (Unix seconds), ``values`` float64 (NaN and +-inf as logged). When decimated,
    ``steps``/``values`` are each bucket's last point and ``mins``/``maxs`` the bucket's
    extremes. ``superseded`` (bool per point) is set when superseded points were asked for."""

    steps: np.ndarray
    wall_times: np.ndarray
    values: np.ndarray
    mins: np.ndarray | None = None
    maxs: np.ndarray | None = None
    total: int = 0  # points in the requested range before decimation
    superseded: np.ndarray | None = None

    @property
    def decimated(self) -> bool:
        return self.mins is not None


@dataclass
class Point(Generic[V]):
    """One step of a series: ``value``'s type and shape depend on the kind (see ``Kind``).
    ``superseded`` is True for a point replaced at a restart (returned only on request)."""

    step: int
    wall_time: float
    value: V
    superseded: bool = False


class LazyPoint(Point):
    """A ``Point`` whose value is decoded on first access (histograms, PR curves, generic
    tensors: indexing a logdir does not convert every tensor)."""

    def __init__(self, step: int, wall_time: float, deferred, superseded: bool = False) -> None:
        self.step, self.wall_time, self.superseded = step, wall_time, superseded
        self._deferred = deferred

    @property
    def value(self):  # type: ignore[override]
        return self._deferred.resolve()

    def flagged(self) -> LazyPoint:
        return LazyPoint(self.step, self.wall_time, self._deferred, True)


@dataclass
class LastValue:
    """A series summed up: its last point, its number of points, and the smallest and largest
    finite values with their steps (NaN / -1 when there is no finite value)."""

    step: int
    wall_time: float
    value: float
    count: int
    min: float
    min_step: int
    max: float
    max_step: int


@dataclass
class Purge:
    """One series at one restart: re-logged from ``from_step``; ``dropped`` earlier points at
    or above it are marked superseded (kept; queries leave them out unless asked)."""

    run: str
    kind: str
    tag: str
    from_step: int
    dropped: int
    file: str = ""
    reason: str = "resumed"  # or "session_start"

    @property
    def superseded(self) -> int:
        return self.dropped


@dataclass
class Restart:
    """A restart of one run: the file where it begins (a file starting after all earlier
    data, or one holding a ``SessionLog.START``), the lowest step a series was re-logged from,
    and how many earlier points of how many series it marked superseded."""

    run: str
    file: str
    reason: str
    from_step: int
    superseded: int
    series: int


@dataclass
class _ScalarView:
    steps: np.ndarray
    walls: np.ndarray
    values: np.ndarray
    superseded: np.ndarray
    monotonic: bool
    monotonic_kept: bool
    any_superseded: bool
    restarts: list
    last: LastValue | None = None


class Segment:
    """Growable (step, wall, value, record offset) columns of one file; O(1) amortised."""

    __slots__ = ("steps", "walls", "values", "offsets", "n")

    @classmethod
    def of(cls, steps, walls, values, offsets) -> Segment:
        """A segment over existing (possibly read-only, memory-mapped) columns; the first
        append copies them."""
        seg = cls.__new__(cls)
        seg.steps, seg.walls, seg.values, seg.offsets = steps, walls, values, offsets
        seg.n = len(steps)
        return seg

    def columns(self) -> tuple[np.ndarray, ...]:
        n = self.n
        return self.steps[:n], self.walls[:n], self.values[:n], self.offsets[:n]

    def __init__(self) -> None:
        self.steps = np.empty(64, np.int64)
        self.walls = np.empty(64, np.float64)
        self.values = np.empty(64, np.float64)
        self.offsets = np.empty(64, np.int64)
        self.n = 0

    def append(self, steps, walls, values, offsets) -> None:
        k = len(steps)
        if self.n + k > len(self.steps):
            # 1.5x growth: amortised O(1) appends with less idle capacity than doubling.
            cap = max(len(self.steps) * 3 // 2, self.n + k)
            for name in self.__slots__[:4]:
                old = getattr(self, name)
                new = np.empty(cap, old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        end = self.n + k
        self.steps[self.n : end] = steps
        self.walls[self.n : end] = walls
        self.values[self.n : end] = values
        self.offsets[self.n : end] = offsets
        self.n = end


class Series:
    """Base of a series: per-file segments, a version, and a cached view."""

    def __init__(self) -> None:
        self.segments: dict[str, Any] = {}
        self.version = 0
        self._cache_key: tuple = ()
        self._cache: Any = None

    @property
    def empty(self) -> bool:
        return not self.segments

    def bare(self) -> Series:
        """A copy holding only the segments (what the column cache keeps)."""
        copy = type(self)()
        copy.segments = self.segments
        return copy

    def drop_file(self, path: str) -> bool:
        """Forget what ``path`` held; True if it held anything."""
        return self.segments.pop(path, None) is not None

    def _segments_for(self, layout: Layout, steps_of, offsets_of):
        index = {f: i for i, f in enumerate(layout.files)}
        found = sorted((index[f], f) for f in self.segments if f in index)
        return [(i, steps_of(self.segments[f]), offsets_of(self.segments[f])) for i, f in found], \
            [self.segments[f] for _, f in found]

    def _cached(self, layout_version: int):
        key = (self.version, layout_version)
        return self._cache if key == self._cache_key else None


class ScalarData(Series):
    """Scalar points, as columns per file."""

    @property
    def size(self) -> int:
        return sum(seg.n for seg in self.segments.values())

    def append_columns(self, file: str, steps, walls, values, offsets) -> None:
        seg = self.segments.get(file)
        if seg is None:
            seg = self.segments[file] = Segment()
        seg.append(steps, walls, values, offsets)

    def view(self, layout: Layout, layout_version: int) -> _ScalarView:
        cached = self._cached(layout_version)
        if cached is not None:
            return cached
        parts, segs = self._segments_for(layout, lambda s: s.steps[: s.n],
                                         lambda s: s.offsets[: s.n])
        v = build_view(parts, layout)
        if len(segs) == 1 and not len(v.restarts):
            seg = segs[0]
            steps, walls, values = seg.steps[: seg.n], seg.walls[: seg.n], seg.values[: seg.n]
        else:
            steps = np.concatenate([p[1] for p in parts])[v.order] if parts else \
                np.empty(0, np.int64)
            walls = np.concatenate([s.walls[: s.n] for s in segs])[v.order] if segs else \
                np.empty(0)
            values = np.concatenate([s.values[: s.n] for s in segs])[v.order] if segs else \
                np.empty(0)
        any_sup = bool(v.superseded.any())
        kept = steps[~v.superseded] if any_sup else steps
        mono_kept = bool(len(kept) < 2 or np.all(kept[1:] >= kept[:-1])) if any_sup else \
            v.monotonic
        view = _ScalarView(steps, walls, values, v.superseded, v.monotonic, mono_kept, any_sup,
                           v.restarts)
        self._cache_key, self._cache = (self.version, layout_version), view
        return view

    def last_value(self, view: _ScalarView) -> LastValue | None:
        if view.last is None:
            steps, walls, values = view.steps, view.walls, view.values
            if view.any_superseded:
                keep = ~view.superseded
                steps, walls, values = steps[keep], walls[keep], values[keep]
            if not len(steps):
                return None
            finite = np.isfinite(values)
            if finite.any():
                fv = np.where(finite, values, np.nan)
                lo, hi = int(np.nanargmin(fv)), int(np.nanargmax(fv))
                mn, mx, mns, mxs = float(values[lo]), float(values[hi]), int(steps[lo]), \
                    int(steps[hi])
            else:
                mn = mx = math.nan
                mns = mxs = -1
            view.last = LastValue(int(steps[-1]), float(walls[-1]), float(values[-1]),
                                  len(steps), mn, mns, mx, mxs)
        return view.last


@dataclass
class _PointView:
    points: list[Point]
    superseded: np.ndarray
    restarts: list
    last: LastValue | None = None


class _PointSegment:
    __slots__ = ("steps", "offsets", "points")

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.offsets: list[int] = []
        self.points: list[Point] = []


class PointData(Series):
    """Points of any other kind, as lists per file."""

    @property
    def size(self) -> int:
        return sum(len(seg.points) for seg in self.segments.values())

    def append_point(self, file: str, offset: int, point: Point) -> None:
        seg = self.segments.get(file)
        if seg is None:
            seg = self.segments[file] = _PointSegment()
        seg.steps.append(point.step)
        seg.offsets.append(offset)
        seg.points.append(point)

    def view(self, layout: Layout, layout_version: int) -> _PointView:
        cached = self._cached(layout_version)
        if cached is not None:
            return cached
        parts, segs = self._segments_for(layout, lambda s: np.asarray(s.steps, np.int64),
                                         lambda s: np.asarray(s.offsets, np.int64))
        v = build_view(parts, layout)
        flat = [p for seg in segs for p in seg.points]
        points = [flat[i] for i in v.order.tolist()]
        view = _PointView(points, v.superseded, v.restarts)
        self._cache_key, self._cache = (self.version, layout_version), view
        return view

    def points(self, view: _PointView, include_superseded: bool) -> list[Point]:
        if not view.superseded.any():
            return list(view.points)
        if include_superseded:
            return [(p.flagged() if isinstance(p, LazyPoint) else replace(p, superseded=True))
                    if s else p
                    for p, s in zip(view.points, view.superseded.tolist(), strict=True)]
        return [p for p, s in zip(view.points, view.superseded.tolist(), strict=True) if not s]

    def last_value(self, view: _PointView) -> LastValue | None:
        kept = self.points(view, False)
        if not kept:
            return None
        last = kept[-1]
        return LastValue(last.step, last.wall_time, math.nan, len(kept), math.nan, -1,
                         math.nan, -1)


def series_class(kind: Kind) -> type[Series]:
    """The holder of a series of ``kind``."""
    return ScalarData if kind == Kind.SCALARS else PointData
