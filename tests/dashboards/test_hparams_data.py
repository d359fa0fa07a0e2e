"""HParams view data: trials from hook-style (parent) and add_hparams-style (child) runs,
final and best metrics, and the importance ranking."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from dashboards import hparams_data as hd
from inspector.store import Store
from inspector.summary import SummaryWriter

from .view_logs import write_trial

TORCH_LOGS = Path(__file__).parent.parent / "fixtures" / "torch_logs"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("hp-logs")
    write_trial(root, "sweep/lr=0.1", {"lr": 0.1, "optimizer": "sgd"}, seed=1, steps=2)
    write_trial(root, "sweep/lr=0.3", {"lr": 0.3, "optimizer": "sgd"}, seed=2, steps=2)
    with SummaryWriter(root / "plain") as w:  # no hparams: no trial
        w.scalar("loss", 1.0, 0)
    s = Store(root)
    s.reload()
    return s


def test_a_trial_is_the_hparams_run_with_the_runs_below_it(store):
    found = hd.trials(store)
    assert [t.name for t in found] == ["sweep/lr=0.1", "sweep/lr=0.3"]
    t = found[0]
    assert t.root == "sweep/lr=0.1"
    assert t.runs == ["sweep/lr=0.1", "sweep/lr=0.1/train", "sweep/lr=0.1/validation"]
    assert t.hparams == {"lr": 0.1, "optimizer": "sgd"}


def test_final_is_the_last_value_and_best_depends_on_the_metric_direction(store):
    t = hd.trials(store)[0]
    loss = store.scalars("sweep/lr=0.1/train", "epoch/loss").values
    assert t.final["train/epoch/loss"] == pytest.approx(loss[-1])
    assert t.best["train/epoch/loss"] == pytest.approx(loss.min())
    acc = store.scalars("sweep/lr=0.1/validation", "evaluation/accuracy").values
    assert t.best["validation/evaluation/accuracy"] == pytest.approx(acc.max())
    assert not any(m.startswith("validation/evaluation/precision/") for m in t.final)


def test_add_hparams_child_run_takes_its_parents_curves(tmp_path):
    shutil.copytree(TORCH_LOGS, tmp_path / "torch")
    s = Store(tmp_path / "torch")
    s.reload()
    [trial] = hd.trials(s)
    assert trial.name == "hparams" and trial.root == "."
    assert trial.hparams == {"optimizer": "sgd", "lr": 0.01, "layers": 2.0}
    assert "hparams/hparam/accuracy" in trial.final and "loss" in trial.final
    assert "acc_val/acc" in trial.final


def test_table_rows_hold_hparams_final_and_best_columns(store):
    found = hd.trials(store)
    hps, metrics = hd.hparam_names(found), hd.metric_names(found)
    assert hps == ["lr", "optimizer"]  # the one that varies first
    assert hd.default_metric(metrics) == "validation/evaluation/accuracy"
    rows = hd.table_rows(found, hps, metrics)
    assert rows[1]["hp:lr"] == 0.3
    assert rows[1]["final:train/epoch/loss"] == pytest.approx(found[1].final["train/epoch/loss"])


def test_importance_is_the_share_of_variance_each_hparam_explains():
    def trial(name, a, b, metric):
        return hd.Trial(name, name, [name], {"a": a, "b": b, "same": 1}, final={"m": metric})

    found = [trial("1", "x", 1.0, 0.1), trial("2", "x", 2.0, 0.1), trial("3", "y", 3.0, 0.9),
             trial("4", "y", 4.0, 0.9)]
    ranked = hd.importance(found, ["a", "b", "same"], "m")
    assert [r["hparam"] for r in ranked] == ["a", "b"]  # "same" never varies
    assert ranked[0]["eta2"] == pytest.approx(1.0)  # a alone decides m
    assert ranked[0]["spearman"] is None  # a category
    assert ranked[1]["spearman"] == pytest.approx(math.sqrt(0.8), abs=1e-3)


def test_axis_values_turn_categories_into_ticks():
    assert hd.axis_values([1, 2.5, None]) == ([1.0, 2.5, None], None, None)
    assert hd.axis_values(["b", "a", True]) == ([2, 1, 0], [0, 1, 2], ["True", "a", "b"])


def test_csv_has_one_line_per_row_and_field_names_as_header():
    text = hd.csv_text([{"run": "a", "hp:lr": 0.1, "final:m": None},
                        {"run": "b", "hp:lr": 0.3, "final:m": 0.5}])
    assert text.splitlines() == ["run,hp:lr,final:m", "a,0.1,", "b,0.3,0.5"]


def test_parallel_coordinates_take_trials_lacking_the_metric(logdir):
    # a demo logdir: trainers with different metrics side by side
    from dashboards.app import create_app
    from dashboards.hparams_data import Trial

    create_app(logdir, reload_interval=None)  # page modules register with an app
    from dashboards.pages.hparams import parallel_figure

    found = [Trial("a", "a", ["a"], {"lr": 0.1}, final={"epoch/val_accuracy": 0.9}),
             Trial("b", "b", ["b"], {"lr": 0.01}, final={"epoch/val_loss": 0.3})]
    fig = parallel_figure(found, ["lr"], "epoch/val_accuracy")
    colors = list(fig.data[0].line.color)
    assert colors[0] == 0.9 and colors[1] != colors[1]  # NaN where the metric is missing
