"""Downloads carry every point of the series, never the decimated view."""

import csv
import io
import json

import numpy as np

from dashboards.downloads import card_csv, card_json, selection_export
from dashboards.series import query_series
from dashboards.smoothing import debiased_ema


def test_card_csv_has_every_point_even_when_the_chart_is_decimated(store):
    runs = ["exp/seed0", "exp/seed1"]
    assert query_series(store, "exp/seed0", "loss", None, 100).decimated
    rows = list(csv.DictReader(io.StringIO(card_csv(store, "loss", runs, 0.6))))
    assert len(rows) == 2000
    mine = [r for r in rows if r["run"] == "exp/seed0"]
    full = store.scalars("exp/seed0", "loss")
    assert [int(r["step"]) for r in mine] == full.steps.tolist()
    assert [float(r["value"]) for r in mine] == full.values.tolist()  # exact, via repr
    np.testing.assert_allclose([float(r["smoothed"]) for r in mine],
                               debiased_ema(full.values, 0.6))


def test_card_json_is_strict_json_with_every_point(store):
    doc = json.loads(card_json(store, "acc", ["exp/seed2"], 0.0))
    assert doc["tag"] == "acc" and len(doc["runs"]["exp/seed2"]["steps"]) == 50
    assert doc["runs"]["exp/seed2"]["smoothed"] == doc["runs"]["exp/seed2"]["values"]


def test_selection_export_covers_exactly_the_shown_runs_and_tags(store):
    rows = list(csv.DictReader(io.StringIO(
        selection_export(store, ["exp/seed0", "exp/seed2"], ["acc"], "csv"))))
    assert len(rows) == 100 and {r["run"] for r in rows} == {"exp/seed0", "exp/seed2"}
    assert selection_export(store, [], ["acc"], "csv").strip() == "run,tag,step,wall_time,value"
