"""The smoothing is TensorBoard's debiased EMA (tensorboard/webapp/.../data_transformer.ts,
transcribed below as the oracle), and its bucket form keeps the full series' time constant."""

import math

import numpy as np
import pytest

from dashboards.smoothing import debiased_ema


def tensorboard_classic_smoothing(values, weight):
    """TensorBoard's classicSmoothing, line by line."""
    if not math.isfinite(weight):
        weight = 0
    weight = max(0, min(weight, 1))
    if all(v == values[0] for v in values):
        return list(values)
    last, num_accum, out = 0.0, 0, []
    for next_val in values:
        if not math.isfinite(next_val):
            out.append(next_val)
            continue
        last = last * weight + (1 - weight) * next_val
        num_accum += 1
        debias = 1 if weight == 1 else 1 - math.pow(weight, num_accum)
        out.append(last / debias)
    return out


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999, 1.0])
def test_matches_tensorboard_on_noisy_series(weight):
    values = np.random.default_rng(1).normal(size=500).cumsum()
    np.testing.assert_allclose(debiased_ema(values, weight),
                               tensorboard_classic_smoothing(list(values), weight), rtol=1e-12)


def test_non_finite_values_pass_through_and_do_not_advance_the_average():
    values = [1.0, float("nan"), 3.0, float("inf"), 2.0]
    got = debiased_ema(values, 0.6)
    want = tensorboard_classic_smoothing(values, 0.6)
    assert math.isnan(got[1]) and math.isinf(got[3])
    np.testing.assert_allclose(got[[0, 2, 4]], [want[0], want[2], want[4]])


def test_constant_series_is_unchanged():
    np.testing.assert_array_equal(debiased_ema([2.5] * 10, 0.9), [2.5] * 10)


def test_zero_weight_is_the_raw_series():
    values = [3.0, 1.0, 2.0]
    np.testing.assert_allclose(debiased_ema(values, 0.0), values)


def test_buckets_smooth_like_the_points_they_stand_for():
    # Buckets of constant points: weighting each bucket by its count equals smoothing the
    # expanded series and reading it at each bucket's last point.
    means, counts = [1.0, 4.0, 2.0, 3.0], [3, 1, 5, 2]
    expanded = np.repeat(means, counts)
    full = debiased_ema(expanded, 0.8)
    ends = np.cumsum(counts) - 1
    np.testing.assert_allclose(debiased_ema(means, 0.8, counts), full[ends], rtol=1e-12)


def test_counts_of_one_are_plain_tensorboard():
    values = np.random.default_rng(2).normal(size=100)
    np.testing.assert_allclose(debiased_ema(values, 0.7, np.ones(100)),
                               tensorboard_classic_smoothing(list(values), 0.7))
