"""Scalars out of a logdir as rows: CSV, JSON lines, or a pandas DataFrame.

Reads through ``inspector.store`` only; pandas is imported only by ``read_scalars``. Points
superseded at a restart are left out unless asked for (then with a ``superseded`` column);
JSON follows ``inspector.json_values`` (NaN and infinities as the strings "NaN", "Infinity",
"-Infinity").
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from typing import IO

from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.json_values import json_number
from inspector.store import Store

COLUMNS = ("run", "tag", "step", "wall_time", "value")
SUPERSEDED = "superseded"


def scalar_series(store: Store, run_pattern: str | None = None, tag_pattern: str | None = None,
                  *, flags: tuple[str, str] = ("--runs", "--tags"),
                  include_superseded: bool = False) -> Iterator[tuple]:
    """(run, tag, ScalarSeries) for every scalar series whose run and tag match, in name
    order. ``flags`` name the patterns in error messages."""
    run_re = _compile(run_pattern, flags[0])
    tag_re = _compile(tag_pattern, flags[1])
    for run, tags in sorted(store.tags(P.KIND_SCALARS).items()):
        if run_re and not run_re.search(run):
            continue
        for tag in tags:
            if tag_re and not tag_re.search(tag):
                continue
            yield run, tag, store.scalars(run, tag, include_superseded=include_superseded)


def scalar_rows(store: Store, run_pattern: str | None = None, tag_pattern: str | None = None,
                include_superseded: bool = False) -> Iterator[tuple]:
    """Every scalar point as (run, tag, step, wall_time, value), runs and tags in name order;
    with ``include_superseded``, (run, tag, step, wall_time, value, superseded)."""
    for run, tag, s in scalar_series(store, run_pattern, tag_pattern,
                                     include_superseded=include_superseded):
        columns = [s.steps.tolist(), s.wall_times.tolist(), s.values.tolist()]
        if include_superseded:
            columns.append(s.superseded.tolist())
        for row in zip(*columns, strict=True):
            yield (run, tag, *row)


def _compile(pattern: str | None, flag: str):
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as err:
        raise InspectorError(
            f"{flag} {pattern!r} is not a valid regular expression: {err}") from None


def write_scalars(store: Store, out: IO[str], fmt: str, run_pattern: str | None = None,
                  tag_pattern: str | None = None, include_superseded: bool = False) -> int:
    """Write rows to ``out`` as ``csv`` or ``json`` (one object per line; values that are
    not finite as "NaN", "Infinity", "-Infinity"). With ``include_superseded``, points
    superseded at a restart are written too, with a ``superseded`` column (true/false).
    Returns rows written."""
    if fmt not in ("csv", "json"):
        raise InspectorError(f"unknown export format {fmt!r}; use csv or json")
    rows = scalar_rows(store, run_pattern, tag_pattern, include_superseded)
    columns = COLUMNS + ((SUPERSEDED,) if include_superseded else ())
    n = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(_csv_row(row))
            n += 1
    else:
        for row in rows:
            doc = dict(zip(columns, row, strict=True))
            doc["value"] = json_number(doc["value"])
            doc["wall_time"] = json_number(doc["wall_time"])
            out.write(json.dumps(doc, allow_nan=False) + "\n")
            n += 1
    return n


def _csv_row(row):
    run, tag, step, wall, value, *superseded = row
    # repr keeps every digit of the float; csv readers parse it back exactly.
    return (run, tag, step, repr(wall), repr(value), *superseded)


def read_scalars(logdir: str | os.PathLike, *, runs: str | None = None,
                 tags: str | None = None, include_superseded: bool = False):
    """Every scalar point under ``logdir`` as a pandas DataFrame with columns
    run, tag, step, wall_time, value (requires pandas: ``pip install inspector[export]``).
    ``runs``/``tags`` are regular expressions. Points superseded at a restart are left out
    unless ``include_superseded``; then a bool column ``superseded`` flags them."""
    try:
        import pandas as pd
    except ImportError:
        raise InspectorError(
            "read_scalars needs pandas; install it with: pip install pandas") from None
    import numpy as np

    store = Store(logdir)
    store.reload()
    columns = COLUMNS + ((SUPERSEDED,) if include_superseded else ())
    parts = [
        pd.DataFrame({
            "run": np.full(len(s.steps), run, dtype=object),
            "tag": np.full(len(s.steps), tag, dtype=object),
            "step": s.steps, "wall_time": s.wall_times, "value": s.values,
            **({SUPERSEDED: s.superseded} if include_superseded else {}),
        })
        for run, tag, s in scalar_series(store, runs, tags, flags=("runs", "tags"),
                                         include_superseded=include_superseded)
    ]
    if not parts:
        return pd.DataFrame({c: [] for c in columns})
    return pd.concat(parts, ignore_index=True)
