"""The run picker's per-run badge: damaged, skipped and undecodable records are visible in
the dashboard, not only in ``inspector info`` (issue 15, rule 2)."""

from __future__ import annotations

from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from dashboards import state
from dashboards.components.run_picker import health_badge
from inspector.store import Store


def test_a_run_with_undecodable_values_gets_a_badge_saying_why(tmp_path):
    for run, bad in (("ok", False), ("hurt", True)):
        w = EventFileWriter(str(tmp_path / run))
        for s in range(3):
            summary = scalar_pb("loss", float(s))
            if bad:
                summary.value[0].tensor.tensor_shape.dim.add(size=4)
            w.add_event(event_pb2.Event(step=s, wall_time=1.0 + s, summary=summary))
        w.close()
    with (tmp_path / "hurt" / "events.out.tfevents.9.h.1.0").open("ab") as f:
        f.write(b"\x00" * 40)  # bytes with no valid record header
    store = Store(tmp_path)
    store.reload()
    with state.inspecting(store):
        assert health_badge("ok") == []
        assert health_badge("gone") == []
        [badge] = health_badge("hurt")
    assert badge.children.startswith("⚠")
    assert "3 values not decoded" in badge.title and "tag 'loss'" in badge.title
