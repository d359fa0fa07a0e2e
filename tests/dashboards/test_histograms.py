"""Distribution bands equal TensorBoard's compressor; re-binning conserves counts."""

import numpy as np
import pytest
from tensorboard.plugins.distribution import compressor

from dashboards.histograms import NORMAL_BPS, percentiles, pick_steps, rebin, shared_edges


def tf_like_histogram(values, k=30):
    counts, edges = np.histogram(values, bins=k)
    return np.stack([edges[:-1], edges[1:], counts], axis=1).astype(np.float64)


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_equal_tensorboards_compress_histogram(seed):
    rng = np.random.default_rng(seed)
    h = tf_like_histogram(rng.standard_t(3, size=2000))
    h[rng.integers(0, 30, 5), 2] = 0  # empty buckets take the compressor's skip path
    want = [v for _, v in compressor.compress_histogram(h.tolist(), NORMAL_BPS)]
    np.testing.assert_allclose(percentiles(h), want, rtol=1e-12)


def test_empty_and_single_bucket_histograms():
    np.testing.assert_array_equal(percentiles(np.zeros((0, 3))), np.zeros(9))
    single = np.array([[1.0, 1.0, 7.0]])
    want = [v for _, v in compressor.compress_histogram(single.tolist(), NORMAL_BPS)]
    np.testing.assert_allclose(percentiles(single), want)


def test_rebin_conserves_the_count_and_places_point_masses():
    h = tf_like_histogram(np.random.default_rng(0).normal(size=1000))
    edges = shared_edges([h], 17)
    assert rebin(h, edges).sum() == pytest.approx(1000)
    point = np.array([[0.25, 0.25, 4.0]])
    out = rebin(point, np.linspace(0, 1, 5))
    np.testing.assert_array_equal(out, [0, 4, 0, 0])


def test_pick_steps_keeps_first_and_last_and_every_step_when_few():
    assert list(pick_steps(5, 40)) == [0, 1, 2, 3, 4]
    picked = pick_steps(1000, 40)
    assert picked[0] == 0 and picked[-1] == 999 and len(picked) == 40
