"""HParams: every trial (a run that logged hyperparameters) with its hyperparameters and its
final and best metrics in a sortable, filterable table (CSV export), parallel coordinates,
a scatter of any hyperparameter against any metric, and a ranking of how much each
hyperparameter explains the chosen metric. Ticking rows selects those trials' runs in the
run picker, so every other page shows them.

The data comes from ``dashboards.hparams_data``.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from dashboards import hparams_data as hd
from dashboards import state
from dashboards.components import cards, run_picker

dash.register_page(__name__, path="/hparams", name="HParams", title="Inspector · HParams",
                   order=6)

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": "hover"}
NUMBER = {"function": "params.value == null ? '' : (typeof params.value === 'number' ? "
                      "d3.format('.4~g')(params.value) : params.value)"}


def column_defs(found: list[hd.Trial], hps: list[str], metrics: list[str]) -> list[dict]:
    numbers = {h for h in hps if hd.numeric([t.hparams.get(h) for t in found])}

    def num(field: str, name: str) -> dict:
        return {"field": field, "headerName": name, "filter": "agNumberColumnFilter",
                "valueFormatter": NUMBER, "headerTooltip": name}

    return [
        {"field": "run", "headerName": "run", "pinned": "left", "filter": "agTextColumnFilter",
         "minWidth": 220, "tooltipField": "run"},
        {"headerName": "hyperparameters", "children": [
            {"field": f"hp:{h}", "headerName": h, "headerTooltip": h, "valueFormatter": NUMBER,
             "filter": "agNumberColumnFilter" if h in numbers else "agTextColumnFilter"}
            for h in hps]},
        {"headerName": "final", "children": [num(f"final:{m}", m) for m in metrics]},
        {"headerName": "best", "children": [num(f"best:{m}", m) for m in metrics]},
    ]


def _trial_data():
    found = hd.trials(state.store())
    return found, hd.hparam_names(found), hd.metric_names(found)


def selected_trials(found: list[hd.Trial], runs: list[str]) -> list[str]:
    """Trials whose runs are all in the selection."""
    chosen = set(runs)
    return [t.name for t in found if t.runs and all(r in chosen for r in t.runs)]


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    if not state.ready():
        return html.Div(cards.empty_state("Reading the logdir…", loading=True), className="page")
    found, hps, metrics = _trial_data()
    if not found:
        return html.Div(className="page", children=[cards.empty_state(
            "No run logged hyperparameters (the trainers do; in your own code "
            "SummaryWriter.hparams or the hook's hparams=).")])
    rows = hd.table_rows(found, hps, metrics)
    ticked = set(selected_trials(found, runs or []))
    metric = hd.default_metric(metrics)
    varied = [h for h in hps if len({repr(t.hparams.get(h)) for t in found}) > 1] or hps
    return html.Div(className="page hp-page", children=[
        cards.card(f"{len(found)} trials", [
            dag.AgGrid(
                id="hp-grid", rowData=rows, columnDefs=column_defs(found, hps, metrics),
                defaultColDef={"sortable": True, "resizable": True, "minWidth": 90,
                               "floatingFilter": True},
                selectedRows=[r for r in rows if r["run"] in ticked],
                getRowId="params.data.run",
                dashGridOptions={"rowSelection": {"mode": "multiRow"},
                                 "suppressFieldDotNotation": True, "animateRows": False,
                                 "tooltipShowDelay": 300},
                className="ag-theme-alpine hp-grid"),
        ], actions=[html.Button("Download CSV", id="hp-csv", className="link-button"),
                    dcc.Download(id="hp-download")],
            subtitle="tick rows to select their runs on every page",
            class_name="card hp-table-card"),
        html.Div(className="toolbar", children=[
            html.Label("Metric"),
            dcc.Dropdown(id="hp-metric", options=metrics, value=metric, clearable=False,
                         className="run-dropdown"),
            html.Label("Hyperparameter"),
            dcc.Dropdown(id="hp-x", options=hps, value=varied[0] if varied else None,
                         clearable=False, className="metric-dropdown"),
        ]),
        html.Div(className="view-grid", children=[
            cards.card("Parallel coordinates", [dcc.Graph(
                id="hp-parallel", figure=parallel_figure(found, varied, metric),
                config=GRAPH_CONFIG)], class_name="card hp-card"),
            cards.card("Hyperparameter against metric", [dcc.Graph(
                id="hp-scatter", figure=scatter_figure(found, varied[0] if varied else None,
                                                       metric), config=GRAPH_CONFIG)],
                class_name="card hp-card"),
            cards.card("Importance", [html.Div(importance_table(found, hps, metric),
                                               id="hp-importance")],
                       subtitle="share of the metric's variance explained (eta²)",
                       class_name="card hp-card"),
        ]),
    ])


def parallel_figure(found: list[hd.Trial], hps: list[str], metric: str | None) -> go.Figure:
    dims = []
    for h in hps[:10]:
        values, ticks, texts = hd.axis_values([t.hparams.get(h) for t in found])
        dim = {"label": h, "values": values}
        if ticks is not None:
            dim.update(tickvals=ticks, ticktext=texts)
        dims.append(dim)
    color = None
    if metric:
        # A trial without the metric (another trainer's) is NaN: Plotly takes no None here.
        color = [t.final.get(metric, float("nan")) for t in found]
        dims.append({"label": metric.rsplit("/", 2)[-1] if len(metric) > 24 else metric,
                     "values": color})
    line = {"color": color, "colorscale": "Viridis", "showscale": True} if color else {}
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line, labelangle=-25))
    fig.update_layout(margin={"l": 60, "r": 60, "t": 80, "b": 20}, height=400)
    return fig


def scatter_figure(found: list[hd.Trial], hp: str | None, metric: str | None) -> go.Figure:
    fig = go.Figure()
    if hp and metric:
        values, ticks, texts = hd.axis_values([t.hparams.get(hp) for t in found])
        fig.add_trace(go.Scatter(
            x=values, y=[t.final.get(metric) for t in found], mode="markers",
            text=[t.name for t in found], marker={"size": 9, "opacity": 0.8},
            hovertemplate="%{text}<br>" + hp + " %{x}<br>" + metric + " %{y:.4g}<extra></extra>"))
        if ticks is not None:
            fig.update_xaxes(tickvals=ticks, ticktext=texts)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=380,
                      xaxis={"title": hp or ""}, yaxis={"title": metric or ""},
                      plot_bgcolor="white")
    return fig


def importance_table(found: list[hd.Trial], hps: list[str], metric: str | None):
    ranked = hd.importance(found, hps, metric) if metric else []
    if not ranked:
        return html.Span("Needs at least two trials with the metric and a hyperparameter "
                         "that varies.", className="muted")
    return html.Table(className="hp-importance", children=[
        html.Thead(html.Tr([html.Th("hyperparameter"), html.Th("eta²"),
                            html.Th("rank correlation")])),
        html.Tbody([html.Tr([html.Td(r["hparam"]), html.Td(f"{r['eta2']:.3f}"),
                             html.Td("—" if r["spearman"] is None else f"{r['spearman']:+.2f}")])
                    for r in ranked]),
    ])


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (``create_app`` calls this)."""

    @app.callback(Output("hp-parallel", "figure"), Output("hp-scatter", "figure"),
                  Output("hp-importance", "children"), Input("hp-metric", "value"),
                  Input("hp-x", "value"), prevent_initial_call=True)
    def redraw(metric, hp):
        found, hps, _metrics = _trial_data()
        varied = [h for h in hps if len({repr(t.hparams.get(h)) for t in found}) > 1] or hps
        return (parallel_figure(found, varied, metric), scatter_figure(found, hp, metric),
                importance_table(found, hps, metric))

    @app.callback(Output("hp-download", "data"), Input("hp-csv", "n_clicks"),
                  State("hp-grid", "virtualRowData"), State("hp-grid", "rowData"),
                  prevent_initial_call=True)
    def export_csv(_clicks, shown, rows):
        """The table as the grid shows it (filtered and sorted); columns named by field."""
        return dcc.send_string(hd.csv_text(shown if shown is not None else rows or []),
                               "hparams.csv")

    @app.callback(Output("checked-runs", "data", allow_duplicate=True),
                  Output("selected-runs", "data", allow_duplicate=True),
                  Output("run-groups", "children", allow_duplicate=True),
                  Output("runs-count", "children", allow_duplicate=True),
                  Input("hp-grid", "selectedRows"), State("run-list", "data"),
                  State("checked-runs", "data"), State("selected-runs", "data"),
                  State("run-filter", "value"), prevent_initial_call=True)
    def select_runs(rows, runs, checked, current, pattern):
        """Ticked trials' runs become checked in the run picker, unticked ones unchecked; runs of
        no trial keep their state."""
        runs = runs or []
        found = hd.trials(state.store())
        in_trials = {r for t in found for r in t.runs}
        ticked = {row["run"] for row in rows or []}
        keep = [r for r in (checked or []) if r not in in_trials]
        new_checked = sorted(set(keep) | {r for t in found if t.name in ticked for r in t.runs})
        selected = run_picker.selection(runs, new_checked, pattern)
        if selected == (current or []):
            return no_update, no_update, no_update, no_update
        return (new_checked, selected, run_picker.groups(runs, new_checked, pattern),
                run_picker.count_text(runs, selected))
