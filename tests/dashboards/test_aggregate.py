"""Run aggregation: grouping by regex or hparam, mean and band on the union of steps."""

import re

import numpy as np

from dashboards.aggregate import (
    aggregate,
    bucket_aggregate,
    group_runs_by_hparam,
    group_runs_by_regex,
    run_hparams,
)
from inspector.store import Store
from inspector.summary import SummaryWriter


def series(steps, values):
    steps = np.asarray(steps, dtype=np.int64)
    return steps, steps * 1.0, np.asarray(values, dtype=np.float64)


def test_mean_and_min_max_band_over_aligned_runs():
    agg = aggregate([series([0, 1, 2], [1, 2, 3]), series([0, 1, 2], [3, 4, 5]),
                     series([0, 1, 2], [2, 3, 4])], "minmax")
    np.testing.assert_allclose(agg.mean, [2, 3, 4])
    np.testing.assert_allclose(agg.lo, [1, 2, 3])
    np.testing.assert_allclose(agg.hi, [3, 4, 5])
    np.testing.assert_array_equal(agg.runs_at, [3, 3, 3])


def test_std_band_is_mean_plus_minus_population_std():
    agg = aggregate([series([0, 1], [0, 0]), series([0, 1], [2, 4])], "std")
    np.testing.assert_allclose(agg.mean, [1, 2])
    np.testing.assert_allclose(agg.lo, [0, 0])
    np.testing.assert_allclose(agg.hi, [2, 4])


def test_runs_on_different_steps_are_interpolated_and_a_short_run_stops_counting():
    agg = aggregate([series([0, 10, 20], [0, 10, 20]), series([0, 5], [2, 2])], "minmax")
    np.testing.assert_array_equal(agg.steps, [0, 5, 10, 20])
    np.testing.assert_allclose(agg.mean, [1, 3.5, 10, 20])  # step 5: (5 + 2) / 2
    np.testing.assert_array_equal(agg.runs_at, [2, 2, 1, 1])


def test_bucketed_aggregate_keeps_band_extremes():
    steps = np.arange(1000)
    vals = np.sin(steps / 50.0)
    spiky = vals.copy()
    spiky[333] = 9.0
    agg = aggregate([series(steps, vals), series(steps, spiky)], "minmax")
    b = bucket_aggregate(agg, 100)
    assert len(b["steps"]) <= 100 and b["maxs"].max() == 9.0 and b["counts"].sum() == 1000


def test_group_by_regex_uses_the_capture_group_and_leaves_unmatched_runs_alone():
    runs = ["mlp/seed0/train", "mlp/seed1/train", "cnn/seed0/train", "baseline"]
    groups = group_runs_by_regex(runs, re.compile(r"(.*)/seed\d+"))
    assert groups == {"mlp": ["mlp/seed0/train", "mlp/seed1/train"],
                      "cnn": ["cnn/seed0/train"], "baseline": ["baseline"]}


def test_group_by_hparam_reads_session_start_and_inherits_to_child_runs(tmp_path):
    for name, lr in (("a", 0.1), ("b", 0.1), ("c", 0.01)):
        with SummaryWriter(tmp_path / name) as w:
            w.hparams({"lr": lr, "opt": "adam"})
        with SummaryWriter(tmp_path / name / "train") as w:
            w.scalar("loss", 1.0, 0)
    store = Store(tmp_path)
    store.reload()
    hparams = run_hparams(store)
    assert hparams["a/train"]["lr"] == 0.1
    groups = group_runs_by_hparam(["a/train", "b/train", "c/train", "x"], hparams, "lr")
    assert groups == {"lr=0.1": ["a/train", "b/train"], "lr=0.01": ["c/train"],
                      "lr=(unset)": ["x"]}
