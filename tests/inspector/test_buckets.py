"""One equal-width bucketing rule: extents, means and counts per bucket, non-finite values
kept out of the extents and counted apart."""

import numpy as np

from inspector.buckets import bucket, bucket_ids


def test_every_point_lands_in_one_bucket_of_equal_width():
    steps = np.arange(1000)
    b = bucket(steps, np.sin(steps / 30.0), 100)
    assert len(b.first) == 100 and b.counts.sum() == 1000
    np.testing.assert_array_equal(b.first[1:], b.last[:-1] + 1)  # contiguous, no overlap
    assert (b.counts == 10).all()


def test_min_max_mean_last_and_first_wall_of_each_bucket():
    x = np.array([0, 1, 2, 3, 4, 5])
    values = np.array([3.0, -1.0, 2.0, 8.0, 5.0, 6.0])
    walls = np.arange(6) * 10.0 + 100
    b = bucket(x, values, 2, walls=walls)
    np.testing.assert_array_equal(b.mins, [-1.0, 5.0])
    np.testing.assert_array_equal(b.maxs, [3.0, 8.0])
    np.testing.assert_allclose(b.means, [4.0 / 3, 19.0 / 3])
    np.testing.assert_array_equal(b.last_values, [2.0, 6.0])
    np.testing.assert_array_equal(b.first_walls, [100.0, 130.0])


def test_non_finite_values_are_left_out_of_extents_and_counted_apart():
    x = np.arange(6)
    values = np.array([1.0, np.nan, np.inf, -np.inf, np.nan, np.nan])
    b = bucket(x, values, 2)
    np.testing.assert_array_equal(b.mins[:1], [1.0])
    np.testing.assert_array_equal(b.maxs[:1], [1.0])
    assert np.isnan(b.mins[1]) and np.isnan(b.maxs[1]) and np.isnan(b.means[1])
    np.testing.assert_array_equal(b.nonfinite, [2, 3])
    np.testing.assert_array_equal(b.finite, [1, 0])


def test_a_band_series_keeps_its_own_extents():
    x = np.arange(4)
    b = bucket(x, np.zeros(4), 1, lo_values=np.array([-1.0, -3.0, 0, 0]),
               hi_values=np.array([2.0, 0, 0, 7.0]))
    assert b.mins[0] == -3.0 and b.maxs[0] == 7.0


def test_empty_and_single_point_series():
    e = bucket(np.empty(0), np.empty(0), 10)
    assert len(e.first) == 0 and len(e.means) == 0
    one = bucket(np.array([5]), np.array([2.0]), 10)
    assert one.counts.tolist() == [1] and one.last_values.tolist() == [2.0]
    assert bucket_ids(np.array([7, 7, 7]), 4).tolist() == [0, 0, 0]
