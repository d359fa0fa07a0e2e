"""A cache of what the store read from a run's event files, kept outside the logdir so that
reopening a large logdir costs a memory map instead of a read.

One file per run, in the user's cache directory (``$INSPECTOR_CACHE_DIR``, else
``$XDG_CACHE_HOME/inspector``, else ``~/.cache/inspector``): an Arrow IPC file whose columns
are the run's scalar points (step int64, wall time float64, value float64, record offset
int64, one slice per series and event file) and whose schema metadata holds the rest of the
run's state (file positions and damage, restart marks, tag metadata, decode errors, the points
of other kinds with their TensorProto bytes still undecoded). Opening it maps the columns;
nothing is copied until a series grows.

An entry is never trusted past what it was keyed by: every event file it covers must still
have the size and modification time (ns) it had, or, for a file that grew, the bytes just
before the cached end must still be the ones read (the store then reads only what was
appended). Anything else - a file shrunk, rewritten, gone, or a new file sorting before a
cached one - and the entry is ignored and the run read afresh. Corrupt, foreign or other
users' files are ignored and rewritten, never a crash; a cache directory that cannot be
written gives one warning and no cache. Needs pyarrow (``pip install 'inspector[cache]'``);
without it there is no cache and nothing else changes. Never imports TensorFlow.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from inspector.events.decode import Deferred

FORMAT = b"inspector-column-cache/1"
ENV = "INSPECTOR_CACHE_DIR"
NO_CACHE_ENV = "INSPECTOR_NO_CACHE"  # set (to anything but "" or "0") by --no-cache
_COLUMNS = (("step", np.int64), ("wall", np.float64), ("value", np.float64),
            ("offset", np.int64))


def default_directory() -> str:
    """``$INSPECTOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/inspector``, else
    ``~/.cache/inspector``."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "inspector")


@dataclass
class Entry:
    """What a cache file gave back: ``state`` is the run's pickled state (the store's own
    objects), ``columns`` maps (tag, file) to read-only (steps, walls, values, offsets)
    arrays backed by the memory-mapped file."""

    state: dict[str, Any]
    columns: dict[tuple[str, str], tuple[np.ndarray, ...]]


class ColumnCache:
    """Per-run cache files in ``directory`` (created, mode 0700, on first write)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = os.fspath(directory)
        self.disabled = False

    @classmethod
    def from_option(cls, cache: ColumnCache | str | os.PathLike | bool | None
                    ) -> ColumnCache | None:
        """The cache a ``Store(cache=...)`` argument asks for: a ``ColumnCache`` or a
        directory as given, ``None``/``True`` for the default directory, ``False`` for none.
        None as well when pyarrow is not installed, and for ``None`` when
        ``$INSPECTOR_NO_CACHE`` is set."""
        if cache is False or (cache is None and
                              os.environ.get(NO_CACHE_ENV, "") not in ("", "0")):
            return None
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return None
        if isinstance(cache, ColumnCache):
            return cache
        if cache is None or cache is True:
            return cls(default_directory())
        return cls(cache)

    def _path(self, logdir: str, run: str) -> str:
        key = hashlib.sha256(f"{os.path.abspath(logdir)}\0{run}".encode()).hexdigest()[:32]
        return os.path.join(self.directory, key + ".arrow")

    # ------------------------------------------------------------------ reading
    def load(self, logdir: str, run: str, paths: list[str], fs) -> Entry | None:
        """The cached state of ``run`` if every file it covers is still what was read (or
        only grew), else None. ``paths`` are the run's event files now, in name order."""
        if self.disabled:
            return None
        path = self._path(logdir, run)
        try:
            st = os.stat(path)
            if st.st_uid != os.getuid():  # never unpickle what another user wrote
                return None
            entry = self._read(path)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - corrupt or foreign: ignored, rewritten later
            return None
        state = entry.state
        if state.get("logdir") != os.path.abspath(logdir) or state.get("run") != run:
            return None
        return entry if _still_valid(state["files"], paths, fs) else None

    @staticmethod
    def _read(path: str) -> Entry:
        import pyarrow as pa

        source = pa.memory_map(path, "r")
        reader = pa.ipc.open_file(source)
        meta = reader.schema.metadata or {}
        if meta.get(b"format") != FORMAT:
            raise ValueError("not an Inspector cache file")
        state = pickle.loads(meta[b"state"])
        # Batch by batch: zero-copy views of the mapped file (combine_chunks would copy).
        batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
        cols = []
        for i, (_, dtype) in enumerate(_COLUMNS):
            parts = [b.column(i).to_numpy(zero_copy_only=True) for b in batches if b.num_rows]
            cols.append(parts[0] if len(parts) == 1 else
                        np.concatenate(parts) if parts else np.empty(0, dtype))
        columns, start = {}, 0
        for tag, file, n in state.pop("segments"):
            columns[tag, file] = tuple(c[start : start + n] for c in cols)
            start += n
        return Entry(state, columns)

    # ------------------------------------------------------------------ writing
    def save(self, logdir: str, run: str, state: dict[str, Any],
             columns: list[tuple[str, str, tuple[np.ndarray, ...]]]) -> bool:
        """Write ``run``'s entry: ``state`` (picklable; ``Deferred`` values are kept as
        their TensorProto bytes) and its scalar ``columns`` as (tag, file, (steps, walls,
        values, offsets)). Returns False when nothing could be written (then the cache is
        disabled, after one warning for a directory that cannot be written)."""
        if self.disabled:
            return False
        import pyarrow as pa

        state = dict(state, logdir=os.path.abspath(logdir), run=run,
                     segments=[(tag, file, len(cols[0])) for tag, file, cols in columns])
        try:
            buf = io.BytesIO()
            _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
        except Exception:  # noqa: BLE001 - a value that cannot be kept: no entry for this run
            return False
        arrays = [pa.array(np.concatenate([c[i] for _, _, c in columns]) if columns
                           else np.empty(0, dtype))
                  for i, (_, dtype) in enumerate(_COLUMNS)]
        schema = pa.schema([(name, arr.type) for (name, _), arr in zip(_COLUMNS, arrays,
                                                                       strict=True)],
                           metadata={b"format": FORMAT, b"state": buf.getvalue()})
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f, pa.ipc.new_file(f, schema) as writer:
                    writer.write_table(pa.table(arrays, schema=schema))
                os.replace(tmp, self._path(logdir, run))  # readers keep the old mapping
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as err:
            self.disabled = True
            print(f"inspector: cache directory {self.directory} cannot be written "
                  f"({err.strerror or err}); reading without a cache (set {ENV} or pass "
                  "--no-cache)", file=sys.stderr)
            return False
        return True


def _still_valid(cached: list[tuple], paths: list[str], fs) -> bool:
    """Every cached file (path, size, mtime ns, offset, last bytes read) unchanged or only
    grown past its cached end; files not cached sort after all cached ones."""
    if not cached:
        return False
    names = [c[0] for c in cached]
    if paths[: len(names)] != names:
        return False
    for path, size, mtime, offset, tail in cached:
        try:
            now_size, now_mtime = fs.stat(path)
            if now_size < size:
                return False
            if now_size == size:
                if now_mtime != mtime:
                    return False
                continue
            if not tail or fs.read(path, offset - len(tail), len(tail)) != tail:
                return False
        except OSError:
            return False
    return True


def _resolved(value: Any) -> Deferred:
    d = Deferred(None, None)
    d._value = value
    return d


class _Pickler(pickle.Pickler):
    """Keeps a ``Deferred`` as its TensorProto bytes and conversion; a conversion that
    cannot be pickled (a closure over tag metadata) is applied now and its value kept."""

    def reducer_override(self, obj):
        if type(obj) is not Deferred:
            return NotImplemented
        proto, convert = obj._proto, obj._convert
        if proto is None:
            return _resolved, (obj._value,)
        if "<" in getattr(convert, "__qualname__", "<"):  # lambda or local function
            from inspector.events.decode import tensor_pb2, to_numpy

            if isinstance(proto, bytes):
                proto = tensor_pb2.TensorProto.FromString(proto)
            return _resolved, (convert(to_numpy(proto)),)
        if not isinstance(proto, bytes):
            proto = proto.SerializeToString()
        return Deferred, (proto, convert)
