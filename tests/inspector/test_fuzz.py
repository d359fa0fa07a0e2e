"""Random and mutated bytes never make the reader raise, hang or allocate without bound."""

from __future__ import annotations

import resource

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.events.decode import decode_event
from inspector.events.framing import scan_buffer
from inspector.store import Store
from tests.inspector.eventfiles import histogram_event, scalar_event, version_event, write

_SEED_PAYLOADS = [
    version_event(),
    scalar_event("loss", 0.5, 1),
    scalar_event("acc", 0.25, 2, form="simple"),
    histogram_event("w", np.array([[0.0, 1.0, 3.0], [1.0, 2.0, 4.0]]), 3),
]


def _valid_file_bytes(tmp_path) -> bytes:
    path = tmp_path / "seed"
    write(path, _SEED_PAYLOADS * 3)
    return path.read_bytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data):
    result = scan_buffer(data)
    assert 0 <= result.stop <= len(data)
    for start, end, _ in result.damage:
        assert 0 <= start <= end <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_event_payloads_decode_or_raise_the_one_error(payload):
    from inspector.events.decode import UndecodableEvent

    try:
        decode_event(payload, {})
    except UndecodableEvent:
        pass


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
       cut=st.integers(0, 10_000))
def test_mutated_files_load_with_bounded_memory(tmp_path_factory, mutations, cut):
    tmp = tmp_path_factory.mktemp("fuzz")
    data = bytearray(_valid_file_bytes(tmp))
    for pos, byte in mutations:
        data[pos % len(data)] = byte
    data = bytes(data[: max(cut, 1)]) if cut < len(data) else bytes(data)
    (tmp / "run").mkdir()
    (tmp / "run" / "events.out.tfevents.1.h.1.0").write_bytes(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store = Store(tmp)
    store.reload()
    store.reload()  # a second poll of an unchanged file reads nothing new and ends
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024
    for series in store.tags("scalars").get("run", []):
        assert len(store.scalars("run", series).steps) <= 12
