"""What the samples page shows: what trainers log under ``samples/`` (``plugins.TAG_SAMPLES``):
pictures (autoencoder and RBM inputs beside their reconstructions, generated images) and
text (an LSTM's samples, one tag per temperature).

Text samples of a run read best as one table, epochs down and tags (temperatures) across;
pictures as step cards. Never imports Dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dashboards.evaluation_data import points_of
from inspector.events import plugins as P
from inspector.kinds import Kind
from inspector.store import Store

MAX_ROWS = 100  # epochs shown in a text table (the last ones)
MAX_CHARS = 2000  # characters of one sample shown


def sample_tags(store: Store, kind: str) -> dict[str, list[str]]:
    """{run: [tags under samples/]} of ``kind``; runs without any left out."""
    out = {}
    for run, tags in store.tags(kind).items():
        mine = [t for t in tags if t.startswith(P.TAG_SAMPLES)]
        if mine:
            out[run] = mine
    return out


def _number_in(tag: str) -> float:
    m = re.search(r"(\d+(?:\.\d+)?)(?!.*\d)", tag)
    return float(m.group(1)) if m else float("inf")


def column_order(tags: list[str]) -> list[str]:
    """Tags ordered by the last number in them (temperature_0.5 before temperature_1.0),
    then by name."""
    return sorted(tags, key=lambda t: (_number_in(t), t))


def as_text(value) -> str:
    """A logged text value (a string tensor of any shape) as one string, lines joined."""
    array = np.asarray(value, dtype=object).reshape(-1)
    text = "\n".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                     for v in array)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + " …"


@dataclass
class TextTable:
    """A run's text samples: ``columns`` (tags), ``rows`` of (step, [text per column])."""

    run: str
    columns: list[str]
    rows: list[tuple[int, list[str]]]


def text_table(store: Store, run: str, tags: list[str], max_rows: int = MAX_ROWS) -> TextTable:
    """The samples of ``tags`` of ``run``, one row per logged step (the last ``max_rows``),
    "" where a tag has nothing at that step."""
    columns = column_order(tags)
    by_step: dict[int, dict[str, str]] = {}
    for tag in columns:
        for point in points_of(store, Kind.TEXT, run, tag):
            by_step.setdefault(point.step, {})[tag] = as_text(point.value)
    steps = sorted(by_step)[-max_rows:]
    return TextTable(run, columns, [(s, [by_step[s].get(t, "") for t in columns])
                                    for s in steps])


def short_name(tag: str) -> str:
    return tag[len(P.TAG_SAMPLES):] if tag.startswith(P.TAG_SAMPLES) else tag
