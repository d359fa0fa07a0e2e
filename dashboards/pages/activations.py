"""Activations: a layer's outputs on the probe inputs at any logged step, each probe input
shown beside its feature maps; one filter across all probes; the probes that excite it most.

Conv and pooling layers show one map per channel, recurrent layers one steps x channels
picture, dense layers one cell per unit. Maps are painted on canvases by
``assets/kernels.js`` from int8 data (``dashboards.activations_data``), one diverging scale
per layer centred on zero. URL: ``/activations?run=..&layer=..&step=..``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from dashboards import activations_data as A
from dashboards import state
from dashboards.components import cards
from dashboards.components.links import page_link
from dashboards.kernels_data import index_at_step, series
from inspector.events import plugins as P
from inspector.kinds import Kind

dash.register_page(__name__, path="/activations", name="Activations",
                   title="Inspector · Activations", order=7)


def _pick(options: list[str], wanted: str | None, fallback: list[str] | None = None):
    for candidate in [wanted, *(fallback or [])]:
        if candidate in options:
            return candidate
    return options[0] if options else None


def layout(runs: list[str] | None = None, run: str | None = None, layer: str | None = None,
           step: str | None = None, **_query) -> html.Div:
    store = state.store() if state.ready() else None
    act_runs = A.activation_runs(store) if store else []
    chosen = _pick(act_runs, run, [r for r in runs or [] if r in act_runs])
    layers = A.activation_layers(store, chosen) if store and chosen else []
    return html.Div(className="page activations-page", children=[
        html.Div(className="toolbar", children=[
            dcc.Dropdown(id="act-run", options=act_runs, value=chosen, clearable=False,
                         placeholder="run", className="kern-dropdown wide"),
            dcc.Dropdown(id="act-layer", options=layers, value=_pick(layers, layer),
                         clearable=False, placeholder="layer", className="kern-dropdown"),
            dcc.Dropdown(id="act-filter", options=[], value=None, clearable=True,
                         placeholder="one filter across probes…", className="kern-dropdown"),
            html.A("Kernels →", id="act-kern-link", className="kern-link",
                   href=page_link("/kernels", run=chosen, layer=layer)),
        ]),
        None if act_runs else cards.empty_state(
            "Reading the logdir…" if store is None else "No feature maps in this logdir: "
            "train with the Inspector hook (activation_freq ≥ 1, validation_data given).",
            loading=store is None),
        html.Div(className="card kern-card", hidden=not act_runs, children=[
            html.Div(className="step-row", children=[
                html.Div(dcc.Slider(id="act-slider", min=0, max=0, step=1, value=0,
                                    updatemode="mouseup", marks=None,
                                    allow_direct_input=False, className="step-slider"),
                         className="kern-slider-box"),
                html.Span(id="act-step-label", className="step-label"),
            ]),
            html.Div(className="kern-legend", children=[
                html.Span(id="act-legend-lo", className="kern-legend-lo"),
                html.Canvas(id="kern-legend-ramp", className="kern-legend-ramp"),
                html.Span(id="act-legend-hi", className="kern-legend-hi"),
                html.Span("one scale for the layer · activation, 0 is white",
                          className="muted small"),
            ]),
            html.Div(id="act-body"),
        ]),
        dcc.Store(id="act-want-step", data=step), dcc.Store(id="act-steps"),
        dcc.Store(id="act-data"), html.Div(id="act-drawn", hidden=True),
        dcc.Store(id="act-refresh"), dcc.Store(id="act-live"),
    ])


def choose_layer(run, layer):
    layers = A.activation_layers(state.store(), run) if run else []
    return layers, _pick(layers, layer)


def load_layer(run, layer, _refresh, want_step, index, old_steps, old_filters):
    """Slider, steps, filter choices and link for the chosen layer."""
    trigger = dash.ctx.triggered_id
    tag = P.TAG_FEATURE_MAPS + str(layer)
    points = series(state.store(), Kind.ACTIVATIONS, run, tag) if run and layer else []
    link = page_link("/kernels", run=run, layer=layer)
    if not points:
        return 0, None, 0, [], [], link
    steps = [int(p.step) for p in points]
    last = len(steps) - 1
    if trigger == "act-refresh":
        value = last if index is None or index >= len(old_steps or []) - 1 else index
    elif trigger is None and want_step not in (None, ""):
        value = index_at_step(steps, want_step)
    else:
        value = last
    channels = points[-1].value.shape[-1]
    filters = [{"label": f"filter {c}", "value": c} for c in range(channels)]
    marks = {0: str(steps[0]), last: str(steps[-1])} if last else {0: str(steps[0])}
    return last, marks, value, steps, filters if filters != old_filters else dash.no_update, link


def _probe_figure(uri: str | None, label: str | None, index: int, caption: str = "") -> html.Div:
    return html.Figure(className="act-input", children=[
        html.Img(src=uri, alt=f"probe {index}") if uri else html.Div("(not an image)",
                                                                   className="muted small"),
        html.Figcaption(f"probe {index}" + (f" · {label}" if label else "") + caption,
                        className="small"),
    ])


def show_step(index, channel, steps, run, layer):
    """The probe rows (or one filter across probes) and the maps' data at one step."""
    store = state.store()
    tag = P.TAG_FEATURE_MAPS + str(layer)
    points = series(store, Kind.ACTIVATIONS, run, tag) if run and layer else []
    if not points:
        return cards.empty_state("No feature maps for this layer."), None, ""
    i = max(0, min(int(index or 0), len(points) - 1))
    maps = points[i].value
    info = store.tag_info(run, tag)
    meta = info.metadata if info else None
    first = getattr(meta, "probe_index", 0)
    images = A.probe_images(store, run, getattr(meta, "inputs_tag", P.TAG_PROBE_INPUTS))
    labels = A.probe_labels(store, run)
    label = f"step {points[i].step:,}  ({i + 1} of {len(points)})"
    n = len(maps)

    def input_of(p: int) -> html.Div:
        k = first + p
        return _probe_figure(images[k] if k < len(images) else None, labels.get(k), k)

    if maps.ndim == 4:
        what = f"{maps.shape[-1]} maps of {maps.shape[1]}×{maps.shape[2]}"
    elif maps.ndim == 3:
        what = f"{maps.shape[1]} steps (rows) × {maps.shape[2]} units"
    else:
        what = f"{maps.shape[-1]} units"
    if channel is None:
        rows = [html.Div(className="act-row", children=[
            input_of(p),
            html.Div([html.Div(what, className="muted small"),
                      html.Canvas(className="act-canvas", **{"data-probe": str(p)},
                                  id=f"act-canvas-{p}")]),
        ]) for p in range(n)]
        return rows, A.maps_payload(maps), label
    channel = int(channel)
    ranked = A.top_probes(maps, channel)
    body = [
        html.Div(f"filter {channel} on each of the {n} probes", className="card-title"),
        html.Div(className="act-top", children=[input_of(p) for p in range(n)]),
        html.Canvas(className="act-canvas", id="act-canvas-filter",
                    **{"data-filter": str(channel), "data-probe": "-1"}),
        html.Div("Probes that excite it most (mean activation)", className="card-title"),
        html.Div(className="act-top", children=[
            _probe_figure(images[first + p] if first + p < len(images) else None,
                          labels.get(first + p), first + p, f" · {mean:.3g}")
            for p, mean in ranked]),
    ]
    return body, A.maps_payload(maps), label


DRAW = """(data, body) => {
    const draw = () => window.dash_clientside.kernels.activations(data);
    const out = draw();
    setTimeout(draw, 0);  // the canvases of the same update may not be mounted yet
    const max = data ? Math.max(0, ...data.s) : 0;
    return [out, max ? '−' + max.toFixed(3) : '', max ? '+' + max.toFixed(3) : ''];
}"""


def register(app: dash.Dash) -> None:
    """The page's callbacks on ``app``."""
    app.callback(Output("act-layer", "options"), Output("act-layer", "value"),
                 Input("act-run", "value"), State("act-layer", "value"),
                 prevent_initial_call=True)(choose_layer)
    app.callback(Output("act-slider", "max"), Output("act-slider", "marks"),
                 Output("act-slider", "value"), Output("act-steps", "data"),
                 Output("act-filter", "options"), Output("act-kern-link", "href"),
                 Input("act-run", "value"), Input("act-layer", "value"),
                 Input("act-refresh", "data"),
                 State("act-want-step", "data"), State("act-slider", "value"),
                 State("act-steps", "data"), State("act-filter", "options"))(load_layer)
    app.callback(Output("act-body", "children"), Output("act-data", "data"),
                 Output("act-step-label", "children"),
                 Input("act-slider", "value"), Input("act-filter", "value"),
                 Input("act-steps", "data"), State("act-run", "value"),
                 State("act-layer", "value"))(show_step)
    app.clientside_callback(DRAW, Output("act-drawn", "children"),
                            Output("act-legend-lo", "children"),
                            Output("act-legend-hi", "children"),
                            Input("act-data", "data"), Input("act-body", "children"))
    app.clientside_callback(dash.ClientsideFunction("kernels", "activationsLive"),
                            Output("act-live", "data"), Input("live-changes", "data"),
                            State("act-run", "value"), State("act-layer", "value"))
