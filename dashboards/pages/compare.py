"""Compare: pick two or more runs and see their hyperparameter differences, their curves
together (one chart per curve, one line per run in the run's colour) and their confusion
matrices side by side. Data from ``dashboards.compare_data``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, ctx, dcc, html, no_update

from dashboards import compare_data as cd
from dashboards import evaluation_data as ev
from dashboards import state
from dashboards.components import cards
from inspector.kinds import Kind

dash.register_page(__name__, path="/compare", name="Compare", title="Inspector · Compare",
                   order=8)

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": "hover"}
MAX_DEFAULT = 4


def default_runs(runs: list[str]) -> list[str]:
    """Trials (runs holding hparams) among ``runs`` when there are two or more, else the first
    runs; at most ``MAX_DEFAULT``."""
    store = state.store()
    with_hp = [r for r in runs if r in store.tags(Kind.HPARAMS)]
    picked = with_hp if len(with_hp) >= 2 else runs
    return picked[:MAX_DEFAULT]


def _shown(value) -> str:
    if value is None:
        return "—"
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def hparam_table(runs: list[str], only_differences: bool):
    names, rows = cd.hparam_differences(state.store(), runs, only_differences)
    if not names:
        return html.Span("None of these runs logged hyperparameters.", className="muted")
    if not rows:
        return html.Span("Every hyperparameter is the same in these runs.", className="muted")
    return html.Table(className="compare-table", children=[
        html.Thead(html.Tr([html.Th("hyperparameter")] + [
            html.Th(r, style={"color": state.run_color(r)}) for r in runs])),
        html.Tbody([html.Tr([html.Td(row[0])] + [
            html.Td(_shown(v),
                    className="differs" if len({repr(x) for x in row[1:]}) > 1 else "")
            for v in row[1:]]) for row in rows]),
    ])


def curve_cards(runs: list[str], names: list[str]) -> list:
    store = state.store()
    colors = state.run_colors(store.runs())
    return [dcc.Graph(figure=cd.curve_figure(store, runs, n, colors), config=GRAPH_CONFIG,
                      className="compare-curve") for n in names]


def confusion_cards(runs: list[str]) -> list:
    store = state.store()
    out = []
    for run in runs:
        found = cd.confusion_of(store, run)
        if found is None:
            out.append(html.Div([html.B(run), html.Div("no confusion matrix", className="muted")],
                                className="compare-confusion"))
            continue
        holder, prefix, point = found
        labels = ev.class_labels(store, holder, len(point.value), prefix)
        fig = ev.confusion_figure(point.value, labels, normalised=False, step=point.step)
        fig.update_layout(height=360, title={"text": f"{holder} · step {point.step}"})
        out.append(dcc.Graph(figure=fig, config=GRAPH_CONFIG, className="compare-confusion"))
    return out


def body(runs: list[str], curves: list[str], only_differences: bool) -> list:
    if len(runs) < 2:
        return [cards.empty_state("Pick two or more runs to compare.")]
    return [
        cards.card("Hyperparameters", [hparam_table(runs, only_differences)],
                   subtitle="highlighted: values that differ", class_name="card compare-card"),
        cards.card("Curves", [html.Div(curve_cards(runs, curves), className="view-grid")],
                   class_name="card compare-card"),
        cards.card("Confusion matrices", [html.Div(confusion_cards(runs),
                                                   className="view-grid")],
                   subtitle="last evaluation of each run", class_name="card compare-card"),
    ]


def layout(runs: list[str] | None = None, run: str | None = None, **_query) -> html.Div:
    if not state.ready():
        return html.Div(cards.empty_state("Reading the logdir…", loading=True), className="page")
    store = state.store()
    options = store.runs()
    picked = default_runs(runs or [])
    if run and run in options:
        picked = [run] + [r for r in picked if r != run][: MAX_DEFAULT - 1]
    names = cd.curve_names(store, picked)
    curves = cd.default_curves(names)
    return html.Div(className="page compare-page", children=[
        html.Div(className="toolbar", children=[
            dcc.Dropdown(id="cmp-runs", options=options, value=picked, multi=True,
                         placeholder="runs to compare", className="run-dropdown cmp-runs"),
            dcc.Dropdown(id="cmp-curves", options=names, value=curves, multi=True,
                         placeholder="curves", className="run-dropdown cmp-curves"),
            dcc.Checklist(id="cmp-only-diff", value=["only"], className="toggles",
                          options=[{"label": "only differing hparams", "value": "only"}]),
        ]),
        html.Div(body(picked, curves, True), id="cmp-body"),
    ])


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (``create_app`` calls this)."""

    @app.callback(Output("cmp-curves", "options"), Output("cmp-curves", "value"),
                  Output("cmp-body", "children"), Input("cmp-runs", "value"),
                  Input("cmp-curves", "value"), Input("cmp-only-diff", "value"),
                  prevent_initial_call=True)
    def redraw(runs, curves, only):
        """One callback for both: a callback's own output never triggers it again, so a new run
        pick updates the curve choices and the body in one round trip."""
        runs = runs or []
        names = cd.curve_names(state.store(), runs)
        kept = [c for c in curves or [] if c in names]
        if ctx.triggered_id == "cmp-runs" and not kept:
            kept = cd.default_curves(names)
        return (names, kept if kept != (curves or []) else no_update,
                body(runs, kept, bool(only)))
