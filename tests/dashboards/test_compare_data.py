"""Compare view data: hparam differences, curves of a run and the runs below it, the
confusion matrix to show for a picked run."""

from __future__ import annotations

import pytest

from dashboards import compare_data as cd
from inspector.store import Store

from .view_logs import write_trial


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp-logs")
    write_trial(root, "a", {"lr": 0.1, "optimizer": "sgd"}, seed=1, steps=2)
    write_trial(root, "b", {"lr": 0.3, "optimizer": "sgd"}, seed=2, steps=2)
    s = Store(root)
    s.reload()
    return s


def test_only_differing_hparams_are_listed_by_default(store):
    names, rows = cd.hparam_differences(store, ["a", "b"])
    assert names == ["lr", "optimizer"]
    assert rows == [["lr", 0.1, 0.3]]
    _, every = cd.hparam_differences(store, ["a", "b"], only_differences=False)
    assert every == [["lr", 0.1, 0.3], ["optimizer", "sgd", "sgd"]]


def test_curves_of_a_run_include_the_runs_below_it(store):
    curves = cd.curves_of(store, "a")
    assert curves["validation/epoch/accuracy"] == ("a/validation", "epoch/accuracy")
    assert curves["train/epoch/loss"] == ("a/train", "epoch/loss")
    names = cd.curve_names(store, ["a", "b"])
    assert cd.default_curves(names) == ["validation/epoch/accuracy", "validation/epoch/loss",
                                        "train/epoch/loss", "validation/evaluation/accuracy"]
    assert names.index("validation/epoch/loss") < names.index(
        "validation/evaluation/f1/cat")  # per-class curves last


def test_curve_figure_draws_one_line_per_run(store):
    fig = cd.curve_figure(store, ["a", "b"], "train/epoch/loss", {"a": "#111111"})
    assert [t.name for t in fig.data] == ["a", "b"]
    assert fig.data[0].line.color == "#111111"


def test_confusion_of_a_trial_is_its_validation_runs_last(store):
    holder, prefix, point = cd.confusion_of(store, "a")
    assert prefix == "evaluation/"
    assert holder == "a/validation" and point.step == 2
    assert cd.confusion_of(store, "a/train") is None
