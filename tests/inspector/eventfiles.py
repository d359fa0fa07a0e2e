"""Byte-level builders for event files, so core tests need no writer but the framing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inspector.events import plugins as P
from inspector.events.framing import encode_record
from inspector.events.proto import event_pb2
from inspector.events.tensors import from_numpy


def version_event(wall: float = 1.0) -> bytes:
    return event_pb2.Event(wall_time=wall, file_version=P.FILE_VERSION).SerializeToString()


def scalar_event(tag: str, value: float, step: int, wall: float = 0.0,
                 form: str = "tensor") -> bytes:
    event = event_pb2.Event(wall_time=wall or 1000.0 + step, step=step)
    v = event.summary.value.add(tag=tag)
    if form == "simple":
        v.simple_value = value
    else:
        v.tensor.CopyFrom(from_numpy(np.float32(value)))
        v.metadata.plugin_data.plugin_name = P.SCALARS
    return event.SerializeToString()


def histogram_event(tag: str, buckets: np.ndarray, step: int, wall: float = 0.0) -> bytes:
    event = event_pb2.Event(wall_time=wall or 1000.0 + step, step=step)
    v = event.summary.value.add(tag=tag)
    v.tensor.CopyFrom(from_numpy(np.asarray(buckets, np.float64)))
    v.metadata.plugin_data.plugin_name = P.HISTOGRAMS
    return event.SerializeToString()


def write(path: Path, payloads: list[bytes], mode: str = "wb") -> list[tuple[int, int]]:
    """Write framed records; returns each record's (start, end) byte range in the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spans = []
    offset = path.stat().st_size if mode == "ab" and path.exists() else 0
    with open(path, mode) as f:
        for payload in payloads:
            record = encode_record(payload)
            f.write(record)
            spans.append((offset, offset + len(record)))
            offset += len(record)
    return spans


def scalar_file(path: Path, tag: str = "loss", steps=range(10), form: str = "tensor"):
    """A file with a version event and one scalar per step (value = step / 10)."""
    payloads = [version_event()] + [scalar_event(tag, s / 10, s, form=form) for s in steps]
    return write(path, payloads)


def event_name(n: int = 0) -> str:
    return f"{P.FILE_PREFIX}{1700000000 + n}.testhost.1.{n}"


def series_snapshot(store) -> dict:
    """Every point a query can see, superseded ones included with their flag, keyed by
    (run, kind, tag), and each run's restarts: what two stores that read the same files must
    agree on."""
    from inspector.kinds import Kind

    out: dict = {}
    for run in store.runs():
        for kind, tags in store.kinds(run).items():
            for tag in tags:
                if kind == Kind.SCALARS:
                    s = store.scalars(run, tag, include_superseded=True)
                    out[run, kind, tag] = (s.steps.tolist(), s.wall_times.tolist(),
                                           s.values.tolist(), s.superseded.tolist())
                else:
                    out[run, kind, tag] = [
                        (p.step, p.wall_time, np.asarray(p.value).tolist(), p.superseded)
                        for p in store.series(kind, run, tag, include_superseded=True)]
        out[run, "restarts"] = [(r.file, r.reason, r.from_step, r.superseded, r.series)
                                for r in store.restarts(run)]
    return out
