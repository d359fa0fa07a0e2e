"""What the HParams page shows, as pure functions of the store: one trial per run that logged
hyperparameters, its final and best metrics, and how much each hyperparameter explains a
metric.

A *trial* is a run holding an hparams session-start summary plus the runs below it (the hook
writes hparams into ``<run>`` and curves into ``<run>/train`` and ``<run>/validation``). Writers
of the ``add_hparams`` form (PyTorch, tensorboardX) put hparams in a child run of the run that
holds the curves: when a run's parent holds no hparams and only that one child does, the
trial's root is the parent. Metric names are ``<run below the root>/<tag>`` (``<tag>`` for the
root itself). Never imports Dash.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from inspector.events import plugins as P
from inspector.kinds import Kind
from inspector.store import Store

# Scalar tags that describe the training process or one class, not the trial's outcome.
NOT_METRICS = ("batch/", "perf/", "gradients/", "optimizer/", P.TAG_PRECISION, P.TAG_RECALL,
               P.TAG_F1, P.TAG_BASELINE_RANDOM, P.TAG_BASELINE_MOST_FREQUENT)
LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "rmse", "perplexity")
MAX_METRICS = 40  # metric columns kept (the most common across trials)


@dataclass
class Trial:
    """One run's hyperparameters and outcome."""

    name: str  # the run holding the hparams
    root: str  # the run its curves are under ("." for the logdir itself)
    runs: list[str]  # every run of the trial (root and below)
    hparams: dict
    final: dict[str, float] = field(default_factory=dict)  # metric -> last value
    best: dict[str, float] = field(default_factory=dict)  # metric -> best value (see better)


def lower_is_better(metric: str) -> bool:
    """True for losses and errors (their best value is the minimum)."""
    leaf = metric.rsplit("/", 1)[-1].lower()
    return any(word in leaf for word in LOWER_IS_BETTER)


def is_metric(tag: str) -> bool:
    return not tag.startswith(NOT_METRICS) and not tag.startswith("_hparams_")


def own_hparams(store: Store) -> dict[str, dict]:
    """{run: hparams} of the runs that hold a session-start summary themselves."""
    out = {}
    for run, tags in store.tags(Kind.HPARAMS).items():
        if P.HPARAMS_SESSION_START_TAG in tags:
            points = store.series(Kind.HPARAMS, run, P.HPARAMS_SESSION_START_TAG)
            if points:
                out[run] = dict(points[-1].value.get("session_start", {}).get("hparams", {}))
    return out


def _parent(run: str) -> str:
    return run.rpartition("/")[0] or "." if run != "." else ""


def _under(run: str, root: str) -> bool:
    return root == "." or run == root or run.startswith(root + "/")


def trials(store: Store) -> list[Trial]:
    """Every trial of the logdir, by name, with its final and best metrics."""
    own = own_hparams(store)
    runs = store.runs()
    # One pass over the store's per-series summaries (cached there per series).
    summaries = store.last_values(Kind.SCALARS)
    children_with_hparams: dict[str, list[str]] = {}
    for run in own:
        children_with_hparams.setdefault(_parent(run), []).append(run)
    out = []
    for name, hp in sorted(own.items()):
        parent = _parent(name)
        root = name
        if parent and parent not in own and children_with_hparams.get(parent) == [name] \
                and (parent == "." or parent in runs):
            root = parent
        members = [r for r in runs if _under(r, root)
                   and not any(o != name and _under(r, o) for o in own if o != root)]
        trial = Trial(name, root, members, hp)
        for run in members:
            prefix = "" if run == root else (run if root == "." else run[len(root) + 1:]) + "/"
            for tag, lv in summaries.get(run, {}).items():
                if not is_metric(tag):
                    continue
                metric = prefix + tag
                trial.final[metric] = float(lv.value)
                trial.best[metric] = float(lv.min if lower_is_better(metric) else lv.max)
        out.append(trial)
    return out


def metric_names(found: list[Trial], limit: int = MAX_METRICS) -> list[str]:
    """The metrics most trials have (at most ``limit``), accuracy-like first, then by name."""
    counts: dict[str, int] = {}
    for t in found:
        for m in t.final:
            counts[m] = counts.get(m, 0) + 1
    ranked = sorted(counts, key=lambda m: (-counts[m], m))[:limit]
    return sorted(ranked, key=lambda m: (0 if "accuracy" in m else 1, m))


def hparam_names(found: list[Trial]) -> list[str]:
    """Every hyperparameter any trial has; those that differ between trials first."""
    names = sorted({k for t in found for k in t.hparams})
    varies = {n for n in names if len({repr(t.hparams.get(n)) for t in found}) > 1}
    return sorted(names, key=lambda n: (n not in varies, n))


def default_metric(metrics: list[str]) -> str | None:
    for wanted in ("validation/evaluation/accuracy", "validation/epoch/accuracy",
                   "evaluation/accuracy"):
        if wanted in metrics:
            return wanted
    return metrics[0] if metrics else None


def _cell(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def table_rows(found: list[Trial], hps: list[str], metrics: list[str]) -> list[dict]:
    """One row per trial: ``run``, ``hp:<name>``, ``final:<metric>``, ``best:<metric>``."""
    rows = []
    for t in found:
        row = {"run": t.name}
        row.update({f"hp:{h}": _cell(t.hparams.get(h)) for h in hps})
        row.update({f"final:{m}": _cell(t.final.get(m)) for m in metrics})
        row.update({f"best:{m}": _cell(t.best.get(m)) for m in metrics})
        rows.append(row)
    return rows


def numeric(values: list) -> bool:
    """True when every present value is a number (bools are categories)."""
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                 for v in present)


def importance(found: list[Trial], hps: list[str], metric: str, bins: int = 5) -> list[dict]:
    """How much of ``metric``'s spread over trials each hyperparameter explains, highest first.

    The measure is the correlation ratio eta² = between-group variance / total variance of
    the metric, the trials grouped by the hyperparameter's value (numbers with more than
    ``bins`` distinct values are cut into ``bins`` quantile bins first): 1 when the value
    alone decides the metric, 0 when every group has the same mean. For numeric
    hyperparameters the Spearman rank correlation gives the direction. Hyperparameters that
    never vary, and trials without the metric, are left out. Rows: ``hparam``, ``eta2``,
    ``spearman`` (None for categories), ``trials``."""
    have = [t for t in found if t.final.get(metric) is not None
            and math.isfinite(t.final[metric])]
    if len(have) < 2:
        return []
    y = np.array([t.final[metric] for t in have])
    total = float(((y - y.mean()) ** 2).sum())
    out = []
    for h in hps:
        values = [t.hparams.get(h) for t in have]
        if len({repr(v) for v in values}) < 2:
            continue
        spearman = None
        if numeric(values):
            x = np.array([math.nan if v is None else float(v) for v in values])
            keys = _bin(x, bins)
            ok = np.isfinite(x)
            if ok.sum() > 2 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
                spearman = float(np.corrcoef(_ranks(x[ok]), _ranks(y[ok]))[0, 1])
        else:
            keys = [repr(v) for v in values]
        groups: dict = {}
        for k, v in zip(keys, y, strict=True):
            groups.setdefault(k, []).append(v)
        between = sum(len(g) * (np.mean(g) - y.mean()) ** 2 for g in groups.values())
        eta2 = float(between / total) if total > 0 else 0.0
        out.append({"hparam": h, "eta2": round(eta2, 4),
                    "spearman": None if spearman is None else round(spearman, 4),
                    "trials": len(have)})
    return sorted(out, key=lambda r: -r["eta2"])


def _bin(x: np.ndarray, bins: int) -> list:
    finite = np.unique(x[np.isfinite(x)])
    if len(finite) <= bins:
        return [repr(v) for v in x.tolist()]
    edges = np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])
    return [("nan" if not np.isfinite(v) else int(np.searchsorted(edges, v, side="right")))
            for v in x]


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties given their mean rank (as Spearman's correlation needs)."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    for v in np.unique(x):
        tie = x == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks


def axis_values(values: list) -> tuple[list, list | None, list | None]:
    """Values for a plot axis: numbers as they are; anything else as category indices, with
    (tick values, tick texts). Missing values become None."""
    if numeric(values):
        return [None if v is None else float(v) for v in values], None, None
    cats = sorted({str(v) for v in values if v is not None})
    index = {c: i for i, c in enumerate(cats)}
    return ([None if v is None else index[str(v)] for v in values], list(range(len(cats))), cats)


def csv_text(rows: list[dict]) -> str:
    """Table rows as CSV, columns in the order of the first row's keys (``run``, ``hp:...``,
    ``final:...``, ``best:...``); empty cells for missing values."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return out.getvalue()
