"""The column cache: a store opened warm from it equals a fresh read of the logdir, and an
entry is never trusted past the files it was read from."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.plugins.scalar.summary_v2 import scalar_pb

from inspector import cli
from inspector.column_cache import ColumnCache
from inspector.events.proto import event_pb2 as own_pb2
from inspector.events.tensors import from_numpy
from inspector.kinds import Kind, kernels
from inspector.store import Store
from tests.inspector.eventfiles import (
    event_name,
    scalar_event,
    series_snapshot,
    version_event,
    write,
)


def snapshot(store: Store) -> dict:
    """Everything a query can see: points with superseded flags, restarts, damage, health,
    decode errors and tag metadata."""
    out = {"runs": store.runs(), **series_snapshot(store)}
    for run in store.runs():
        for kind, tags in store.kinds(run).items():
            for tag in tags:
                info = store.tag_info(run, tag, kind)
                out[run, kind, tag, "info"] = (info.plugin, info.content, info.metadata)
        out[run, "health"] = store.health(run)
        out[run, "errors"] = store.decode_errors(run)
    out["damage"] = {run: [(d.file, d.start, d.end, d.reason) for d in ds]
                     for run, ds in store.damage().items()}
    out["points"] = store.point_count()
    return out


def _open(logdir, cache) -> Store:
    store = Store(logdir, cache=cache)
    store.reload()
    return store


def _mixed_logdir(root) -> None:
    """Restarts (resumed file, SessionLog.START), damage, decode errors, histograms,
    kernels with typed metadata, TF1-style metadata on the first event only."""
    write(root / "resumed" / event_name(0), [version_event()] + [
        scalar_event("loss", float(s), s, 1000.0 + s, form="simple") for s in range(10)])
    write(root / "resumed" / event_name(1), [version_event(2000.0)] + [
        scalar_event("loss", 100.0 + s, s, 2000.0 + s, form="simple") for s in range(5, 8)])
    events = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")]
    rng = np.random.RandomState(1)
    for s in range(6):
        events.append(event_pb2.Event(step=s, wall_time=10.0 + s, summary=scalar_pb("x", s)))
        events.append(event_pb2.Event(step=s, wall_time=10.0 + s, summary=histogram_pb(
            "h", rng.randn(20).astype(np.float32))))
        bad = scalar_pb("bad", 1.0)
        bad.value[0].tensor.tensor_shape.dim.add(size=3)
        events.append(event_pb2.Event(step=s, wall_time=10.0 + s, summary=bad))
    events.append(event_pb2.Event(step=3, wall_time=20.0, session_log=event_pb2.SessionLog(
        status=event_pb2.SessionLog.START)))
    first_only = scalar_pb("tf1", 0.5)
    events.append(event_pb2.Event(step=9, wall_time=30.0, summary=first_only))
    first_only = scalar_pb("tf1", 0.5)
    first_only.value[0].ClearField("metadata")
    events.append(event_pb2.Event(step=10, wall_time=31.0, summary=first_only))
    write(root / "session" / event_name(0), [e.SerializeToString() for e in events])
    meta = kernels.KernelsMetadata(layer="conv1", shape=(3, 3, 1, 2)).to_content()
    kinds = []
    for step in range(3):
        event = own_pb2.Event(wall_time=50.0 + step, step=step)
        v = event.summary.value.add(tag=kernels.TAG_PREFIX + "conv1")
        v.tensor.CopyFrom(from_numpy(np.full((3, 3, 1, 2), step, np.float16)))
        v.metadata.plugin_data.plugin_name = kernels.PLUGIN_NAME
        v.metadata.plugin_data.content = meta
        kinds.append(event.SerializeToString())
    write(root / "kinds" / event_name(0), [version_event()] + kinds)
    damaged = root / "damaged" / event_name(0)
    write(damaged, [version_event()] + [scalar_event("loss", s, s) for s in range(5)])
    data = bytearray(damaged.read_bytes())
    data[60] ^= 0xFF  # a flipped byte inside a record: one damaged range
    damaged.write_bytes(bytes(data))


def test_warm_store_equals_a_fresh_read_with_restarts_damage_errors_and_metadata(tmp_path):
    _mixed_logdir(tmp_path / "logdir")
    cache = tmp_path / "cache"
    fresh = snapshot(_open(tmp_path / "logdir", False))
    cold = _open(tmp_path / "logdir", cache)
    assert snapshot(cold) == fresh
    assert len(os.listdir(cache)) == 4  # one entry per run
    warm = Store(tmp_path / "logdir", cache=cache)
    warm._cache.save = None  # a warm open that changes nothing writes nothing
    warm.reload()
    assert warm.cached_runs == set(fresh["runs"]) and not cold.cached_runs
    assert snapshot(warm) == fresh
    assert fresh["resumed", "restarts"] and fresh["session", "restarts"]
    assert fresh["damage"]["damaged"] and fresh["session", "health"].decode_errors == 6
    assert fresh["kinds", Kind.KERNELS, "kernels/conv1", "info"][2].layer == "conv1"
    assert fresh["session", Kind.SCALARS, "tf1"][0] == [9, 10]


def test_warm_scalars_are_memory_mapped_not_read(tmp_path):
    write(tmp_path / "logdir" / "run" / event_name(0),
          [version_event()] + [scalar_event("loss", s / 10, s) for s in range(100)])
    _open(tmp_path / "logdir", tmp_path / "cache")
    warm = _open(tmp_path / "logdir", tmp_path / "cache")
    segment = next(iter(warm._runs["run"].series[Kind.SCALARS]["loss"].segments.values()))
    assert not segment.steps.flags.writeable  # a view of the cache file
    assert warm.scalars("run", "loss").steps.tolist() == list(range(100))


def test_a_file_that_grew_is_read_on_from_the_cached_end(tmp_path):
    path = tmp_path / "logdir" / "run" / event_name(0)
    write(path, [version_event()] + [scalar_event("loss", s, s) for s in range(10)])
    _open(tmp_path / "logdir", tmp_path / "cache")
    write(path, [scalar_event("loss", s, s) for s in range(10, 15)], mode="ab")
    warm = Store(tmp_path / "logdir", cache=tmp_path / "cache")
    assert warm._from_cache("run", [str(path)]) is not None  # the prefix is reused
    warm.reload()
    assert snapshot(warm) == snapshot(_open(tmp_path / "logdir", False))
    assert warm.scalars("run", "loss").steps.tolist() == list(range(15))


@pytest.mark.parametrize("change", ["rewritten_same_size", "shrunk", "prefix_changed",
                                    "file_removed", "file_before"])
def test_a_changed_file_makes_the_entry_ignored(tmp_path, change):
    run = tmp_path / "logdir" / "run"
    first, second = run / event_name(1), run / event_name(2)
    write(first, [version_event()] + [scalar_event("loss", s, s) for s in range(10)])
    write(second, [scalar_event("acc", s, s) for s in range(10)])
    _open(tmp_path / "logdir", tmp_path / "cache")
    if change == "rewritten_same_size":
        write(first, [version_event()] + [scalar_event("loss", -s, s) for s in range(10)])
        os.utime(first, ns=(1, 1))
    elif change == "shrunk":
        write(first, [version_event()] + [scalar_event("loss", s, s) for s in range(5)])
    elif change == "prefix_changed":
        write(first, [version_event()] + [scalar_event("loss", -s, s) for s in range(12)])
    elif change == "file_removed":
        second.unlink()
    else:
        write(run / event_name(0), [scalar_event("early", 1, 0)])
    warm = Store(tmp_path / "logdir", cache=tmp_path / "cache")
    paths = sorted(str(p) for p in run.iterdir())
    assert warm._from_cache("run", paths) is None
    warm.reload()
    assert snapshot(warm) == snapshot(_open(tmp_path / "logdir", False))


def test_corrupt_or_foreign_cache_files_are_ignored_and_rewritten(tmp_path):
    write(tmp_path / "logdir" / "run" / event_name(0),
          [version_event()] + [scalar_event("loss", s, s) for s in range(10)])
    cache = tmp_path / "cache"
    _open(tmp_path / "logdir", cache)
    [entry] = list(cache.iterdir())
    fresh = snapshot(_open(tmp_path / "logdir", False))
    for garbage in (b"", b"not arrow at all", entry.read_bytes()[:200]):
        entry.write_bytes(garbage)
        store = _open(tmp_path / "logdir", cache)
        assert snapshot(store) == fresh
        assert entry.stat().st_size > 1000  # rewritten whole
    import pyarrow as pa

    with pa.ipc.new_file(str(entry), pa.schema([("x", pa.int64())])) as w:
        w.write_table(pa.table({"x": [1, 2]}))
    assert snapshot(_open(tmp_path / "logdir", cache)) == fresh


def test_a_cache_dir_that_cannot_be_written_gives_one_warning_and_no_cache(tmp_path, capsys):
    # A cache path running through a file cannot be created by anyone (a read-only
    # directory would be, by root, who runs CI here).
    for run in ("a", "b"):
        write(tmp_path / "logdir" / run / event_name(0),
              [version_event()] + [scalar_event("loss", s, s) for s in range(5)])
    (tmp_path / "a_file").write_text("")
    store = _open(tmp_path / "logdir", tmp_path / "a_file" / "cache")
    err = capsys.readouterr().err
    assert err.count("cannot be written") == 1 and "--no-cache" in err
    assert store.scalars("a", "loss").steps.tolist() == list(range(5))
    assert store.scalars("b", "loss").steps.tolist() == list(range(5))


def test_no_cache_option_and_default_directory(tmp_path, monkeypatch, capsys):
    write(tmp_path / "logdir" / "run" / event_name(0),
          [version_event()] + [scalar_event("loss", s, s) for s in range(5)])
    monkeypatch.setenv("INSPECTOR_CACHE_DIR", str(tmp_path / "env_cache"))
    assert ColumnCache.from_option(None).directory == str(tmp_path / "env_cache")
    assert ColumnCache.from_option(False) is None
    assert cli.main(["info", "--no-cache", str(tmp_path / "logdir")]) == 0
    assert not (tmp_path / "env_cache").exists()
    assert cli.main(["info", str(tmp_path / "logdir")]) == 0
    assert len(list((tmp_path / "env_cache").iterdir())) == 1
    monkeypatch.delenv("INSPECTOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert ColumnCache.from_option(True).directory == str(tmp_path / "xdg" / "inspector")
