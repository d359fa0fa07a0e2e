"""Projector: embeddings of the selected runs (and of TensorBoard projector folders in the
logdir) in 2-D or 3-D by PCA, t-SNE or UMAP, coloured by label, with the input picture of a
hovered point when one was logged.

Projections are computed on the server (``dashboards.projector_data``) and kept in a small
cache, so scrubbing back to a step or switching 2-D/3-D does not recompute t-SNE.
"""

from __future__ import annotations

from collections import OrderedDict

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboards import projector_data as proj
from dashboards import state
from dashboards.components import cards
from dashboards.security import safe_image_uri
from inspector.errors import InspectorError
from inspector.kinds import Kind

dash.register_page(__name__, path="/projector", name="Projector",
                   title="Inspector · Projector", order=7)

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": "hover"}
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
_CACHE: OrderedDict = OrderedDict()  # (key, step, method, dims, store version) -> coords
CACHE_SIZE = 16


def sets(runs: list[str]) -> list[proj.EmbeddingSet]:
    store = state.store()
    return proj.store_sets(store, runs) + proj.projector_sets(store.logdir)


def _coords(item: proj.EmbeddingSet, emb: proj.Embedding, method: str, dims: int):
    key = (state.store().logdir, item.key, emb.step, method, dims, len(emb.vectors))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    coords = proj.project(emb.vectors, method, dims)
    _CACHE[key] = coords
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return coords


def figure(coords, labels: list[str], dims: int, title: str) -> go.Figure:
    """One trace per label (legend toggles classes); a point's customdata is its row."""
    fig = go.Figure()
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(labels[: len(coords)]):
        by_label.setdefault(lab, []).append(i)
    ordered = sorted(by_label, key=lambda s: (len(s), s))
    for lab in ordered:
        idx = by_label[lab]
        common = {"name": lab or "(no label)", "mode": "markers", "customdata": idx,
                  "hovertemplate": f"{lab} · #%{{customdata}}<extra></extra>"}
        if dims == 3:
            fig.add_trace(go.Scatter3d(x=coords[idx, 0], y=coords[idx, 1], z=coords[idx, 2],
                                       marker={"size": 3}, **common))
        else:
            fig.add_trace(go.Scattergl(x=coords[idx, 0], y=coords[idx, 1],
                                       marker={"size": 6, "opacity": 0.85}, **common))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=620,
                      title={"text": title, "font": {"size": 12}}, plot_bgcolor="white",
                      legend={"itemsizing": "constant"})
    return fig


def view(key: str | None, runs: list[str], step_index, method: str, dims: int):
    """(figure or message, slider max, slider value, slider marks) for one embeddings set."""
    item = next((s for s in sets(runs) if s.key == key), None)
    if item is None:
        return html.Div("Pick a set of embeddings.", className="muted"), 0, 0, {}
    steps = []
    if item.run:
        steps = [p.step for p in proj.points_of(state.store(), Kind.EMBEDDINGS, item.run,
                                                 item.tag)]
    index = len(steps) - 1 if step_index is None else max(0, min(int(step_index),
                                                                 len(steps) - 1))
    try:
        emb = proj.load(state.store(), item, index if steps else None)
        coords = _coords(item, emb, method, dims)
    except InspectorError as err:
        return html.Div(str(err), className="muted"), 0, 0, {}
    title = (f"{len(coords)} points · {emb.vectors.shape[1]} dimensions · "
             f"{METHOD_NAMES.get(method, method)}" + (f" · step {emb.step}" if steps else ""))
    graph = dcc.Graph(id="proj-graph", figure=figure(coords, emb.labels, dims, title),
                      config=GRAPH_CONFIG, clear_on_unhover=True)
    marks = {i: str(s) for i, s in enumerate(steps)} if len(steps) <= 12 else \
        {0: str(steps[0]), len(steps) - 1: str(steps[-1])}
    return graph, max(len(steps) - 1, 0), max(index, 0), marks


def layout(runs: list[str] | None = None, run: str | None = None, tag: str | None = None,
           **_query) -> html.Div:
    if not state.ready():
        return html.Div(cards.empty_state("Reading the logdir…", loading=True), className="page")
    found = sets(runs or [])
    if not found:
        return html.Div(className="page", children=[cards.empty_state(
            "No embeddings for the selected runs (the hook logs them with validation data; "
            "TensorBoard projector folders need a projector_config.pbtxt).")])
    chosen = next((s.key for s in found if s.run == run and s.tag == tag), found[0].key)
    available = proj.methods()
    body, top, value, marks = view(chosen, runs or [], None, "pca", 2)
    return html.Div(className="page proj-page", children=[
        html.Div(className="toolbar", children=[
            dcc.Dropdown(id="proj-set", options=[{"label": s.label, "value": s.key}
                                                 for s in found],
                         value=chosen, clearable=False, className="run-dropdown"),
            dcc.RadioItems(id="proj-method", value="pca", inline=True, className="segmented",
                           options=[{"label": METHOD_NAMES[m], "value": m} for m in available]),
            dcc.RadioItems(id="proj-dims", value=2, inline=True, className="segmented",
                           options=[{"label": "2-D", "value": 2}, {"label": "3-D", "value": 3}]),
            html.Div(className="control eval-slider", children=[
                html.Label("Step"),
                dcc.Slider(id="proj-step", min=0, max=top, step=1, value=value, marks=marks,
                           updatemode="mouseup", allow_direct_input=False,
                           className="step-slider"),
            ]),
        ]),
        # The tooltip's box is relative to the graph: both share one positioned parent.
        cards.card("Embeddings", [html.Div(style={"position": "relative"}, children=[
            dcc.Loading(html.Div(body, id="proj-body"), delay_show=300),
            dcc.Tooltip(id="proj-tooltip")])],
                   subtitle="hover a point for its input; click legend entries to hide classes",
                   class_name="card proj-card"),
    ])


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (``create_app`` calls this)."""

    @app.callback(Output("proj-body", "children"), Output("proj-step", "max"),
                  Output("proj-step", "value"), Output("proj-step", "marks"),
                  Input("proj-set", "value"), Input("proj-method", "value"),
                  Input("proj-dims", "value"), Input("proj-step", "value"),
                  State("selected-runs", "data"), prevent_initial_call=True)
    def redraw(key, method, dims, index, runs):
        new_set = ctx.triggered_id == "proj-set"
        body, top, value, marks = view(key, runs or [], None if new_set else index, method,
                                       int(dims))
        return body, top, value if value != index else no_update, marks

    @app.callback(Output("proj-set", "options"), Input("selected-runs", "data"),
                  prevent_initial_call=True)
    def follow_selection(runs):
        return [{"label": s.label, "value": s.key} for s in sets(runs or [])]

    @app.callback(Output("proj-tooltip", "show"), Output("proj-tooltip", "bbox"),
                  Output("proj-tooltip", "children"), Input("proj-graph", "hoverData"),
                  State("proj-set", "value"), State("proj-step", "value"),
                  State("selected-runs", "data"), prevent_initial_call=True)
    def hover(data, key, index, runs):
        if not data or not data.get("points"):
            return False, no_update, no_update
        point = data["points"][0]
        row = point.get("customdata")
        item = next((s for s in sets(runs or []) if s.key == key), None)
        if item is None or row is None:
            return False, no_update, no_update
        try:
            emb = proj.load(state.store(), item, index if item.run else None)
        except InspectorError:
            return False, no_update, no_update
        row = int(row[0] if isinstance(row, list) else row)
        label = emb.labels[row] if row < len(emb.labels) else ""
        uri = safe_image_uri(emb.images[row])[0] if row < len(emb.images) else None
        children = [html.Img(src=uri, className="proj-thumb") if uri else None,
                    html.Div(f"{label or '(no label)'} · #{row}", className="proj-caption")]
        return True, point.get("bbox"), children
