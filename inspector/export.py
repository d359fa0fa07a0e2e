"""Scalars out of a logdir as rows: CSV, JSON lines, or a pandas DataFrame.

Reads through ``inspector.store`` only; pandas is imported only by ``read_scalars``.
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
from inspector.store import Store

COLUMNS = ("run", "tag", "step", "wall_time", "value")


def scalar_series(store: Store, run_pattern: str | None = None, tag_pattern: str | None = None,
                  *, flags: tuple[str, str] = ("--runs", "--tags")) -> Iterator[tuple]:
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
            yield run, tag, store.scalars(run, tag)


def scalar_rows(store: Store, run_pattern: str | None = None,
                tag_pattern: str | None = None) -> Iterator[tuple[str, str, int, float, float]]:
    """Every scalar point as (run, tag, step, wall_time, value), runs and tags in name order."""
    for run, tag, s in scalar_series(store, run_pattern, tag_pattern):
        for step, wall, value in zip(s.steps.tolist(), s.wall_times.tolist(),
                                     s.values.tolist(), strict=False):
            yield run, tag, step, wall, value


def _compile(pattern: str | None, flag: str):
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as err:
        raise InspectorError(
            f"{flag} {pattern!r} is not a valid regular expression: {err}") from None


def write_scalars(store: Store, out: IO[str], fmt: str, run_pattern: str | None = None,
                  tag_pattern: str | None = None) -> int:
    """Write rows to ``out`` as ``csv`` or ``json`` (one object per line). Returns rows written."""
    rows = scalar_rows(store, run_pattern, tag_pattern)
    n = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(_csv_row(row))
            n += 1
    elif fmt == "json":
        for row in rows:
            out.write(json.dumps(dict(zip(COLUMNS, row, strict=False)), allow_nan=True) + "\n")
            n += 1
    else:
        raise InspectorError(f"unknown export format {fmt!r}; use csv or json")
    return n


def _csv_row(row):
    run, tag, step, wall, value = row
    # repr keeps every digit of the float; csv readers parse it back exactly.
    return run, tag, step, repr(wall), repr(value)


def read_scalars(logdir: str | os.PathLike, *, runs: str | None = None,
                 tags: str | None = None):
    """Every scalar point under ``logdir`` as a pandas DataFrame with columns
    run, tag, step, wall_time, value (requires pandas: ``pip install inspector[export]``)."""
    try:
        import pandas as pd
    except ImportError:
        raise InspectorError(
            "read_scalars needs pandas; install it with: pip install pandas") from None
    import numpy as np

    store = Store(logdir)
    store.reload()
    parts = [
        pd.DataFrame({
            "run": np.full(len(s.steps), run, dtype=object),
            "tag": np.full(len(s.steps), tag, dtype=object),
            "step": s.steps, "wall_time": s.wall_times, "value": s.values,
        })
        for run, tag, s in scalar_series(store, runs, tags, flags=("runs", "tags"))
    ]
    if not parts:
        return pd.DataFrame({c: [] for c in COLUMNS})
    return pd.concat(parts, ignore_index=True)
