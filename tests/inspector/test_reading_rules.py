"""The reading rules of issue 15, each on files written by a real writer (tensorboardX, or
TensorBoard's own EventFileWriter with the TF2 summary protos tf.summary writes), with the
right value of the shared case it comes from (``../shared/cases/<case>/expected.json``).

1. nothing inside a file is dropped; simultaneous files merge; a restart supersedes, keeps;
2. each value's own metadata decides its kind; decode errors are counted, never silent;
3. every JSON output is valid JSON with non-finite values as strings.
"""

from __future__ import annotations

import json
import math
import os
import time

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.histogram.summary_v2 import histogram_pb
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboardX import SummaryWriter

from inspector import cli
from inspector.export import read_scalars
from inspector.kinds import Kind
from inspector.store import Store, UnknownSeries


def _points(store: Store, run: str, tag: str, **kw) -> list[list]:
    s = store.scalars(run, tag, **kw)
    return [[int(a), float(b)] for a, b in zip(s.steps, s.values, strict=True)]


def _load(logdir) -> Store:
    store = Store(logdir)
    store.reload()
    return store


def test_repeated_steps_in_one_file_are_all_kept_in_file_order(tmp_path):
    # shared case dup_steps: add_* inside the batch loop with global_step=epoch
    w = SummaryWriter(str(tmp_path / "run"))
    for epoch in range(3):
        for batch in range(4):
            w.add_scalar("loss", 10 * epoch + batch, epoch)
            w.add_text("samples", f"epoch {epoch} sample {batch}", epoch)
            w.add_image("pred", np.full((3, 4, 4), 40 * batch, np.uint8), epoch)
    w.close()
    store = _load(tmp_path)
    assert _points(store, "run", "loss") == [[e, 10.0 * e + b] for e in range(3)
                                             for b in range(4)]
    steps = [e for e in range(3) for _ in range(4)]
    assert [p.step for p in store.texts("run", "samples/text_summary")] == steps
    assert [p.step for p in store.images("run", "pred")] == steps
    assert store.purges() == [] and store.restarts() == []


def test_step_counter_reset_inside_one_file_keeps_both_phases(tmp_path):
    w = SummaryWriter(str(tmp_path / "run"))
    for phase in range(2):
        for s in range(5):
            w.add_scalar("loss", 100 * phase + s, s)
    w.close()
    store = _load(tmp_path)
    assert _points(store, "run", "loss") == [[s, 100.0 * p + s] for p in range(2)
                                             for s in range(5)]
    assert store.scalars("run", "loss", step_range=(3, 4)).steps.tolist() == [3, 4, 3, 4]


def test_two_writers_on_one_run_are_merged(tmp_path):
    # shared case two_writers: even steps in one file, odd steps in another, written at once
    d = str(tmp_path / "run")
    w1 = SummaryWriter(d, filename_suffix=".a")
    w2 = SummaryWriter(d, filename_suffix=".b")
    for s in range(6):
        w = w1 if s % 2 == 0 else w2
        w.add_scalar("loss", 100.0 + s, s)
        w.flush()
    w1.close()
    w2.close()
    assert len(os.listdir(d)) == 2
    store = _load(tmp_path)
    assert _points(store, "run", "loss") == [[s, 100.0 + s] for s in range(6)]
    assert store.restarts() == []


def _resumed_logdir(tmp_path):
    """A run logged steps 0..9, was killed, and resumed from its step-5 checkpoint."""
    d = str(tmp_path / "run")
    w = SummaryWriter(d, filename_suffix=".first")
    for s in range(10):
        w.add_scalar("loss", float(s), s, walltime=1000.0 + s)
    w.close()
    w = SummaryWriter(d, filename_suffix=".second")
    for s in range(5, 8):
        w.add_scalar("loss", 100.0 + s, s)
    w.close()


def test_resumed_run_supersedes_earlier_points_and_export_shows_them_on_request(tmp_path,
                                                                                capsys):
    _resumed_logdir(tmp_path)
    store = _load(tmp_path)
    assert _points(store, "run", "loss") == [[s, float(s)] for s in range(5)] + \
        [[s, 100.0 + s] for s in range(5, 8)]
    every = store.scalars("run", "loss", include_superseded=True)
    assert every.superseded.sum() == 5 and len(every.steps) == 13
    [restart] = store.restarts("run")
    assert (restart.from_step, restart.superseded, restart.series) == (5, 5, 1)

    assert cli.main(["info", str(tmp_path)]) == 0
    assert "restart:" in capsys.readouterr().out
    cli.main(["export", str(tmp_path), "--format", "json"])
    assert len(capsys.readouterr().out.splitlines()) == 8
    cli.main(["export", str(tmp_path), "--format", "csv", "--include-superseded"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(",superseded") and len(lines) == 14
    assert sum(line.endswith(",True") for line in lines) == 5
    frame = read_scalars(tmp_path, include_superseded=True)
    assert len(frame) == 13 and int(frame["superseded"].sum()) == 5
    assert len(read_scalars(tmp_path)) == 8


def test_session_log_start_supersedes_what_came_before_at_or_above_its_step(tmp_path):
    w = EventFileWriter(str(tmp_path / "run"))
    for s in range(6):
        w.add_event(event_pb2.Event(step=s, wall_time=10.0 + s, summary=scalar_pb("x", s)))
    w.add_event(event_pb2.Event(step=3, wall_time=20.0, session_log=event_pb2.SessionLog(
        status=event_pb2.SessionLog.START)))
    for s in range(3, 5):
        w.add_event(event_pb2.Event(step=s, wall_time=21.0 + s, summary=scalar_pb("x", -s)))
    w.close()
    store = _load(tmp_path)
    assert _points(store, "run", "x") == [[0, 0.0], [1, 1.0], [2, 2.0], [3, -3.0], [4, -4.0]]
    [restart] = store.restarts("run")
    assert (restart.reason, restart.from_step, restart.superseded) == ("session_start", 3, 3)


def test_scalar_and_histogram_under_one_tag_are_both_kept(tmp_path):
    # shared case same_tag_scalar_hist: TF2 summaries, in both orders
    rng = np.random.RandomState(0)
    for run, order in (("scalar_first", "sh"), ("hist_first", "hs")):
        w = EventFileWriter(str(tmp_path / run))
        for s in range(3):
            for k in order:
                summary = scalar_pb("grad_norm", 1.0 + s) if k == "s" else \
                    histogram_pb("grad_norm", rng.randn(100).astype(np.float32))
                w.add_event(event_pb2.Event(step=s, wall_time=time.time(), summary=summary))
        w.close()
    store = _load(tmp_path)
    for run in ("scalar_first", "hist_first"):
        assert _points(store, run, "grad_norm") == [[0, 1.0], [1, 2.0], [2, 3.0]]
        hist = store.histograms(run, "grad_norm")
        assert [p.step for p in hist] == [0, 1, 2]
        assert [float(p.value[:, 2].sum()) for p in hist] == [100.0] * 3
        assert store.decode_errors(run) == []
        assert store.tag_info(run, "grad_norm", Kind.HISTOGRAMS).plugin == "histograms"


def test_tf1_metadata_on_first_event_only_reads_as_with_metadata_everywhere(tmp_path):
    # TF1's FileWriter clears a tag's metadata after its first value; the scanner's fast path
    # takes the later values when the first metadata says scalars.
    for run, strip in (("every", False), ("first", True)):
        w = EventFileWriter(str(tmp_path / run))
        seen = set()
        for s in range(50):
            for tag in ("a", "b"):
                summary = scalar_pb(tag, s * (1 if tag == "a" else -1))
                if strip and tag in seen:
                    summary.value[0].ClearField("metadata")
                seen.add(tag)
                w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=summary))
        w.close()
    store = _load(tmp_path)
    for tag in ("a", "b"):
        assert _points(store, "first", tag) == _points(store, "every", tag)
        assert len(_points(store, "first", tag)) == 50
    assert store.kinds("first") == {Kind.SCALARS: ["a", "b"]}


def test_tensor_without_any_metadata_is_a_generic_tensor_not_a_scalar(tmp_path):
    w = EventFileWriter(str(tmp_path / "run"))
    for s in range(3):
        summary = scalar_pb("t", float(s))
        summary.value[0].ClearField("metadata")
        w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=summary))
    w.close()
    store = _load(tmp_path)
    assert not store.has(Kind.SCALARS, "run", "t")
    assert [float(p.value) for p in store.tensors("run", "t")] == [0.0, 1.0, 2.0]


def test_decode_errors_are_counted_per_reason_and_reported_by_info(tmp_path, capsys):
    w = EventFileWriter(str(tmp_path / "run"))
    for s in range(4):
        bad = scalar_pb("bad", 1.0)
        bad.value[0].tensor.tensor_shape.dim.add(size=3)  # a "scalar" of shape [3], 1 value
        w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=bad))
        w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=scalar_pb("ok", s)))
    w.close()
    store = _load(tmp_path)
    health = store.health("run")
    assert health.decode_errors == 4 and not health.ok
    [(reason, count)] = health.reasons.items()
    assert count == 4 and "'bad'" in reason
    assert cli.main(["info", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "decode errors: 4" in out and "4 x tag 'bad'" in out


def test_export_json_writes_non_finite_values_as_strings(tmp_path, capsys):
    # shared case json_nan
    w = SummaryWriter(str(tmp_path / "run"))
    for s, v in enumerate([0.5, math.nan, math.inf, -math.inf, 0.25]):
        w.add_scalar("loss", v, s)
    w.close()

    def strict(token):
        raise ValueError(token)

    assert cli.main(["export", str(tmp_path), "--format", "json"]) == 0
    rows = [json.loads(line, parse_constant=strict)
            for line in capsys.readouterr().out.splitlines()]
    assert [r["value"] for r in rows] == [0.5, "NaN", "Infinity", "-Infinity", 0.25]


def test_unknown_run_or_tag_raises_a_clear_error(tmp_path):
    _resumed_logdir(tmp_path)
    store = _load(tmp_path)
    with pytest.raises(UnknownSeries, match="no run 'nope'"):
        store.scalars("nope", "loss")
    with pytest.raises(UnknownSeries, match="no histograms tag 'loss'"):
        store.histograms("run", "loss")
    assert store.has(Kind.SCALARS, "run", "loss") and not store.has("images", "run")
    assert store.graphs("run") == []


def test_last_values_give_each_runs_last_min_and_max(tmp_path):
    for i in range(3):
        w = SummaryWriter(str(tmp_path / f"r{i}"))
        for s, v in enumerate([3.0, 1.0 + i, math.nan, 2.0]):
            w.add_scalar("loss", v, s)
        w.close()
    store = _load(tmp_path)
    table = store.last_values(Kind.SCALARS, tags=["loss"], runs=["r0", "r2", "gone"])
    assert sorted(table) == ["r0", "r2"]
    lv = table["r2"]["loss"]
    assert (lv.step, lv.value, lv.count, lv.min, lv.min_step, lv.max, lv.max_step) == \
        (3, 2.0, 4, 2.0, 3, 3.0, 0)
    assert store.last_values(tags=["loss"])["r0"]["loss"].min == 1.0


def test_indexed_tensors_read_as_decoded_ones_and_bad_ones_still_report(tmp_path):
    # Single-tensor events are indexed by the scanner and converted on first use; a shape
    # the plugin does not allow, or content that does not fill the shape, is still reported.
    w = EventFileWriter(str(tmp_path / "run"))
    rng = np.random.RandomState(1)
    for s in range(3):
        w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=histogram_pb(
            "h", rng.randn(50).astype(np.float32))))
        bad = histogram_pb("bad_shape", rng.randn(50).astype(np.float32))
        del bad.value[0].tensor.tensor_shape.dim[1]
        bad.value[0].tensor.tensor_shape.dim[0].size *= 3
        w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=bad))
        short = histogram_pb("short", rng.randn(50).astype(np.float32))
        short.value[0].tensor.tensor_content = short.value[0].tensor.tensor_content[:-8]
        w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=short))
    w.close()
    store = _load(tmp_path)
    hist = store.histograms("run", "h")
    assert [p.step for p in hist] == [0, 1, 2]
    assert all(p.value.shape[1] == 3 and p.value[:, 2].sum() == 50 for p in hist)
    assert not store.has(Kind.HISTOGRAMS, "run", "bad_shape")
    assert not store.has(Kind.HISTOGRAMS, "run", "short")
    reasons = store.health("run").reasons
    assert reasons == {"tag 'bad_shape': histogram tensor has shape (90,), expected [k, 3]": 3,
                       "tag 'short': tensor_content has 712 bytes, shape (30, 3) needs 720": 3}
