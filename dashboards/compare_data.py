"""What the compare page shows for a few picked runs: their hyperparameter differences, their
curves together and their confusion matrices side by side.

A picked run stands for itself and the runs below it (pick a trial to compare its train and
validation curves at once); a curve is named ``<run below>/<tag>`` (``<tag>`` for the picked
run itself). Never imports Dash.
"""

from __future__ import annotations

import plotly.graph_objects as go

from dashboards import evaluation_data as ev
from dashboards.aggregate import run_hparams
from inspector.events import plugins as P
from inspector.kinds import Kind
from inspector.store import Store

PREFERRED_CURVES = ("validation/epoch/accuracy", "validation/epoch/loss", "epoch/accuracy",
                    "epoch/loss", "train/epoch/loss", "evaluation/accuracy",
                    "validation/evaluation/accuracy")
SKIPPED = (P.TAG_PRECISION, P.TAG_RECALL, P.TAG_F1, "batch/")


def family(store: Store, run: str) -> list[str]:
    """``run`` and every run below it."""
    return [r for r in store.runs() if r == run or run == "." or r.startswith(run + "/")]


def curves_of(store: Store, run: str) -> dict[str, tuple[str, str]]:
    """{curve name: (run, tag)} of the scalars of ``run`` and the runs below it."""
    scalar_tags = store.tags(Kind.SCALARS)
    out = {}
    for member in family(store, run):
        prefix = "" if member == run else member[len(run) + 1:] + "/"
        for tag in scalar_tags.get(member, []):
            out[prefix + tag] = (member, tag)
    return out


def curve_names(store: Store, runs: list[str]) -> list[str]:
    """Curve names any of ``runs`` has: those all share first, per-class and per-batch tags
    last."""
    per_run = [set(curves_of(store, r)) for r in runs]
    if not per_run:
        return []
    every = set.union(*per_run)
    shared = set.intersection(*per_run)
    return sorted(every, key=lambda n: (any(s in n for s in SKIPPED), n not in shared, n))


def default_curves(names: list[str], limit: int = 4) -> list[str]:
    chosen = [n for n in PREFERRED_CURVES if n in names][:limit]
    return chosen or names[:limit]


def hparam_differences(store: Store, runs: list[str], only_differences: bool = True
                       ) -> tuple[list[str], list[list]]:
    """(hyperparameter names, rows ``[name, value per run...]``) of the picked runs (a run
    without hparams of its own takes its nearest ancestor's); with ``only_differences``, only
    the hyperparameters whose value is not the same in every run."""
    hp = run_hparams(store)
    names = sorted({k for r in runs for k in hp.get(r, {})})
    rows = []
    for name in names:
        values = [hp.get(r, {}).get(name) for r in runs]
        if only_differences and len({repr(v) for v in values}) < 2:
            continue
        rows.append([name, *values])
    return names, rows


def curve_figure(store: Store, runs: list[str], name: str, colors: dict[str, str]
                 ) -> go.Figure:
    """The curve ``name`` of each picked run, one line per run in its colour."""
    fig = go.Figure()
    for run in runs:
        where = curves_of(store, run).get(name)
        if where is None:
            continue
        s = ev.scalars_of(store, *where, max_points=1000)
        fig.add_trace(go.Scattergl(x=s.steps, y=s.values, name=run, mode="lines+markers",
                                   line={"color": colors.get(run)}))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=280,
                      title={"text": name, "font": {"size": 12}}, plot_bgcolor="white",
                      showlegend=False, xaxis={"title": "step"})
    return fig


def confusion_of(store: Store, run: str) -> tuple[str, str, object] | None:
    """(the run holding it, its evaluation tag prefix, its last confusion point) for ``run``
    or the first run below it with one, validation runs first; None when there is none."""
    members = family(store, run)
    members.sort(key=lambda r: (r != run, not r.endswith("validation"), r))
    for member, prefix in ev.evaluation_sets(store, members):
        points = ev.confusion_points(store, member, prefix)
        if points:
            return member, prefix, points[-1]
    return None
