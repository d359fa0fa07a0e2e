"""The store: every point of every series of every run in a logdir, and a typed query API.

Series are keyed by (``Kind``, tag): each event's own metadata decides its kind, so a scalar
and a histogram may share a tag. Scalars live in columns (step, wall time, value); other kinds
keep their decoded values (images as encoded bytes, decoded only when shown). Nothing is
sampled away and nothing is dropped: repeated or lower steps are kept in file order, files
written at the same time are merged, and at a restart the earlier points at or above the
restart step are marked *superseded* (see ``inspector.segments``); queries leave those out
unless asked for them. Decimation happens per query, keeping each bucket's min and max.

After ``reload()`` the store equals a fresh read of the logdir: runs and files that vanished
are dropped, a file rewritten in place is read again. The store knows nothing of Dash or of
file formats below ``inspector.logdir``; it never imports TensorFlow. All methods are safe to
call from several threads.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from inspector.buckets import bucket
from inspector.column_cache import ColumnCache, Entry
from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.events.decode import (
    Deferred,
    Item,
    TagInfo,
    UndecodableEvent,
    decode_event,
    indexed_route,
)
from inspector.kinds import Kind
from inspector.logdir import Batch, Damage, FileSystem, FileTail, discover_runs
from inspector.remote import open_logdir
from inspector.segments import FileMark, Layout, resumed_files
from inspector.store_series import (
    LastValue,
    LazyPoint,
    Point,
    Purge,
    Restart,
    ScalarData,
    ScalarSeries,
    Segment,
    Series,
    as_kind,
    series_class,
)
from inspector.store_typed import TypedQueries

__all__ = ["LastValue", "Point", "Purge", "Restart", "RunHealth", "ScalarSeries", "Store",
           "UnknownSeries"]


# Seconds between two writes of a run's cache entry while the run keeps changing.
SAVE_EVERY = 60.0


class UnknownSeries(InspectorError, KeyError):
    """A query named a run, or a tag of a kind, that the logdir does not hold (or no longer
    holds). Use ``Store.has`` to probe."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass
class RunHealth:
    """Records of one run that could not be read whole: byte ranges skipped as damaged
    (checksum, framing, unreadable), records that are not Events, values that failed to
    decode (``reasons``: "tag 'x': why" -> count), and whether a record is still being
    written at the end of a file (``pending``, not a fault)."""

    damaged: int = 0
    undecodable: int = 0
    decode_errors: int = 0
    pending: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.damaged or self.undecodable or self.decode_errors)


@dataclass
class _Run:
    name: str
    files: dict[str, FileTail] = field(default_factory=dict)
    marks: dict[str, FileMark] = field(default_factory=dict)
    tag_info: dict[str, TagInfo] = field(default_factory=dict)
    by_plugin: dict[tuple[str, str], TagInfo] = field(default_factory=dict)
    tag_by_hash: dict[int, str] = field(default_factory=dict)
    series: dict[Kind, dict[str, Series]] = field(default_factory=dict)
    decode_errors: list[str] = field(default_factory=list)
    error_counts: Counter = field(default_factory=Counter)
    file_versions: set[str] = field(default_factory=set)
    version: int = 0
    layout: Layout | None = None
    layout_key: tuple = ()
    layout_version: int = 0

    def current_layout(self) -> tuple[Layout, int]:
        files = sorted(self.files)
        marks = [self.marks.setdefault(f, FileMark()) for f in files]
        resumed = resumed_files(marks)
        starts = [(i, off, step) for i, m in enumerate(marks) for off, step in m.starts]
        key = (tuple(files), tuple(resumed), tuple(starts))
        if key != self.layout_key:
            self.layout_key = key
            self.layout = Layout(resumed, starts, files)
            self.layout_version += 1
        return self.layout, self.layout_version


class Store(TypedQueries):
    """Every run under ``logdir``. Call ``reload()`` to read what the files gained."""

    def __init__(self, logdir: str | os.PathLike, fs: FileSystem | None = None,
                 cache: ColumnCache | str | os.PathLike | bool | None = None) -> None:
        """``cache``: where decoded columns are kept between processes (see
        ``inspector.column_cache``): None or True for the user's cache directory (or
        ``$INSPECTOR_CACHE_DIR``), a directory, or False for no cache. Only local logdirs
        are cached."""
        self.logdir = os.fspath(logdir)
        if fs is None:
            fs, self._root = open_logdir(self.logdir)
        else:
            self._root = self.logdir
        self._fs = fs
        self._cache = ColumnCache.from_option(cache) if hasattr(fs, "stat") else None
        self._saved_at: dict[str, tuple[int, float]] = {}  # run: (version, when)
        self.cached_runs: set[str] = set()  # runs opened from the column cache
        self._runs: dict[str, _Run] = {}
        self._removed: list[tuple[int, str, Kind | None, str | None]] = []
        self._lock = threading.RLock()
        self._reload_lock = threading.Lock()
        self._version = 0
        self.loaded = False  # True after the first complete reload

    # ------------------------------------------------------------------ reading
    def reload(self) -> int:
        """Read new bytes of every event file (new runs and files included) and drop the runs
        and files that vanished. Returns the store version after reading (it grows whenever
        anything changed)."""
        found = discover_runs(self._root, self._fs)
        # Reading happens outside the query lock (only decoded batches are ingested under it),
        # so queries stay quick while a large logdir is read; one reload runs at a time.
        with self._reload_lock:
            with self._lock:
                for name in [n for n in self._runs if n not in found]:
                    self._forget_run(name)
            for name, paths in found.items():
                with self._lock:
                    run = self._runs.get(name)
                    if run is None:
                        run = self._runs[name] = self._from_cache(name, paths) or _Run(name)
                    for path in [p for p in run.files if p not in paths]:
                        self._forget_file(run, path)
                    tails = [run.files.setdefault(path, FileTail(path)) for path in paths]
                for tail in tails:
                    generation = tail.generation
                    for batch in tail.poll(self._fs):
                        with self._lock:
                            if tail.generation != generation:  # rewritten in place
                                generation = tail.generation
                                self._forget_file(run, tail.path, keep_tail=True)
                            self._ingest(run, batch)
                if self._cache is not None:
                    self._to_cache(run)
            self.loaded = True
            return self._version

    # ------------------------------------------------------------------ column cache
    def _from_cache(self, name: str, paths: list[str]) -> _Run | None:
        """The run as cached, when its files are still what was read (or only grew)."""
        if self._cache is None:
            return None
        entry: Entry | None = self._cache.load(self._root, name, paths, self._fs)
        if entry is None:
            return None
        st = entry.state
        run = _Run(name, files=st["tails"], marks=st["marks"], tag_info=st["tag_info"],
                   by_plugin=st["by_plugin"], tag_by_hash=st["tag_by_hash"],
                   series=st["series"], decode_errors=st["decode_errors"],
                   error_counts=st["error_counts"], file_versions=st["file_versions"])
        scalars = run.series.setdefault(Kind.SCALARS, {})
        for (tag, file), cols in entry.columns.items():
            s = scalars.get(tag)
            if s is None:
                s = scalars[tag] = ScalarData()
            s.segments[file] = Segment.of(*cols)
        if not scalars:
            del run.series[Kind.SCALARS]
        for by_tag in run.series.values():
            for s in by_tag.values():
                s.version = self._bump(run)
        self._saved_at[name] = (run.version, -math.inf)
        self.cached_runs.add(name)
        return run

    def _to_cache(self, run: _Run) -> None:
        """Write ``run`` to the cache when it changed since it was last written (a run
        being written to: at most every ``SAVE_EVERY`` seconds; the next open reads what
        came after from the event files)."""
        saved_version, saved_time = self._saved_at.get(run.name, (-1, -math.inf))
        if saved_version == run.version or time.monotonic() - saved_time < SAVE_EVERY:
            return
        with self._lock:
            series = {}
            for kind, by_tag in run.series.items():
                if kind != Kind.SCALARS:
                    series[kind] = {tag: s.bare() for tag, s in by_tag.items()}
            columns = [(tag, file, seg.columns())
                       for tag, s in run.series.get(Kind.SCALARS, {}).items()
                       for file, seg in s.segments.items()]
            files = [(p, t.size_seen, t._mtime, t.offset, t._seen_tail)
                     for p, t in sorted(run.files.items())]
            state = dict(files=files, tails=run.files, marks=run.marks,
                         tag_info=run.tag_info, by_plugin=run.by_plugin,
                         tag_by_hash=run.tag_by_hash, series=series,
                         decode_errors=run.decode_errors, error_counts=run.error_counts,
                         file_versions=run.file_versions)
            self._cache.save(self._root, run.name, state, columns)
            self._saved_at[run.name] = (run.version, time.monotonic())

    def _bump(self, run: _Run) -> int:
        self._version += 1
        run.version = self._version
        return self._version

    def _forget_run(self, name: str) -> None:
        self._runs.pop(name)
        self._version += 1
        self._removed.append((self._version, name, None, None))

    def _forget_file(self, run: _Run, path: str, keep_tail: bool = False) -> None:
        if not keep_tail:
            run.files.pop(path, None)
        run.marks.pop(path, None)
        for kind, by_tag in run.series.items():
            for tag in list(by_tag):
                if by_tag[tag].drop_file(path):
                    by_tag[tag].version = self._bump(run)
                    if by_tag[tag].empty:
                        del by_tag[tag]
                        self._removed.append((self._version, run.name, kind, tag))
        self._bump(run)

    def _series(self, run: _Run, kind: Kind, tag: str) -> Series:
        by_tag = run.series.setdefault(kind, {})
        s = by_tag.get(tag)
        if s is None:
            s = by_tag[tag] = series_class(kind)()
        return s

    def _ingest(self, run: _Run, batch: Batch) -> None:
        scan = batch.scan
        points = scan.points
        mark = run.marks.setdefault(batch.file, FileMark())
        others = scan.others
        flagged = np.zeros(0, bool)
        if len(points):
            flagged = points["flags"] != 0
            # Name the tags whose events carry the scalars metadata first: TF1's FileWriter
            # writes a tag's metadata only on its first value; later values rely on it.
            self._learn_scalar_tags(run, batch, points[~flagged])
        items: list[Item] = []
        walls: list[tuple[int, float]] = []  # (record offset, wall time) of events decoded
        self._decode(run, batch, others, items, walls, mark)
        if len(scan.tensors):
            self._index_tensors(run, batch, scan.tensors, items, walls, mark)
        if flagged.any():
            points, rerouted = self._resolve_flagged(run, points, flagged)
            if len(rerouted):
                self._decode(run, batch, rerouted, items, walls, mark)
        self._note_walls(mark, batch, points, walls)
        extra_scalars = []
        items.sort(key=lambda i: i.record_offset)
        for item in items:
            if item.kind == Kind.SCALARS:
                extra_scalars.append(item)
            else:
                s = self._series(run, Kind(item.kind), item.tag)
                value = item.value
                point = LazyPoint(item.step, item.wall_time, value) if \
                    isinstance(value, Deferred) else Point(item.step, item.wall_time, value)
                s.append_point(batch.file, batch.base + item.record_offset, point)
                s.version = self._bump(run)
        if len(points) or extra_scalars:
            self._ingest_scalars(run, batch, points, extra_scalars)

    def _decode(self, run: _Run, batch: Batch, records, items: list[Item],
                walls: list[tuple[int, float]], mark: FileMark) -> None:
        for offset, length in records:
            payload = batch.buffer[offset : offset + length]
            try:
                decoded = decode_event(payload, run.tag_info, int(offset), run.by_plugin)
            except UndecodableEvent:
                start = batch.base + int(offset) - 12
                run.files[batch.file].damage.append(
                    Damage(batch.file, start, start + int(length) + 16, "undecodable"))
                continue
            walls.append((int(offset), decoded.wall_time))
            if decoded.file_version:
                run.file_versions.add(decoded.file_version)
            if decoded.session_start:
                mark.starts.append((batch.base + int(offset), decoded.step))
            for err in decoded.errors:
                if len(run.decode_errors) < 100:
                    run.decode_errors.append(err)
                run.error_counts[_reason(err)] += 1
            items.extend(decoded.items)

    def _resolve_flagged(self, run: _Run, points: np.ndarray, flagged: np.ndarray):
        """Rank-0 float tensors without metadata are scalars when their tag's first metadata
        says so; the events of the others go to the Python decoder."""
        bad_records = set()
        for h in np.unique(points["tag_hash"][flagged]).tolist():
            tag = run.tag_by_hash.get(h)
            info = run.tag_info.get(tag) if tag is not None else None
            if info is None or info.plugin != P.SCALARS:
                sel = flagged & (points["tag_hash"] == h)
                bad_records.update(points["record_offset"][sel].tolist())
        if not bad_records:
            return points, np.empty((0, 2), np.int64)
        bad = np.isin(points["record_offset"], list(bad_records))
        rerouted = np.unique(points[bad][["record_offset", "record_length"]])
        records = np.stack([rerouted["record_offset"], rerouted["record_length"]], axis=1)
        return points[~bad], records.astype(np.int64)

    def _index_tensors(self, run: _Run, batch: Batch, entries: np.ndarray, items: list[Item],
                       walls: list[tuple[int, float]], mark: FileMark) -> None:
        """Single-tensor events the scanner indexed: kept as TensorProto bytes, converted on
        first use. The first event of a tag and plugin (or one whose kind is not known from
        its metadata) goes through ``decode_event``, which fills the tag registry."""
        buf = batch.buffer
        columns = [entries[name].tolist() for name in (
            "tag_hash", "tag_offset", "tag_length", "plugin_offset", "plugin_length",
            "content_offset", "content_length", "tensor_offset", "tensor_length", "step",
            "wall_time", "record_offset", "record_length", "rank", "dim1", "elements")]
        walls.extend(zip(columns[11], columns[10], strict=True))
        for (h, to, tl, po, pl, co, cl, xo, xl, step, wall, ro, rl, rank, dim1,
             elements) in zip(*columns, strict=True):
            tag = run.tag_by_hash.get(h)
            if tag is None:
                tag = run.tag_by_hash[h] = buf[to : to + tl].decode("utf-8", "replace")
            if pl > 0:
                plugin = buf[po : po + pl].decode("utf-8", "replace")
                info = run.by_plugin.get((tag, plugin))
                if info is not None and info.content != (buf[co : co + cl] if co >= 0 else b""):
                    info = None
            else:
                info = run.tag_info.get(tag)
                plugin = info.plugin if info is not None else ""
            route = indexed_route(plugin, info, rank, dim1, elements) if info else None
            if route is None:
                self._decode(run, batch, [(ro, rl)], items, [], mark)
                continue
            items.append(Item(route[0], tag, step, wall,
                              Deferred(bytes(buf[xo : xo + xl]), route[1]), ro))

    @staticmethod
    def _note_walls(mark: FileMark, batch: Batch, points: np.ndarray,
                    walls: list[tuple[int, float]]) -> None:
        """The batch's latest wall time and, in a file's first batch, its first event's."""
        latest, first = -np.inf, None
        if len(points):
            finite = points["wall_time"][~np.isnan(points["wall_time"])]
            latest = float(finite.max()) if len(finite) else latest
        if walls:
            latest = max(latest, max((w for _, w in walls if w == w), default=latest))
        if batch.base == 0:
            candidates = [min(walls)] if walls else []
            if len(points):
                i = int(np.argmin(points["record_offset"]))
                candidates.append((int(points["record_offset"][i]),
                                   float(points["wall_time"][i])))
            first = min(candidates)[1] if candidates else None
        mark.see(first, latest)

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
                h = int(sorted_hashes[s])
                tag = run.tag_by_hash.get(h)
                if tag is None:  # a flagged tag first named here
                    i = order[s]
                    o, n = int(points[i]["tag_offset"]), int(points[i]["tag_length"])
                    tag = run.tag_by_hash[h] = batch.buffer[o : o + n].decode("utf-8", "replace")
                groups.setdefault(tag, []).append(points[order[s:e]])
        if extra:
            from inspector.events.framing import POINT_DTYPE

            by_tag: dict[str, list[Item]] = {}
            for item in extra:
                by_tag.setdefault(item.tag, []).append(item)
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
            s = self._series(run, Kind.SCALARS, tag)
            s.append_columns(batch.file, arr["step"], arr["wall_time"], arr["value"],
                             arr["record_offset"] + batch.base)
            s.version = self._bump(run)

    # ------------------------------------------------------------------ lookups
    def _get(self, kind: Kind | str, run: str, tag: str) -> tuple[_Run, Series]:
        kind = as_kind(kind)
        r = self._runs.get(run)
        if r is None:
            raise UnknownSeries(f"no run {run!r} in {self.logdir!r}; known runs: "
                                f"{', '.join(sorted(self._runs)[:10]) or 'none'}")
        s = r.series.get(kind, {}).get(tag)
        if s is None:
            raise UnknownSeries(f"run {run!r} has no {kind.value} tag {tag!r}; "
                                "list them with Store.tags(kind, run)")
        return r, s

    def _view(self, r: _Run, s: Series):
        layout, layout_version = r.current_layout()
        return s.view(layout, layout_version)

    # ------------------------------------------------------------------ queries
    @property
    def version(self) -> int:
        """A number that grows whenever anything in the store changed (data added or gone)."""
        return self._version

    def runs(self) -> list[str]:
        """Names of every run (directories holding event files, relative to the logdir, "."
        for the logdir itself), sorted."""
        with self._lock:
            return sorted(self._runs)

    def has(self, kind: Kind | str, run: str, tag: str | None = None) -> bool:
        """True when ``run`` holds a series of ``kind`` (under ``tag``, when given)."""
        with self._lock:
            r = self._runs.get(run)
            by_tag = r.series.get(as_kind(kind), {}) if r else {}
            return bool(by_tag) if tag is None else tag in by_tag

    def tags(self, kind: Kind | str, run: str | None = None) -> dict[str, list[str]]:
        """{run: [tag, ...]} (sorted) for series of ``kind``; runs without any are left out.
        With ``run``, only that run (an unknown run gives {})."""
        kind = as_kind(kind)
        with self._lock:
            runs = [self._runs[run]] if run is not None and run in self._runs else (
                [] if run is not None else list(self._runs.values()))
            out = {}
            for r in runs:
                names = r.series.get(kind, {})
                if names:
                    out[r.name] = sorted(names)
            return out

    def kinds(self, run: str) -> dict[Kind, list[str]]:
        """{kind: [tag, ...]} for one run ({} for an unknown run)."""
        with self._lock:
            r = self._runs.get(run)
            if r is None:
                return {}
            return {kind: sorted(by_tag) for kind, by_tag in sorted(r.series.items()) if by_tag}

    def tag_info(self, run: str, tag: str, kind: Kind | str | None = None) -> TagInfo | None:
        """The metadata of ``tag`` in ``run``: the first seen for the tag, or with ``kind``
        the latest seen of the plugin that kind comes from. For one of Inspector's own kinds,
        ``.metadata`` is its parsed metadata dataclass. None when there is none."""
        with self._lock:
            r = self._runs.get(run)
            if r is None:
                return None
            if kind is None:
                return r.tag_info.get(tag)
            kind = as_kind(kind)
            for (t, plugin), info in r.by_plugin.items():
                if t == tag and _plugin_kind(plugin) == kind:
                    return info
            first = r.tag_info.get(tag)
            return first if first is not None and _plugin_kind(first.plugin) == kind else None

    def scalars(self, run: str, tag: str, *, step_range: tuple[float, float] | None = None,
                max_points: int | None = None, include_superseded: bool = False) -> ScalarSeries:
        """The scalar series of ``tag`` in ``run``: steps (int64), wall times (float64, Unix
        seconds) and values (float64, NaN and +-inf kept), in file order with simultaneous
        files merged by step. ``step_range`` keeps steps within [lo, hi]; ``max_points``
        decimates to at most that many buckets of equal step width, each keeping its min,
        max and last point. Superseded points (replaced at a restart) are left out unless
        ``include_superseded``; then ``.superseded`` flags them. Raises ``UnknownSeries``."""
        with self._lock:
            r, s = self._get(Kind.SCALARS, run, tag)
            v = self._view(r, s)
        steps, walls, values, sup = v.steps, v.walls, v.values, v.superseded
        if not include_superseded and v.any_superseded:
            keep = ~sup
            steps, walls, values, sup = steps[keep], walls[keep], values[keep], sup[keep]
            monotonic = v.monotonic_kept
        else:
            monotonic = v.monotonic
        if step_range is not None:
            if monotonic:
                lo = np.searchsorted(steps, step_range[0], "left")
                hi = np.searchsorted(steps, step_range[1], "right")
                sel = slice(lo, hi)
            else:
                sel = (steps >= step_range[0]) & (steps <= step_range[1])
            steps, walls, values, sup = steps[sel], walls[sel], values[sel], sup[sel]
        total = len(steps)
        if max_points is None or total <= max_points:
            return ScalarSeries(steps.copy(), walls.copy(), values.copy(), total=total,
                                superseded=sup.copy() if include_superseded else None)
        return _decimate(steps, walls, values, max(int(max_points), 1))

    def series(self, kind: Kind | str, run: str, tag: str, *,
               include_superseded: bool = False) -> list[Point]:
        """Every point of a series of any kind (for scalars, ``Point.value`` is a float), in
        file order with simultaneous files merged by step; superseded points left out unless
        ``include_superseded`` (then flagged by ``Point.superseded``). The value of each
        kind is documented on ``inspector.kinds.Kind``. Raises ``UnknownSeries``."""
        kind = as_kind(kind)
        if kind == Kind.SCALARS:
            s = self.scalars(run, tag, include_superseded=include_superseded)
            flags = s.superseded if s.superseded is not None else np.zeros(len(s.steps), bool)
            return [Point(int(a), float(b), float(c), bool(f)) for a, b, c, f in
                    zip(s.steps, s.wall_times, s.values, flags, strict=True)]
        with self._lock:
            r, s = self._get(kind, run, tag)
            return s.points(self._view(r, s), include_superseded)

    def last_values(self, kind: Kind | str = Kind.SCALARS, *, tags: list[str] | None = None,
                    runs: list[str] | None = None) -> dict[str, dict[str, LastValue]]:
        """{run: {tag: LastValue}}: per series, the last point (step, wall time, value), the
        number of points, and the min and max of the finite values with their steps;
        superseded points left out. Only scalars have values; other kinds give value NaN.
        ``tags``/``runs`` restrict the answer (names not held are skipped). Cached per series,
        so a table over hundreds of runs costs one pass over what changed."""
        kind = as_kind(kind)
        wanted_tags = set(tags) if tags is not None else None
        out: dict[str, dict[str, LastValue]] = {}
        with self._lock:
            names = runs if runs is not None else sorted(self._runs)
            for name in names:
                r = self._runs.get(name)
                if r is None:
                    continue
                row = {}
                for tag, s in r.series.get(kind, {}).items():
                    if wanted_tags is None or tag in wanted_tags:
                        lv = s.last_value(self._view(r, s))
                        if lv is not None:
                            row[tag] = lv
                if row:
                    out[name] = row
        return out

    def changed_since(self, version: int) -> dict[str, dict[str, list[str]]]:
        """{run: {kind: [tag, ...]}} of the series that gained data after ``version`` (a run
        that only lost data is listed with the kinds it has left)."""
        with self._lock:
            out: dict[str, dict[str, list[str]]] = {}
            for r in self._runs.values():
                if r.version <= version:
                    continue
                kinds: dict[str, list[str]] = {}
                for kind, by_tag in r.series.items():
                    tags = [t for t, s in by_tag.items() if s.version > version]
                    if tags:
                        kinds[kind] = sorted(tags)
                out[r.name] = kinds
            return out

    def removed_since(self, version: int) -> dict[str, dict[str, list[str]]]:
        """What vanished after ``version``: {run: {}} for a whole run, else {run: {kind:
        [tag, ...]}} for series whose files all went away. Pages drop these."""
        with self._lock:
            out: dict[str, dict[str, list[str]]] = {}
            for v, run, kind, tag in self._removed:
                if v <= version:
                    continue
                if kind is None:
                    out[run] = {}
                elif out.get(run, None) != {}:
                    out.setdefault(run, {}).setdefault(kind.value, []).append(tag)
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

    def health(self, run: str) -> RunHealth:
        """What of ``run`` could not be read: counts of damaged byte ranges, records that are
        not Events and values that failed to decode, with each reason's count (for the
        dashboard's per-run badge and ``inspector info``). Raises ``UnknownSeries``."""
        with self._lock:
            r = self._runs.get(run)
            if r is None:
                raise UnknownSeries(f"no run {run!r} in {self.logdir!r}")
            h = RunHealth(reasons=dict(r.error_counts))
            h.decode_errors = sum(r.error_counts.values())
            for tail in r.files.values():
                for d in tail.damage:
                    if d.reason == "undecodable":
                        h.undecodable += 1
                    else:
                        h.damaged += 1
                h.pending += tail.pending is not None
            return h

    def restarts(self, run: str | None = None) -> list[Restart]:
        """Every restart that superseded earlier points, per run: the file (or the
        ``SessionLog.START`` in it) it begins at, and how many points of how many series it
        marked superseded."""
        out = []
        for p in self.purges(run):
            if out and (out[-1].run, out[-1].file, out[-1].reason) == (p.run, p.file, p.reason):
                last = out[-1]
                last.superseded += p.dropped
                last.series += 1
                last.from_step = min(last.from_step, p.from_step)
            else:
                out.append(Restart(p.run, p.file, p.reason, p.from_step, p.dropped, 1))
        return out

    def purges(self, run: str | None = None) -> list[Purge]:
        """Per series and restart: the step it was re-logged from and how many earlier points
        it marked superseded (``dropped``; they are kept, see ``include_superseded``)."""
        with self._lock:
            out = []
            for r in self._runs.values():
                if run not in (None, r.name):
                    continue
                for kind, by_tag in sorted(r.series.items()):
                    for tag, s in sorted(by_tag.items()):
                        for file, reason, step, n in self._view(r, s).restarts:
                            out.append(Purge(r.name, kind, tag, step, n, file, reason))
            out.sort(key=lambda p: (p.run, p.file, p.reason, p.kind, p.tag))
            return out

    def decode_errors(self, run: str) -> list[str]:
        """The first 100 values of ``run`` that failed to decode, one line each (tag, step,
        reason); [] for an unknown run. ``health`` counts all of them."""
        with self._lock:
            r = self._runs.get(run)
            return list(r.decode_errors) if r else []

    def point_count(self) -> int:
        """Scalar points held, over all runs (a cheap size figure for status lines)."""
        with self._lock:
            return sum(s.size for r in self._runs.values()
                       for s in r.series.get(Kind.SCALARS, {}).values())


def _plugin_kind(plugin: str) -> Kind | None:
    from inspector.kinds import for_plugin

    spec = for_plugin(plugin)
    return spec.kind if spec is not None else P.PLUGIN_KIND.get(plugin, Kind.TENSORS)


def _reason(err: str) -> str:
    """A decode error without its step, so equal faults count as one reason."""
    head, _, why = err.partition(": ")
    tag = head.split(" at step ")[0]
    return f"{tag}: {why}" if why else err


def _decimate(steps: np.ndarray, walls: np.ndarray, values: np.ndarray,
              buckets: int) -> ScalarSeries:
    b = bucket(steps, values, buckets)
    return ScalarSeries(steps[b.last], walls[b.last], b.last_values, mins=b.mins,
                        maxs=b.maxs, total=len(steps))
