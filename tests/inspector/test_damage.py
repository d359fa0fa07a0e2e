"""Damaged, truncated and hostile event files: every intact record is still read, and the
damage is reported per run."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from inspector.store import Store
from tests.inspector.eventfiles import event_name, scalar_event, scalar_file, write


def _load(logdir):
    store = Store(logdir)
    store.reload()
    return store


def _steps(store, run=".", tag="loss"):
    return store.scalars(run, tag).steps.tolist()


def _patch(path, offset, data: bytes):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def test_truncated_tail_is_read_on_next_poll(tmp_path):
    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(5))
    full = path.read_bytes()
    cut = spans[-1][0] + 7  # inside the last record's header
    path.write_bytes(full[:cut])
    store = _load(tmp_path)
    assert _steps(store) == [0, 1, 2, 3]
    [pending] = store.damage()["."]
    assert pending.reason == "pending" and pending.start == spans[-1][0]
    path.write_bytes(full)  # the writer finishes the record
    store.reload()
    assert _steps(store) == [0, 1, 2, 3, 4]
    assert store.damage() == {}


def test_record_cut_inside_its_data_waits_without_error(tmp_path):
    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(3))
    full = path.read_bytes()
    path.write_bytes(full[: spans[-1][1] - 3])
    store = _load(tmp_path)
    assert _steps(store) == [0, 1]
    with open(path, "ab") as f:
        f.write(full[spans[-1][1] - 3 :])
    store.reload()
    assert _steps(store) == [0, 1, 2]


def test_bad_data_crc_skips_only_that_record(tmp_path):
    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(6))
    start, end = spans[3]  # step 2
    _patch(path, start + 14, b"\xff")  # a byte of the payload
    store = _load(tmp_path)
    assert _steps(store) == [0, 1, 3, 4, 5]
    [d] = store.damage()["."]
    assert (d.start, d.end, d.reason) == (start, end, "data_crc")


def test_bad_length_crc_resyncs_at_next_record(tmp_path):
    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(6))
    start, end = spans[2]  # step 1
    _patch(path, start + 8, b"\x00\x00\x00\x00")  # the length's CRC
    store = _load(tmp_path)
    assert _steps(store) == [0, 2, 3, 4, 5]
    [d] = store.damage()["."]
    assert (d.start, d.end, d.reason) == (start, end, "length_crc")


def test_absurd_length_with_valid_crc_is_not_allocated_and_later_records_are_read(tmp_path):
    from inspector.events.framing import masked_crc32c

    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(6))
    start, _ = spans[2]
    header = struct.pack("<Q", 1 << 60)
    _patch(path, start, header + struct.pack("<I", masked_crc32c(header)))
    store = _load(tmp_path)
    assert _steps(store) == [0, 2, 3, 4, 5]
    [d] = store.damage()["."]
    assert d.start == start and d.reason == "length_crc"


def test_garbage_between_records_is_skipped(tmp_path):
    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(4))
    data = path.read_bytes()
    junk = bytes(range(256)) * 3
    cut = spans[2][1]
    path.write_bytes(data[:cut] + junk + data[cut:])
    store = _load(tmp_path)
    assert _steps(store) == [0, 1, 2, 3]
    [d] = store.damage()["."]
    assert (d.start, d.end) == (cut, cut + len(junk))


def test_empty_file_is_a_run_with_nothing_in_it(tmp_path):
    (tmp_path / event_name()).write_bytes(b"")
    store = _load(tmp_path)
    assert store.runs() == ["."]
    assert store.kinds(".") == {}
    assert store.damage() == {}


def test_non_event_file_named_like_one_is_reported_not_raised(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / event_name()).write_text("this is not an event file\n" * 100)
    scalar_file(tmp_path / "b" / event_name(), steps=range(3))
    store = _load(tmp_path)
    assert _steps(store, "b") == [0, 1, 2]
    damage = store.damage()
    assert list(damage) == ["a"]
    assert damage["a"][0].reason == "length_crc"
    assert damage["a"][0].start == 0


def test_crc_valid_record_that_is_not_an_event_is_reported(tmp_path):
    path = tmp_path / event_name()
    spans = write(path, [scalar_event("loss", 0.0, 0), b"\xff\xff\xff\xff", scalar_event(
        "loss", 1.0, 1)])
    store = _load(tmp_path)
    assert _steps(store) == [0, 1]
    [d] = store.damage()["."]
    assert (d.start, d.end, d.reason) == (spans[1][0], spans[1][1], "undecodable")


def test_unreadable_file_is_reported_and_others_still_load(tmp_path):
    # A dangling link named like an event file: listed, but any read fails (even as root).
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / event_name()).symlink_to(tmp_path / "missing")
    scalar_file(tmp_path / "b" / event_name(), steps=range(2))
    store = _load(tmp_path)
    assert _steps(store, "b") == [0, 1]
    assert store.damage()["a"][0].reason == "unreadable"


def test_hostile_histogram_shape_does_not_allocate(tmp_path):
    from inspector.events import plugins as P
    from inspector.events.proto import event_pb2

    event = event_pb2.Event(step=1, wall_time=1.0)
    v = event.summary.value.add(tag="h")
    v.metadata.plugin_data.plugin_name = P.HISTOGRAMS
    v.tensor.dtype = 2
    for size in (1 << 40, 3):
        v.tensor.tensor_shape.dim.add().size = size
    v.tensor.double_val.append(1.0)
    path = tmp_path / event_name()
    write(path, [event.SerializeToString(), scalar_event("loss", 1.0, 1)])
    store = _load(tmp_path)
    assert _steps(store) == [1]
    assert not store.has("histograms", ".", "h")
    assert any("too large" in e for e in store.decode_errors("."))


@pytest.mark.parametrize("chunk", [64, 200, 1 << 20])
def test_damage_is_found_whatever_the_read_chunk_size(tmp_path, monkeypatch, chunk):
    import inspector.logdir as logdir

    monkeypatch.setattr(logdir, "CHUNK_SIZE", chunk)
    path = tmp_path / event_name()
    spans = scalar_file(path, steps=range(40))
    _patch(path, spans[10][0] + 8, b"\0\0\0\0")
    _patch(path, spans[20][0] + 14, b"\xff")
    store = Store(tmp_path)
    for _tail_chunk in (chunk,):
        store.reload()
    expected = [s for s in range(40) if s not in (9, 19)]
    assert _steps(store) == expected
    assert np.allclose(store.scalars(".", "loss").values, np.array(expected) / 10)
