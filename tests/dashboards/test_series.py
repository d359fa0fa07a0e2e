"""Card series come from the store's per-request decimation: bounded by the pixel budget,
every spike kept, every point reachable by zooming, packed losslessly for drawing."""

import base64

import numpy as np

from dashboards.series import compile_filter, group_tags, pack_chunk, query_series


def decode(chunk, key, dtype):
    return np.frombuffer(base64.b64decode(chunk[key]), dtype=dtype)


def test_long_series_is_decimated_to_the_pixel_budget_keeping_the_spike(store):
    s = query_series(store, "exp/seed0", "loss", None, max_points=100)
    assert s.decimated and len(s.steps) <= 100 and s.total == 1000
    assert s.maxs.max() == 50.0  # the single spike at step 500 survives
    assert s.counts.sum() == 1000  # every point is in exactly one bucket
    full = store.scalars("exp/seed0", "loss")
    first = full.values[: s.counts[0]]
    assert np.isclose(s.means[0], first.mean())


def test_short_series_keeps_every_point(store):
    s = query_series(store, "exp/seed1", "acc", None, max_points=100)
    assert not s.decimated and len(s.steps) == 50 and s.total == 50


def test_zoomed_range_is_requeried_at_full_resolution(store):
    s = query_series(store, "exp/seed0", "loss", (480.0, 540.0), max_points=100)
    assert not s.decimated
    np.testing.assert_array_equal(s.steps, np.arange(480, 541))
    assert s.wall0 == store.scalars("exp/seed0", "loss").wall_times[0]  # relative time origin


def test_pack_chunk_round_trips_for_drawing():
    steps = np.arange(10, dtype=np.int64)
    chunk = pack_chunk(steps, np.linspace(0, 9, 10), np.linspace(1, 2, 10))
    assert chunk["sk"] == "i4" and chunk["n"] == 10
    np.testing.assert_array_equal(decode(chunk, "s", "<i4"), steps)
    np.testing.assert_allclose(decode(chunk, "v", "<f4"), np.linspace(1, 2, 10), rtol=1e-7)
    huge = pack_chunk(np.array([0, 2**40]), np.zeros(2), np.zeros(2))
    assert huge["sk"] == "f8" and decode(huge, "s", "<f8")[1] == 2**40


def test_tags_are_grouped_by_prefix_with_top_level_first():
    groups = group_tags(["b/y", "loss", "a/x", "b/x", "acc", "a/z/w"])
    assert groups == [("", ["acc", "loss"]), ("a", ["a/x", "a/z/w"]), ("b", ["b/x", "b/y"])]


def test_filter_is_a_case_insensitive_regex_or_plain_text_when_invalid():
    pattern, error = compile_filter("^LO")
    assert pattern.search("loss") and not error
    pattern, error = compile_filter("loss[")
    assert pattern.search("my loss[1]") and "not a regular expression" in error
    assert compile_filter("") == (None, "")
