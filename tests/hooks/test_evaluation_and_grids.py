"""The numpy halves of the hook: classification scores and the pictures beside raw tensors."""

from __future__ import annotations

import numpy as np
import pytest

from inspector import evaluation, grids


def test_report_counts_per_class_scores_and_baselines():
    labels = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([0, 0, 1, 1, 1, 1])
    r = evaluation.classification_report(labels, predicted, 3)
    assert r.confusion.tolist() == [[2, 1, 0], [0, 2, 0], [0, 1, 0]]
    assert r.precision.tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert r.recall.tolist() == pytest.approx([2 / 3, 1.0, 0.0])
    assert r.f1[0] == pytest.approx(0.8) and r.f1[2] == 0.0
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.baseline_random == pytest.approx(1 / 3)
    assert r.baseline_most_frequent == pytest.approx(3 / 6)


@pytest.mark.parametrize("y_true, y_pred, labels", [
    ([0, 2], [[0.9, 0.05, 0.05], [0.1, 0.1, 0.8]], [0, 2]),            # sparse, softmax
    ([[1, 0], [0, 1]], [[0.7, 0.3], [0.2, 0.8]], [0, 1]),                # one-hot
    ([0, 1], [[0.2], [0.9]], [0, 1]),                                    # one sigmoid unit
    ([0, 1], [[-3.0], [2.0]], [0, 1]),                                   # one logit
    ([1, 0], [[-1.0, 4.0], [5.0, 0.0]], [1, 0]),                         # logits
])
def test_class_scores_accepts_the_usual_target_and_output_forms(y_true, y_pred, labels):
    found = evaluation.class_scores(np.array(y_true), np.array(y_pred))
    assert found is not None
    got, probs = found
    assert got.tolist() == labels
    assert np.allclose(probs.sum(axis=1), 1) and probs.argmax(axis=1).tolist() == labels


def test_regression_targets_are_not_evaluated():
    assert evaluation.class_scores(np.array([0.3, 1.7]), np.array([[0.2], [1.5]])) is None


def test_kernel_grid_shows_every_output_channel_of_any_count():
    for out in (1, 5, 7, 16):
        kernel = np.random.default_rng(0).normal(size=(3, 3, 2, out))
        picture = grids.kernel_grid(kernel)
        cell = 3 * (grids.MIN_TILE // 3) + 1  # a 3x3 tile magnified, plus its 1-pixel gap
        assert picture.shape[1] == out * cell + 1  # one column per output channel
        assert picture.shape[0] == 2 * cell + 1  # one row per input channel
        assert picture.dtype == np.uint8 and picture.shape[2] == 3


def test_diverging_colours_zero_white_and_signs_apart():
    rgb = grids.diverging(np.array([-1.0, 0.0, 1.0]))
    assert rgb[1].tolist() == [255, 255, 255]
    assert rgb[0, 2] > rgb[0, 0] and rgb[2, 0] > rgb[2, 2]  # blue negative, red positive


def test_feature_map_grid_rows_are_probes_and_columns_channels():
    maps = np.random.default_rng(0).random((4, 6, 6, 3))
    picture = grids.feature_map_grid(maps)
    zoom = 4  # 6-pixel maps magnified to at least MIN_TILE = 24
    assert picture.shape[:2] == (4 * (6 * zoom + 1) + 1, 3 * (6 * zoom + 1) + 1)
    assert grids.feature_map_grid(np.ones((4, 10))).shape[0] == 4 * (grids.MIN_TILE + 1) + 1
