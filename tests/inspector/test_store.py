"""The store: run discovery, incremental polls, restarts, decimation and change tracking."""

from __future__ import annotations

import numpy as np

from inspector.events import plugins as P
from inspector.events.proto import event_pb2
from inspector.logdir import LocalFileSystem
from inspector.store import Store
from tests.inspector.eventfiles import (
    event_name,
    histogram_event,
    scalar_event,
    scalar_file,
    version_event,
    write,
)


class CountingFS(LocalFileSystem):
    def __init__(self):
        self.bytes_read = 0

    def read(self, path, offset, length):
        data = super().read(path, offset, length)
        self.bytes_read += len(data)
        return data


def test_runs_are_named_by_relative_path(tmp_path):
    scalar_file(tmp_path / "mlp" / "relu" / "train" / event_name())
    scalar_file(tmp_path / "mlp" / "relu" / "validation" / event_name())
    scalar_file(tmp_path / event_name())
    (tmp_path / "notes.txt").write_text("not a run")
    store = Store(tmp_path)
    store.reload()
    assert store.runs() == [".", "mlp/relu/train", "mlp/relu/validation"]


def test_a_poll_reads_only_new_bytes(tmp_path):
    path = tmp_path / event_name()
    scalar_file(path, steps=range(100))
    fs = CountingFS()
    store = Store(tmp_path, fs=fs)
    store.reload()
    first = fs.bytes_read
    assert first == path.stat().st_size
    store.reload()
    assert fs.bytes_read == first  # nothing new, nothing read
    spans = write(path, [scalar_event("loss", 9.0, 100)], mode="ab")
    store.reload()
    # the new record, plus the 16 bytes before it that show the file was not rewritten
    assert fs.bytes_read == first + (spans[0][1] - spans[0][0]) + 16
    assert store.scalars(".", "loss").steps[-1] == 100


def test_every_point_is_kept(tmp_path):
    scalar_file(tmp_path / event_name(), steps=range(20_000))
    store = Store(tmp_path)
    store.reload()
    s = store.scalars(".", "loss")
    assert len(s.steps) == 20_000 and s.total == 20_000 and not s.decimated
    np.testing.assert_allclose(s.values, np.arange(20_000) / 10, rtol=1e-6)


def test_resumed_run_supersedes_the_re_logged_steps_and_keeps_them(tmp_path):
    # First process logs steps 0..9, crashes; the restart from a step-5 checkpoint, in a new
    # file started after all of the first one's data, logs 5..7.
    scalar_file(tmp_path / event_name(0), steps=range(10))
    write(tmp_path / event_name(1), [version_event(2000.0)] + [
        scalar_event("loss", 100 + s, s, wall=2000.0 + s) for s in range(5, 8)])
    store = Store(tmp_path)
    store.reload()
    s = store.scalars(".", "loss")
    assert s.steps.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert s.values.tolist()[5:] == [105, 106, 107]
    [purge] = store.purges(".")
    assert (purge.tag, purge.from_step, purge.dropped) == ("loss", 5, 5)
    every = store.scalars(".", "loss", include_superseded=True)
    assert every.steps.tolist() == list(range(10)) + [5, 6, 7]
    assert every.superseded.tolist() == [False] * 5 + [True] * 5 + [False] * 3
    [restart] = store.restarts(".")
    assert (restart.reason, restart.from_step, restart.superseded) == ("resumed", 5, 5)


def test_restart_supersedes_non_scalar_series_too(tmp_path):
    buckets = np.array([[0.0, 1.0, 2.0]])
    write(tmp_path / event_name(0), [histogram_event("w", buckets, s) for s in range(4)])
    write(tmp_path / event_name(1), [histogram_event("w", buckets * 2, s, wall=2000.0 + s)
                                     for s in (2, 3)])
    store = Store(tmp_path)
    store.reload()
    points = store.series(P.KIND_HISTOGRAMS, ".", "w")
    assert [p.step for p in points] == [0, 1, 2, 3]
    assert points[-1].value[0, 2] == 4.0
    every = store.histograms(".", "w", include_superseded=True)
    assert [(p.step, p.superseded) for p in every] == [
        (0, False), (1, False), (2, True), (3, True), (2, False), (3, False)]


def test_decimation_keeps_every_spike(tmp_path):
    values = np.zeros(10_000)
    values[1234] = 50.0
    values[7777] = -30.0
    write(tmp_path / event_name(), [scalar_event("loss", float(v), i)
                                    for i, v in enumerate(values)])
    store = Store(tmp_path)
    store.reload()
    s = store.scalars(".", "loss", max_points=100)
    assert s.decimated and len(s.steps) <= 100 and s.total == 10_000
    assert s.maxs.max() == 50.0 and s.mins.min() == -30.0
    assert s.steps[-1] == 9999  # the last point is always there


def test_step_range_query_for_zoom(tmp_path):
    scalar_file(tmp_path / event_name(), steps=range(1000))
    store = Store(tmp_path)
    store.reload()
    s = store.scalars(".", "loss", step_range=(100, 199), max_points=1000)
    assert s.steps.tolist() == list(range(100, 200))


def test_legacy_and_tf2_scalars_read_alike(tmp_path):
    scalar_file(tmp_path / "a" / event_name(), form="simple")
    scalar_file(tmp_path / "b" / event_name(), form="tensor")
    store = Store(tmp_path)
    store.reload()
    a, b = store.scalars("a", "loss"), store.scalars("b", "loss")
    assert a.steps.tolist() == b.steps.tolist()
    np.testing.assert_array_equal(a.values, b.values)


def test_merged_tf1_event_with_scalar_and_histogram_keeps_file_order(tmp_path):
    # tf.compat.v1 merge_all writes one event holding every value.
    payloads = []
    for step in range(5):
        e = event_pb2.Event(step=step, wall_time=10.0 + step)
        e.summary.value.add(tag="loss", simple_value=float(step))
        h = e.summary.value.add(tag="w").histo
        h.min, h.max, h.num = 0.0, 1.0, 2.0
        h.bucket_limit.extend([0.5, 1.0])
        h.bucket.extend([1.0, 1.0])
        payloads.append(e.SerializeToString())
    # plus fast-path scalar events for the same tag, interleaved by step
    payloads.insert(3, scalar_event("loss", 2.5, 2, form="simple"))
    write(tmp_path / event_name(), payloads)
    store = Store(tmp_path)
    store.reload()
    s = store.scalars(".", "loss")
    # nothing inside one file is dropped: the re-logged step 2 is kept after the first
    assert s.steps.tolist() == [0, 1, 2, 2, 3, 4]
    assert s.values.tolist() == [0.0, 1.0, 2.0, 2.5, 3.0, 4.0]
    hist = store.series(P.KIND_HISTOGRAMS, ".", "w")[0].value
    np.testing.assert_array_equal(hist, [[0.0, 0.5, 1.0], [0.5, 1.0, 1.0]])


def test_changed_since_names_only_what_changed(tmp_path):
    scalar_file(tmp_path / "a" / event_name())
    scalar_file(tmp_path / "b" / event_name())
    store = Store(tmp_path)
    v = store.reload()
    write(tmp_path / "b" / event_name(), [scalar_event("acc", 1.0, 3)], mode="ab")
    store.reload()
    assert store.changed_since(v) == {"b": {P.KIND_SCALARS: ["acc"]}}
    assert store.changed_since(store.version) == {}


def test_new_run_appearing_later_is_found(tmp_path):
    scalar_file(tmp_path / "a" / event_name())
    store = Store(tmp_path)
    store.reload()
    scalar_file(tmp_path / "late" / event_name())
    store.reload()
    assert store.runs() == ["a", "late"]
