"""Graphs: a run's op graphs (training step, inference, traces) and its layer graph as a
collapsible hierarchy, laid out top to bottom on the server (``dashboards.graph_layout``).

Only what is visible travels: the server keeps each graph's hierarchy (``inspector.graphs``)
and sends the elements of the current view (a few dozen to a few hundred items) after every
expand, collapse, search or depth change. Click a collapsed group or series to open it, an
open group's frame to close it; click anything to see its details.
"""

from __future__ import annotations

import re

import dash
import dash_cytoscape as cyto
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import graphs_view as GV
from dashboards import state
from dashboards.components import cards
from dashboards.components.links import page_link
from inspector.errors import InspectorError
from inspector.events import plugins as P

cyto.load_extra_layouts()  # the svg exporter used by generateImage comes with these

dash.register_page(__name__, path="/graphs", name="Graphs", title="Inspector · Graphs",
                   order=3)

# Positions come from the server (dashboards.graph_layout); the browser only places them
# (cytoscape re-runs this layout, and fits the view, whenever the elements change).
LAYOUT = {"name": "preset", "animate": False, "fit": True, "padding": 24}
COLOR_BY = [{"label": "op type", "value": "op"}, {"label": "device", "value": "device"},
            {"label": "parameters", "value": "params"},
            {"label": "gradient norm", "value": "gradnorm"}]
TRACE = [{"label": "no trace", "value": "none"}, {"label": "inputs", "value": "inputs"},
         {"label": "outputs", "value": "outputs"}, {"label": "both", "value": "both"}]

STYLESHEET = [
    {"selector": "node", "style": {
        "label": "data(label)", "text-wrap": "wrap", "text-valign": "center",
        "text-halign": "center", "font-size": 10, "color": "#1f2630",
        "background-color": "data(color)", "border-width": 1, "border-color": "#8a96a8",
        "shape": "round-rectangle"}},
    {"selector": "node[w]", "style": {"width": "data(w)", "height": "data(h)", "padding": 0}},
    {"selector": "node.node", "style": {"shape": "ellipse", "font-size": 9}},
    {"selector": "node.group.collapsed", "style": {"border-width": 1.5,
                                                    "border-color": "#4a5668"}},
    {"selector": "node.series.collapsed", "style": {
        "border-style": "double", "border-width": 4, "border-color": "#4a5668"}},
    {"selector": "node.utility", "style": {"border-style": "dashed", "background-color": "#f1f3f6",
                                            "color": "#6b7480", "font-size": 9}},
    {"selector": "node.expanded", "style": {
        "background-color": "#f7f9fc", "background-opacity": 0.6, "border-color": "#a8b3c4",
        "text-valign": "top", "text-halign": "center", "font-weight": 600, "padding": "10px"}},
    {"selector": "node.holds-match", "style": {"border-color": "#e8890c", "border-width": 3,
                                                "border-style": "dotted"}},
    {"selector": "node.match", "style": {"border-color": "#e8590c", "border-width": 4,
                                          "background-color": "#ffe8cc"}},
    {"selector": "node.traced", "style": {"border-color": "#2f6fd0", "border-width": 3}},
    {"selector": "node.selected", "style": {"border-color": "#111", "border-width": 3}},
    {"selector": "edge", "style": {
        "width": "data(width)", "line-color": "#9aa5b5", "target-arrow-color": "#9aa5b5",
        "target-arrow-shape": "triangle", "curve-style": "straight", "arrow-scale": 0.8,
        "label": "data(label)", "font-size": 8, "color": "#6b7480",
        "text-background-color": "#ffffff", "text-background-opacity": 0.8,
        "text-background-padding": "1px",
        "events": "no"}},  # a click on a node an edge crosses is for the node
    {"selector": "edge.control", "style": {"line-style": "dashed", "label": "",
                                            "line-color": "#c4ccd8"}},
]


def layout(run: str | None = None, layer: str | None = None, **_query) -> html.Div:
    runs = GV.graph_runs(state.store()) if state.ready() else []
    run = run if run in runs else (runs[0] if runs else None)
    options = _source_options(run)
    source = options[0]["value"] if options else None
    # The first view comes with the page: no callback round trips before the graph is drawn.
    first = render(run, source, {}, None, search=layer or "") if source else None
    elements, view_state, panel, status = first or ([], {}, _HINT, "")
    return html.Div(className="page graphs-page", children=[
        html.Div(className="toolbar graphs-toolbar", children=[
            dcc.Dropdown(id="graph-run", options=runs, value=run, clearable=False,
                         placeholder="run", className="graph-run"),
            dcc.Dropdown(id="graph-source", options=options, value=source, clearable=False,
                         className="graph-source"),
            dcc.Input(id="graph-search", type="text", debounce=0.4, value=layer or "",
                      placeholder="search names or op types (regex)", className="text-input"),
            dcc.Dropdown(id="graph-color", options=COLOR_BY, value="op", clearable=False,
                         className="graph-color"),
            dcc.Input(id="graph-step", type="number", placeholder="step: latest", min=0,
                      debounce=True, className="graph-step"),
            dcc.RadioItems(id="graph-trace", options=TRACE, value="none", inline=True,
                           className="segmented"),
        ]),
        html.Div(className="toolbar graphs-toolbar", children=[
            html.Span("Expand to depth", className="muted"),
            dcc.Input(id="graph-depth", type="number", value=2, min=1, max=12,
                      className="graph-depth"),
            html.Button("Expand", id="graph-expand-depth", className="button"),
            html.Button("Collapse all", id="graph-collapse", className="button"),
            dcc.Checklist(id="graph-fold", options=[{"label": "fold series", "value": "fold"}],
                          value=["fold"], inline=True),
            html.Button("PNG", id="graph-png", className="button"),
            html.Button("SVG", id="graph-svg", className="button"),
            html.Span(status, id="graph-status", className="muted graph-status"),
        ]),
        html.Div(className="graphs-body", children=[
            html.Div(className="graph-canvas", children=[
                cyto.Cytoscape(id="graph-cy", elements=elements, layout=LAYOUT,
                               stylesheet=STYLESHEET, minZoom=0.03, maxZoom=3,
                               boxSelectionEnabled=False, autoungrabify=True,
                               style={"width": "100%", "height": "100%"}),
                html.Div(id="graph-minimap", className="graph-minimap"),
            ]),
            html.Div(id="graph-details", className="graph-details", children=panel),
        ]),
        dcc.Store(id="graph-state", data=view_state),
    ])


_HINT = html.P("Click a node or group.", className="muted")


def _source_options(run: str | None) -> list[dict]:
    if not run or not state.ready():
        return []
    return [{"label": s.label, "value": s.key} for s in GV.sources(state.store(), run)]


def choose_source(run, current):
    options = _source_options(run)
    values = [o["value"] for o in options]
    return options, current if current in values else (values[0] if values else None)


def draw(run, source, tap, search, color_by, trace, step, _depth_clicks, _collapse, fold, depth,
         view_state):
    if not run or not source:
        raise PreventUpdate
    out = render(run, source, view_state or {}, ctx.triggered_id, tap=tap, search=search,
                 color_by=color_by, trace=trace, step=step, fold=fold, depth=depth)
    if out is None:
        raise PreventUpdate
    return out


def render(run: str, source: str, view_state: dict, trigger, *, tap=None, search="",
           color_by="op", trace="none", step=None, fold=("fold",), depth=2):
    """(elements, view state, details panel, status line) of ``run``'s graph ``source`` after
    the change ``trigger`` (a component id; None: the first view); None if there is no
    such graph."""
    store = state.store()
    fold_series = bool(fold) and not source.startswith("layer:")
    try:
        h = GV.hierarchy(store, run, source, fold_series)
    except InspectorError as err:
        return [], view_state, cards.empty_state(str(err)), str(err)
    if h is None:
        return None
    expanded = set(view_state.get("expanded") or [])
    selected = view_state.get("selected")
    status = f"{len(h.graph)} nodes"
    fresh = trigger in (None, "graph-run", "graph-source", "graph-fold") or \
        (view_state.get("source"), view_state.get("run")) != (source, run)
    if fresh or trigger == "graph-collapse":
        expanded = h.initial_expansion(GV.model_names(store, run))
        selected = None if fresh else selected
    matches: list[str] = []
    if search:
        try:
            matches = h.search(search)
        except re.error as err:
            status = f"bad regex: {err}"
        else:
            status = f"{len(matches)}{'+' if len(matches) >= 200 else ''} matches"
            if trigger in ("graph-search", None) or fresh:
                expanded |= h.reveal(matches)
    if trigger == "graph-expand-depth":
        expanded = h.expand_to_depth(int(depth or 1))
    elif trigger == "graph-cy" and tap and tap.get("data", {}).get("id") in h.items:
        tapped = tap["data"]["id"]
        item = h.items[tapped]
        if item.container and tapped in expanded:
            expanded = {e for e in expanded if e != tapped and tapped not in h.ancestors(e)}
        elif item.container:
            expanded.add(tapped)
        selected = tapped
    view = h.view(expanded)
    params = GV.param_counts(store, run)
    layers = GV.layer_paths(store, run) | set(params)
    stats = None
    if color_by in ("params", "gradnorm"):
        stats = params if color_by == "params" else GV.gradient_norms(store, run, step)
        layers = layers | set(stats)
        color_by = "stat"
    shown = selected if selected in h.items else None
    traced = GV.traced(view, shown, trace) if shown and trace != "none" else set()
    elements = GV.elements(h, view, color_by=color_by, stats=stats, layers=layers,
                           matches=matches, trace=traced, selected=shown)
    panel = _panel(h, shown, run, layers) if shown else _HINT
    status = f"{status} · {len(view.items)} shown"
    new_state = {"expanded": sorted(expanded), "selected": shown, "source": source, "run": run}
    return elements, new_state, panel, status


def _links(store, run: str, layer: str) -> list:
    """Links to the layer's weight histograms, kernels and activations in the run that holds
    them (the training run, for an inference graph)."""
    parent = run.rpartition("/")[0]
    runs = [run] + [r for r in store.runs() if r.rpartition("/")[0] == parent and r != run]

    def holding(kind, prefix):
        for r in runs:
            tags = [t for t in store.kinds(r).get(kind, []) if t.startswith(prefix + layer)]
            if tags:
                return r, tags[0]
        return run, None

    w_run, w_tag = holding(P.KIND_HISTOGRAMS, P.TAG_WEIGHTS)
    k_run, _ = holding(P.KIND_KERNELS, P.TAG_KERNELS)
    a_run, _ = holding(P.KIND_ACTIVATIONS, P.TAG_FEATURE_MAPS)
    return [dcc.Link("weight histograms", className="graph-link",
                     href=page_link("/distributions", run=w_run, tag=w_tag, layer=layer)),
            dcc.Link("kernels", className="graph-link", id="graph-kernels-link",
                     href=page_link("/kernels", run=k_run, layer=layer)),
            dcc.Link("activations", className="graph-link",
                     href=page_link("/activations", run=a_run, layer=layer))]


def _rows(pairs) -> html.Table:
    return html.Table(className="graph-table", children=[
        html.Tr([html.Td(str(a)), html.Td(str(b), className="muted")]) for a, b in pairs])


def _panel(h, item_id: str, run: str, layers: set[str]) -> list:
    d = GV.details(h, item_id)
    out: list = [html.H4(d["name"].rpartition("/")[2] or d["name"], className="graph-title"),
                 html.Div(d["name"], className="muted small graph-path"),
                 _rows([("kind", d["kind"]), ("op", d["op"] or "–"), ("nodes", d["count"]),
                        ("device", d["device"] or "–")])]
    layer = GV.layer_of(h, item_id, layers)
    if layer:
        out += [html.H5(f"Layer {layer}"), html.Div(_links(state.store(), run, layer),
                                                    className="graph-links")]
    if "op_counts" in d:
        out += [html.H5("Op types"), _rows(d["op_counts"])]
        return out
    if d["outputs_shapes"]:
        out += [html.H5("Outputs"), _rows(enumerate(d["outputs_shapes"]))]
    for key, title in (("inputs", "Inputs"), ("outputs", "Consumers")):
        more = d[f"{key}_total"] - len(d[key])
        out += [html.H5(f"{title} ({d[f'{key}_total']})"), _rows(d[key])]
        if more > 0:
            out.append(html.Div(f"… and {more} more", className="muted small"))
    if d["attributes"]:
        out += [html.H5("Attributes"), _rows(d["attributes"].items())]
    return out


def download(_png, _svg, source):
    kind = "svg" if ctx.triggered_id == "graph-svg" else "png"
    name = "graph-" + re.sub(r"[^A-Za-z0-9_-]", "_", source or "graph")
    options = {"full": True, "scale": 2, "bg": "#ffffff"} if kind == "png" else {"full": True}
    return {"type": kind, "action": "download", "filename": name, "options": options}


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (called by ``create_app`` for every page)."""
    app.callback(Output("graph-source", "options"), Output("graph-source", "value"),
                 Input("graph-run", "value"), State("graph-source", "value"),
                 prevent_initial_call=True)(choose_source)
    app.callback(
        Output("graph-cy", "elements"), Output("graph-state", "data"),
        Output("graph-details", "children"), Output("graph-status", "children"),
        Input("graph-run", "value"), Input("graph-source", "value"),
        Input("graph-cy", "tapNode"), Input("graph-search", "value"),
        Input("graph-color", "value"), Input("graph-trace", "value"),
        Input("graph-step", "value"), Input("graph-expand-depth", "n_clicks"),
        Input("graph-collapse", "n_clicks"), Input("graph-fold", "value"),
        State("graph-depth", "value"), State("graph-state", "data"),
        prevent_initial_call=True)(draw)
    app.callback(Output("graph-cy", "generateImage"), Input("graph-png", "n_clicks"),
                 Input("graph-svg", "n_clicks"), State("graph-source", "value"),
                 prevent_initial_call=True)(download)
