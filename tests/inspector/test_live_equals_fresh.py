"""Rule 4 of the reading rules: after any sequence of appends, new files, deletions and
re-creations, the live store after its next poll equals a fresh read of the logdir."""

from __future__ import annotations

import shutil

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.store import Store
from tests.inspector.eventfiles import (
    event_name,
    histogram_event,
    scalar_event,
    series_snapshot,
    version_event,
    write,
)

RUNS = ("a", "b")
TAGS = ("loss", "acc")

op = st.one_of(
    st.tuples(st.just("append"), st.sampled_from(RUNS), st.integers(0, 2),
              st.lists(st.integers(0, 6), min_size=1, max_size=4), st.booleans()),
    st.tuples(st.just("delete_file"), st.sampled_from(RUNS), st.integers(0, 2)),
    st.tuples(st.just("delete_run"), st.sampled_from(RUNS)),
    st.tuples(st.just("rewrite"), st.sampled_from(RUNS), st.integers(0, 2),
              st.lists(st.integers(0, 6), min_size=1, max_size=3)),
    st.tuples(st.just("clock_back"), st.integers(1, 50)),
    st.tuples(st.just("poll")),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=10))
def test_live_store_after_a_poll_equals_a_fresh_read(tmp_path_factory, ops):
    root = tmp_path_factory.mktemp("logdir")
    live = Store(root)
    clock = [1000.0]
    value = [0.0]

    def tick() -> float:
        clock[0] += 1.0
        return clock[0]

    def payloads(steps: list[int], histograms: bool) -> list[bytes]:
        out = []
        for s in steps:
            value[0] += 1
            tag = TAGS[s % 2]
            out.append(scalar_event(tag, value[0], s, wall=tick()))
            if histograms:
                out.append(histogram_event("w", np.array([[0.0, 1.0, value[0]]]), s,
                                           wall=tick()))
        return out

    for o in ops:
        if o[0] == "append":
            _, run, n, steps, hist = o
            path = root / run / event_name(n)
            new = not path.exists()
            write(path, ([version_event(tick())] if new else []) + payloads(steps, hist),
                  mode="ab")
        elif o[0] == "delete_file":
            (root / o[1] / event_name(o[2])).unlink(missing_ok=True)
        elif o[0] == "delete_run":
            shutil.rmtree(root / o[1], ignore_errors=True)
        elif o[0] == "rewrite":
            _, run, n, steps = o
            write(root / run / event_name(n), [version_event(tick())] + payloads(steps, False))
        elif o[0] == "clock_back":
            clock[0] -= o[1]
        live.reload()
        fresh = Store(root)
        fresh.reload()
        assert series_snapshot(live) == series_snapshot(fresh), o
