"""Evaluation view data: scores equal scikit-learn's on the same predictions, the confusion
heatmap is labelled and annotated, PR curves and misclassified probes come from the logs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from dashboards import evaluation_data as ev
from inspector.events import plugins as P
from inspector.store import Store

from .view_logs import CLASSES, write_trial


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-logs")
    with_predictions = write_trial(root, "a", {"lr": 0.1, "optimizer": "sgd"}, seed=1)
    without = write_trial(root, "b", {"lr": 0.3, "optimizer": "adam"}, seed=2,
                          predictions_log=False)
    store = Store(root)
    store.reload()
    return store, with_predictions, without


def test_scores_from_the_logged_matrix_equal_scikit_learn_on_the_predictions(logged):
    store, log, _ = logged
    points = ev.confusion_points(store, "a/validation")
    assert [p.step for p in points] == [1, 2, 3]
    for point in points:
        y, predicted = log.labels[point.step], log.probs[point.step].argmax(1)
        np.testing.assert_array_equal(point.value, confusion_matrix(y, predicted, labels=[0, 1, 2]))
        got = ev.scores(point.value, list(CLASSES))
        p, r, f, s = precision_recall_fscore_support(y, predicted, labels=[0, 1, 2],
                                                     zero_division=0)
        np.testing.assert_allclose(got.precision, p)
        np.testing.assert_allclose(got.recall, r)
        np.testing.assert_allclose(got.f1, f)
        np.testing.assert_array_equal(got.support, s)
        assert got.accuracy == pytest.approx((y == predicted).mean())
        assert got.baseline_random == pytest.approx(1 / 3)
        assert got.baseline_most_frequent == pytest.approx(np.bincount(y).max() / len(y))
        assert [row["class"] for row in got.rows()] == list(CLASSES)


def test_class_names_come_from_the_run_and_fall_back_to_ids(logged):
    store, _, _ = logged
    assert ev.class_labels(store, "a/validation", 3) == list(CLASSES)
    assert ev.class_labels(store, "a/validation", 4) == ["0", "1", "2", "3"]


def test_confusion_figure_has_class_axes_and_counts_or_row_shares_in_cells():
    m = np.array([[3, 1], [0, 4]])
    counts = ev.confusion_figure(m, ["x", "y"], normalised=False)
    heat = counts.data[0]
    assert list(heat.x) == ["x", "y"] and list(heat.y) == ["x", "y"]
    assert heat.text.tolist() == [["3", "1"], ["0", "4"]]
    np.testing.assert_allclose(heat.z, [[0.75, 0.25], [0, 1]])
    assert list(heat.customdata[0][1]) == [0, 1, 1]  # true 0, predicted 1, count 1
    shares = ev.confusion_figure(m, ["x", "y"], normalised=True).data[0]
    assert shares.text.tolist() == [["0.75", "0.25"], ["0.00", "1.00"]]


def test_row_share_leaves_empty_rows_at_zero():
    np.testing.assert_allclose(ev.row_share(np.array([[0, 0], [1, 3]])), [[0, 0], [0.25, 0.75]])


def test_pr_figure_has_one_curve_per_class_at_the_chosen_step(logged):
    store, _, _ = logged
    fig = ev.pr_figure(store, "a/validation", 2, list(CLASSES))
    assert [t.name for t in fig.data] == list(CLASSES)
    for trace in fig.data:
        assert np.all((np.asarray(trace.x) >= 0) & (np.asarray(trace.x) <= 1))


def test_accuracy_figure_draws_accuracy_and_both_baselines(logged):
    store, log, _ = logged
    fig = ev.accuracy_figure(store, "a/validation")
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"accuracy", "most frequent class", "random guess"}
    expected = [(log.labels[s] == log.probs[s].argmax(1)).mean() for s in (1, 2, 3)]
    np.testing.assert_allclose(by_name["accuracy"].y, expected)


def test_class_curves_follow_the_per_class_scalars(logged):
    store, log, _ = logged
    fig = ev.class_curves_figure(store, "a/validation", "recall", list(CLASSES))
    assert [t.name for t in fig.data] == list(CLASSES)
    y, predicted = log.labels[3], log.probs[3].argmax(1)
    assert fig.data[1].y[-1] == pytest.approx(((predicted == 1) & (y == 1)).sum()
                                              / (y == 1).sum())


def test_misclassified_lists_the_probes_of_a_cell_with_pictures_from_the_train_run(logged):
    store, log, _ = logged
    py, pp, pc = log.probes[2]
    wrong = [(int(t), int(p)) for t, p in zip(py, pp, strict=True) if t != p]
    assert wrong, "the fixture must misclassify some probes"
    t, p = wrong[0]
    found = ev.misclassified(store, "a/validation", 2, t, p, list(CLASSES))
    expected = [i for i in range(len(py)) if py[i] == t and pp[i] == p]
    assert [e.index for e in found] == expected
    assert all(e.image and e.image.startswith("data:image/png") for e in found)
    assert found[0].true == CLASSES[t] and found[0].predicted == CLASSES[p]
    assert found[0].confidence == pytest.approx(pc[expected[0]], abs=1e-6)


def test_misclassified_is_none_without_probe_predictions(logged):
    store, _, _ = logged
    assert ev.misclassified(store, "b/validation", 2, 0, 1, list(CLASSES)) is None


def test_evaluation_runs_are_those_with_a_confusion_matrix(logged):
    store, _, _ = logged
    assert ev.evaluation_runs(store, store.runs()) == ["a/validation", "b/validation"]
    assert P.TAG_CONFUSION in store.tags(ev.Kind.CONFUSION)["a/validation"]
