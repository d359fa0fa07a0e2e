"""Evaluation: for one run, the confusion matrix of a step (counts or row share, class names
on the axes), its per-class precision, recall and F-score as a sortable table, accuracy
against the random and most-frequent baselines, PR curves per class, per-class curves over
steps on demand, and the misclassified probe examples of a clicked confusion cell.

One step slider drives every per-step view; the figures come from
``dashboards.evaluation_data``. ``?run=<run>&step=<n>`` preselects.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboards import evaluation_data as ev
from dashboards import state
from dashboards.components import cards

dash.register_page(__name__, path="/evaluation", name="Evaluation",
                   title="Inspector · Evaluation", order=5)

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": "hover"}
COLUMNS = [
    {"field": "class", "headerName": "class", "pinned": "left", "filter": True},
    *({"field": f, "headerName": f, "type": "numericColumn",
       "valueFormatter": {"function": "d3.format('.4f')(params.value)"}}
      for f in ("precision", "recall", "f1")),
    {"field": "support", "headerName": "support", "type": "numericColumn"},
]


def _marks(steps: list[int]) -> dict:
    if not steps:
        return {}
    every = max(1, len(steps) // 8)
    return {i: str(s) for i, s in enumerate(steps) if i % every == 0 or i == len(steps) - 1}


def key_of(run: str, prefix: str) -> str:
    """The picker's value for one evaluation: a run and its tag prefix (one per output)."""
    return f"{run}\t{prefix}"


def split_key(key: str | None) -> tuple[str | None, str]:
    run, _, prefix = (key or "").partition("\t")
    return run or None, prefix or ev.EVALUATION


def options_for(runs: list[str]) -> list[dict]:
    """Picker options: every evaluation of ``runs`` (a multi-output model's outputs apart)."""
    return [{"label": run if prefix == ev.EVALUATION else
             f"{run} · {prefix[len(ev.EVALUATION):].rstrip('/')}", "value": key_of(run, prefix)}
            for run, prefix in ev.evaluation_sets(state.store(), runs)]


def default_key(options: list[dict]) -> str:
    """The first validation run's (where the hook evaluates every epoch), else the first."""
    values = [o["value"] for o in options]
    return next((v for v in values if split_key(v)[0].rpartition("/")[2] == "validation"),
                values[0])


def step_view(key: str | None, index: int | None, normalised: bool) -> dict:
    """Everything that follows the step slider, for one evaluation at step ``index``
    (None: the last)."""
    empty = {"steps": [], "index": 0, "confusion": {}, "rows": [], "summary": "",
             "pr": {}, "classes": []}
    run, prefix = split_key(key)
    if not run:
        return empty
    store = state.store()
    points = ev.confusion_points(store, run, prefix)
    if not points:
        return empty
    steps = [p.step for p in points]
    i = len(points) - 1 if index is None else max(0, min(int(index), len(points) - 1))
    matrix = points[i].value
    labels = ev.class_labels(store, run, len(matrix), prefix)
    sc = ev.scores(matrix, labels)
    summary = [html.Span(f"step {steps[i]}", className="eval-step"),
               html.Span(f"accuracy {sc.accuracy:.4f}", className="eval-accuracy"),
               html.Span(f"most frequent class {sc.baseline_most_frequent:.4f}"),
               html.Span(f"random guess {sc.baseline_random:.4f}"),
               html.Span(f"macro F1 {float(sc.f1.mean()):.4f}", className="eval-macro-f1"),
               html.Span(f"{int(sc.support.sum())} examples")]
    return {"steps": steps, "index": i,
            "confusion": ev.confusion_figure(matrix, labels, normalised=normalised,
                                             step=steps[i]),
            "rows": sc.rows(), "summary": summary,
            "pr": ev.pr_figure(store, run, steps[i], labels, prefix), "classes": labels}


def layout(runs: list[str] | None = None, run: str | None = None, step: str | None = None,
           tag: str | None = None, **_query) -> html.Div:
    if not state.ready():
        return html.Div(cards.empty_state("Reading the logdir…", loading=True), className="page")
    store = state.store()
    runs = list(runs or [])
    if run and run in store.runs() and run not in runs:
        runs.append(run)  # a link names the run to show even when it is not ticked
    options = options_for(runs)
    if not options:
        return html.Div(className="page", children=[cards.empty_state(
            "No evaluation for the selected runs: the hook logs a confusion matrix when it "
            "has validation data (Inspector(validation_data=...)).")])
    values = [o["value"] for o in options]
    wanted = [v for v in values if split_key(v)[0] == run]
    if tag:  # ?tag= picks one output's evaluation (evaluation/<output>/...)
        wanted = [v for v in wanted if tag.startswith(split_key(v)[1])] or wanted
    chosen = wanted[0] if wanted else default_key(options)
    index = None
    steps = [p.step for p in ev.confusion_points(store, *split_key(chosen))]
    if step is not None and str(step).lstrip("-").isdigit() and steps:
        index = max(0, min(range(len(steps)), key=lambda k: abs(steps[k] - int(step))))
    view = step_view(chosen, index, False)
    return html.Div(className="page eval-page", children=[
        html.Div(className="toolbar", children=[
            dcc.Dropdown(id="eval-run", options=options, value=chosen, clearable=False,
                         className="run-dropdown"),
            dcc.RadioItems(id="eval-norm", value="counts", inline=True, className="segmented",
                           options=[{"label": "Counts", "value": "counts"},
                                    {"label": "Row share", "value": "share"}]),
            html.Div(className="control eval-slider", children=[
                html.Label("Step"),
                dcc.Slider(id="eval-step", min=0, max=max(len(view["steps"]) - 1, 0), step=1,
                           value=view["index"], marks=_marks(view["steps"]),
                           updatemode="mouseup", allow_direct_input=False,
                           className="step-slider"),
            ]),
        ]),
        html.Div(view["summary"], id="eval-summary", className="eval-summary"),
        html.Div(className="eval-grid", children=[
            cards.card("Confusion matrix", [
                dcc.Graph(id="eval-confusion", figure=view["confusion"], config=GRAPH_CONFIG),
            ], subtitle="rows: true class · columns: predicted · click a cell for its probes",
                class_name="card eval-card"),
            cards.card("Misclassified probes", [
                html.Div(html.Span("Click a confusion cell off the diagonal.",
                                   className="muted"), id="eval-probes"),
            ], class_name="card eval-card"),
            cards.card("Per-class scores", [
                dag.AgGrid(id="eval-table", columnDefs=COLUMNS, rowData=view["rows"],
                           defaultColDef={"sortable": True, "resizable": True, "flex": 1},
                           dashGridOptions={"domLayout": "autoHeight", "animateRows": False,
                                            "rowHeight": 28},
                           className="ag-theme-alpine eval-table", style={"height": None}),
            ], class_name="card eval-card"),
            cards.card("Accuracy against baselines", [
                dcc.Graph(id="eval-accuracy",
                          figure=ev.accuracy_figure(store, *split_key(chosen)),
                          config=GRAPH_CONFIG),
            ], class_name="card eval-card"),
            cards.card("PR curves per class", [
                dcc.Graph(id="eval-pr", figure=view["pr"], config=GRAPH_CONFIG),
            ], subtitle="one class against the rest, at the slider's step",
                class_name="card eval-card"),
            cards.card("Per-class curves over steps", [
                html.Div(className="toolbar", children=[
                    dcc.Dropdown(id="eval-curves-metric", value="f1", clearable=False,
                                 options=["precision", "recall", "f1"],
                                 className="metric-dropdown"),
                    html.Button("Show curves", id="eval-curves-show", className="link-button"),
                ]),
                html.Div(id="eval-curves"),
            ], class_name="card eval-card"),
        ]),
    ])


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (``create_app`` calls this)."""

    @app.callback(Output("eval-run", "options"), Output("eval-run", "value"),
                  Input("selected-runs", "data"), State("eval-run", "value"),
                  prevent_initial_call=True)
    def follow_selection(runs, current):
        options = options_for(runs or [])
        values = [o["value"] for o in options]
        value = current if current in values else (default_key(options) if options else None)
        return options, value if value != current else no_update

    @app.callback(Output("eval-step", "max"), Output("eval-step", "marks"),
                  Output("eval-step", "value"), Output("eval-confusion", "figure"),
                  Output("eval-table", "rowData"), Output("eval-summary", "children"),
                  Output("eval-pr", "figure"), Output("eval-accuracy", "figure"),
                  Output("eval-probes", "children"),
                  Input("eval-run", "value"), Input("eval-step", "value"),
                  Input("eval-norm", "value"), prevent_initial_call=True)
    def show_step(key, index, norm):
        new_run = ctx.triggered_id == "eval-run"
        view = step_view(key, None if new_run else index, norm == "share")
        run, prefix = split_key(key)
        return (max(len(view["steps"]) - 1, 0), _marks(view["steps"]),
                view["index"] if view["index"] != index else no_update, view["confusion"],
                view["rows"], view["summary"], view["pr"],
                ev.accuracy_figure(state.store(), run, prefix) if new_run and run else no_update,
                html.Span("Click a confusion cell off the diagonal.", className="muted")
                if new_run else no_update)

    @app.callback(Output("eval-probes", "children", allow_duplicate=True),
                  Input("eval-confusion", "clickData"), State("eval-run", "value"),
                  State("eval-step", "value"), prevent_initial_call=True)
    def show_probes(click, key, index):
        run, prefix = split_key(key)
        if not click or not click.get("points") or not run:
            return no_update
        hit = click["points"][0]
        store = state.store()
        points = ev.confusion_points(store, run, prefix)
        if not points:
            return no_update
        point = points[max(0, min(int(index or 0), len(points) - 1))]
        labels = ev.class_labels(store, run, len(point.value), prefix)
        # Heatmap click events name the cell by its axis categories (the class names).
        if hit.get("y") not in labels or hit.get("x") not in labels:
            return no_update
        true_id, pred_id = labels.index(hit["y"]), labels.index(hit["x"])
        count = int(point.value[true_id, pred_id])
        head = html.Div(f"true {labels[true_id]} → predicted {labels[pred_id]}: {count} of the "
                        f"evaluated examples at step {point.step}", className="probe-head")
        examples = ev.misclassified(store, run, point.step, true_id, pred_id, labels,
                                    prefix=prefix)
        if examples is None:
            return [head, html.Div("This run logged no probe predictions (the hook writes "
                                   "evaluation/probe_predictions).", className="muted")]
        if not examples:
            return [head, html.Div("None of the probe examples fall in this cell.",
                                   className="muted")]
        return [head, html.Div(className="probe-grid", children=[
            html.Figure(className="probe-example", children=[
                html.Img(src=e.image, alt=f"probe {e.index}") if e.image else
                html.Div(f"probe {e.index}", className="probe-noimage"),
                html.Figcaption([html.Span(f"#{e.index} "), html.B(e.predicted),
                                 html.Span(f" {e.confidence:.2f}", className="probe-confidence")]),
            ]) for e in examples])]

    @app.callback(Output("eval-curves", "children"), Input("eval-curves-show", "n_clicks"),
                  Input("eval-curves-metric", "value"), State("eval-run", "value"),
                  State("eval-step", "value"), prevent_initial_call=True)
    def show_curves(clicks, metric, key, _index):
        run, prefix = split_key(key)
        if not clicks or not run:
            return no_update
        store = state.store()
        points = ev.confusion_points(store, run, prefix)
        classes = ev.class_labels(store, run, len(points[-1].value), prefix) if points else []
        return dcc.Graph(figure=ev.class_curves_figure(store, run, metric, classes, prefix),
                         config=GRAPH_CONFIG, id="eval-curves-graph")
