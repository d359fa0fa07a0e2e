"""Downloads of scalar data: every point of the series, never the decimated view.

A card's CSV/JSON also carries the smoothed value at the card's current smoothing weight
(computed over every point, as TensorBoard defines it); the whole selection uses the same
rows as ``inspector export``.
"""

from __future__ import annotations

import csv
import io
import re

from dashboards.smoothing import debiased_ema
from inspector.export import write_scalars
from inspector.json_values import dumps, json_numbers
from inspector.kinds import Kind
from inspector.store import Store

CARD_COLUMNS = ("run", "tag", "step", "wall_time", "value", "smoothed")


def card_csv(store: Store, tag: str, runs: list[str], weight: float) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CARD_COLUMNS)
    for run in _holding(store, tag, runs):
        s = store.scalars(run, tag)
        smoothed = debiased_ema(s.values, weight)
        # repr keeps every digit of a float; CSV readers parse it back exactly.
        writer.writerows(
            (run, tag, step, repr(wall), repr(value), repr(sm))
            for step, wall, value, sm in zip(s.steps.tolist(), s.wall_times.tolist(),
                                             s.values.tolist(), smoothed.tolist(), strict=True))
    return out.getvalue()


def card_json(store: Store, tag: str, runs: list[str], weight: float) -> str:
    """{"tag", "smoothing", "runs": {run: {steps, wall_times, values, smoothed}}}; NaN and
    infinities are the strings "NaN", "Infinity", "-Infinity" (``inspector.json_values``, the
    policy of every JSON Inspector writes), so that any JSON parser reads the file."""
    doc = {"tag": tag, "smoothing": weight, "runs": {}}
    for run in _holding(store, tag, runs):
        s = store.scalars(run, tag)
        doc["runs"][run] = {
            "steps": s.steps.tolist(), "wall_times": s.wall_times.tolist(),
            "values": json_numbers(s.values),
            "smoothed": json_numbers(debiased_ema(s.values, weight)),
        }
    return dumps(doc)


def selection_export(store: Store, runs: list[str], tags: list[str], fmt: str) -> str:
    """Every point of every (run, tag) shown, as ``inspector export`` writes it (csv or
    json lines)."""
    out = io.StringIO()
    write_scalars(store, out, fmt, _exact(runs), _exact(tags))
    return out.getvalue()


def _holding(store: Store, tag: str, runs: list[str]) -> list[str]:
    """The runs that still hold the scalar ``tag`` (one may have vanished since the page
    asked)."""
    return [r for r in runs if store.has(Kind.SCALARS, r, tag)]


def _exact(names: list[str]) -> str:
    # Match nothing when nothing is selected (an empty pattern would match everything).
    return "^(?:" + "|".join(re.escape(n) for n in names) + ")$" if names else "(?!)"


def safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "data"
