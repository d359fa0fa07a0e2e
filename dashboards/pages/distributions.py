"""Distributions and histograms of weights, gradients and activations over steps.

One card per (histogram tag, run), in the run's colour. Three views: percentile bands over
every logged step (TensorBoard's distributions), and the histograms themselves stacked with
an offset per step or overlaid (TensorBoard's histograms), re-binned onto shared bins.
"""

from __future__ import annotations

import dash
import numpy as np
from dash import dcc, html

from dashboards import state
from dashboards.components.tag_cards import CardKey, TagCards
from dashboards.histograms import (
    nonfinite_count,
    percentile_table,
    pick_steps,
    rebin,
    shared_edges,
)
from inspector.events import plugins as P

dash.register_page(__name__, path="/distributions", name="Distributions",
                   title="Inspector · Distributions", order=1)

# Histograms drawn in the stacked views (every step is in the percentile view).
MAX_STACKED = 40
BINS = 48
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": "hover",
                "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def render(key: CardKey, view: str) -> list:
    return [dcc.Graph(figure=figure(key.run, key.tag, view or "percentiles"),
                      config=GRAPH_CONFIG, className="hist-graph")]


CARDS = TagCards("dist", P.KIND_HISTOGRAMS, per_run=True, render=render,
                 refresh=[("dist-view", "value")], states=[("dist-view", "value")],
                 empty="No histograms for the selected runs.", card_class="hist-card")


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    view = dcc.RadioItems(id="dist-view", value="percentiles", inline=True,
                          className="segmented",
                          options=[{"label": "Percentiles", "value": "percentiles"},
                                   {"label": "Histograms: offset", "value": "offset"},
                                   {"label": "Histograms: overlay", "value": "overlay"}])
    return html.Div(className="page", children=CARDS.layout(runs, controls=[view],
                                                            initial=["percentiles"]))


def register(app: dash.Dash) -> None:
    CARDS.register(app)


def _base_layout(color: str) -> dict:
    return {"margin": {"l": 56, "r": 12, "t": 8, "b": 38}, "showlegend": False,
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#fff",
            "font": {"family": "Inter, system-ui, sans-serif", "size": 11, "color": "#3c4450"},
            "xaxis": {"gridcolor": "#eef0f3", "zeroline": False},
            "yaxis": {"gridcolor": "#eef0f3", "zeroline": False},
            "hovermode": "closest", "modebar": {"bgcolor": "rgba(0,0,0,0)"}}


def _rgba(color: str, alpha: float) -> str:
    n = int(color[1:], 16)
    return f"rgba({n >> 16 & 255},{n >> 8 & 255},{n & 255},{alpha})"


def _mix(color: str, t: float) -> str:
    """The colour faded towards white by 1 - t (t=1: the colour itself)."""
    n = int(color[1:], 16)
    rgb = [(n >> s & 255) for s in (16, 8, 0)]
    return "rgb({},{},{})".format(*(round(255 + (c - 255) * t) for c in rgb))


def figure(run: str, tag: str, view: str) -> dict:
    points = state.store().series(P.KIND_HISTOGRAMS, run, tag) \
        if state.store().has(P.KIND_HISTOGRAMS, run, tag) else []  # vanished: an empty card
    color = state.run_color(run)
    layout = _base_layout(color)
    if not points:
        return {"data": [], "layout": layout}
    steps = [p.step for p in points]
    hists = [np.asarray(p.value, dtype=np.float64).reshape(-1, 3) for p in points]
    if view == "percentiles":
        return {"data": _percentile_traces(steps, percentile_table(hists), color),
                "layout": {**layout, "xaxis": {**layout["xaxis"], "title": {"text": "step"}}}}
    return _stacked(steps, hists, color, layout, offset=view == "offset")


def _percentile_traces(steps: list[int], table: np.ndarray, color: str) -> list[dict]:
    traces = []
    # Outer to inner bands (0-100%, 6.7-93.3%, 15.9-84.1%, 30.9-69.1%): darker inwards.
    for k, alpha in zip(range(4), (0.12, 0.2, 0.3, 0.42), strict=True):
        traces.append({"type": "scatter", "x": steps, "y": table[:, k].tolist(), "mode": "lines",
                       "line": {"width": 0}, "hoverinfo": "skip"})
        traces.append({"type": "scatter", "x": steps, "y": table[:, 8 - k].tolist(),
                       "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
                       "fillcolor": _rgba(color, alpha), "hoverinfo": "skip"})
    text = [f"max {r[8]:.4g}<br>93% {r[7]:.4g}<br>84% {r[6]:.4g}<br>69% {r[5]:.4g}<br>"
            f"median {r[4]:.4g}<br>31% {r[3]:.4g}<br>16% {r[2]:.4g}<br>7% {r[1]:.4g}<br>"
            f"min {r[0]:.4g}" for r in table]
    traces.append({"type": "scatter", "x": steps, "y": table[:, 4].tolist(), "mode": "lines",
                   "line": {"color": color, "width": 1.6}, "text": text,
                   "hovertemplate": "step %{x}<br>%{text}<extra></extra>"})
    return traces


def _nonfinite_note(buckets: np.ndarray) -> str:
    """Hover text for a step whose buckets hold NaN or infinite edges (left out of the
    shared bins, so they cannot blank the other steps)."""
    n = nonfinite_count(buckets)
    return f"<br>+ {n:g} values at NaN/±inf edges, not drawn" if n else ""


def _stacked(steps: list[int], hists: list[np.ndarray], color: str, layout: dict,
             offset: bool) -> dict:
    chosen = pick_steps(len(hists), MAX_STACKED)
    edges = shared_edges([hists[i] for i in chosen], BINS)
    counts = np.array([rebin(hists[i], edges) for i in chosen])
    peak = counts.max() or 1.0
    centers = (edges[:-1] + edges[1:]) / 2
    # Offset: each step a ridge, earliest at the top, later ones drawn over it.
    gap = peak / max(len(chosen) - 1, 1) * 2.2 if offset else 0.0
    traces = []
    for j, i in enumerate(chosen):
        base = (len(chosen) - 1 - j) * gap
        y = (counts[j] + base).tolist()
        shade = _mix(color, 0.25 + 0.75 * (j + 1) / len(chosen))
        traces.append({
            "type": "scatter", "x": centers.tolist(), "y": y, "mode": "lines",
            "line": {"color": shade, "width": 1.2, "shape": "spline", "smoothing": 0.4},
            "customdata": counts[j].tolist(),
            "hovertemplate": f"step {steps[i]}<br>x %{{x:.4g}}<br>count %{{customdata:.4g}}"
                             f"{_nonfinite_note(hists[i])}<extra></extra>"})
        if offset:
            traces[-1].update(fill="toself", fillcolor="rgba(255,255,255,0.85)",
                              x=[centers[0], *centers.tolist(), centers[-1]],
                              y=[base, *y, base],
                              customdata=[0, *counts[j].tolist(), 0])
    shown = f"{len(chosen)} of {len(hists)} steps" if len(chosen) < len(hists) else \
        f"all {len(hists)} steps"
    layout = {**layout, "xaxis": {**layout["xaxis"], "title": {"text": f"value · {shown}"}}}
    if offset:
        ticks = chosen[:: max(1, len(chosen) // 8)]
        layout["yaxis"] = {**layout["yaxis"], "showgrid": False, "title": {"text": "step"},
                           "tickvals": [(len(chosen) - 1 - list(chosen).index(i)) * gap
                                        for i in ticks],
                           "ticktext": [str(steps[i]) for i in ticks]}
    else:
        layout["yaxis"] = {**layout["yaxis"], "title": {"text": "count"}}
    return {"data": traces, "layout": layout}
