"""Kernels: every filter of a layer drawn from its raw tensor, at every logged step.

The grid is painted in the browser (``assets/kernels.js``) from int8 frames the server sends
once per layer in chunks (``dashboards.kernels_data``); the step slider, the play button, the
colour-scale toggle, the channel reduction and the difference-from-step-0 mode never go back
to the server. The per-filter statistics table is computed here when the slider is released.
Images of kernels written by other tools (e.g. the stock Keras callback's ``write_images``)
are shown below as plain images. URL: ``/kernels?run=..&layer=..&step=..``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import kernels_data as K
from dashboards import state
from dashboards.components import cards
from dashboards.components.links import page_link
from dashboards.components.step_slider import StepCards
from inspector.kinds import Kind

dash.register_page(__name__, path="/kernels", name="Kernels", title="Inspector · Kernels",
                   order=6)

IMG_PREFIX = "kimg"
VIEWS = [("channels", "every input channel"), ("mean", "mean over inputs"),
         ("absmax", "largest |w| over inputs"), ("l2", "L2 over inputs"),
         ("rgb", "colour (3 inputs)")]


def _render_image(run: str, tag: str, index: int) -> list:
    from dashboards.pages.images import render

    return render(run, tag, index)


IMAGE_CARDS = StepCards(IMG_PREFIX, Kind.IMAGES, _render_image,
                        empty="No images of kernels from other writers.")
IMAGE_CARDS.tags = K.kernel_image_tags  # only image tags that look like kernels


def _pick(options: list[str], wanted: str | None, fallback: list[str] | None = None):
    if wanted in options:
        return wanted
    for candidate in fallback or []:
        if candidate in options:
            return candidate
    return options[0] if options else None


def layout(runs: list[str] | None = None, run: str | None = None, layer: str | None = None,
           step: str | None = None, **_query) -> html.Div:
    store = state.store() if state.ready() else None
    kernel_runs = K.kernel_runs(store) if store else []
    chosen = _pick(kernel_runs, run, [r for r in runs or [] if r in kernel_runs])
    layers = K.kernel_layers(store, chosen) if store and chosen else []
    chosen_layer = _pick(layers, layer)
    empty = None if kernel_runs else cards.empty_state(
        "Reading the logdir…" if store is None else
        "No raw kernels in this logdir: train with the Inspector hook (kernel_freq ≥ 1). "
        "Images of kernels written by other tools are listed below.", loading=store is None)
    return html.Div(className="page kernels-page", children=[
        html.Div(className="toolbar", children=[
            dcc.Dropdown(id="kern-run", options=kernel_runs, value=chosen, clearable=False,
                         placeholder="run", className="kern-dropdown wide"),
            dcc.Dropdown(id="kern-layer", options=layers, value=chosen_layer, clearable=False,
                         placeholder="layer", className="kern-dropdown"),
            dcc.Dropdown(id="kern-view", options=[{"label": lab, "value": v}
                                                  for v, lab in VIEWS[:4]],
                         value="channels", clearable=False, className="kern-dropdown"),
            dcc.RadioItems(id="kern-scale", value="layer", inline=True, className="segmented",
                           options=[{"label": "Scale per layer", "value": "layer"},
                                    {"label": "per filter", "value": "filter"}]),
            dcc.RadioItems(id="kern-mode", value="weights", inline=True, className="segmented",
                           options=[{"label": "Weights", "value": "weights"},
                                    {"label": "Change since first step", "value": "diff"}]),
            html.A("Activations →", id="kern-act-link", className="kern-link",
                   href=page_link("/activations", run=chosen, layer=chosen_layer)),
        ]),
        empty,
        html.Div(className="card kern-card", hidden=not kernel_runs, children=[
            html.Div(className="step-row", children=[
                html.Button("▶ Play", id="kern-play", className="kern-play", n_clicks=0),
                html.Div(dcc.Slider(id="kern-slider", min=0, max=0, step=1, value=0,
                                    updatemode="mouseup", className="step-slider",
                                    allow_direct_input=False,
                                    marks=None), className="kern-slider-box"),
                html.Span(id="kern-step-label", className="step-label"),
            ]),
            html.Div(className="kern-legend", id="kern-legend", children=[
                html.Span(id="kern-legend-lo", className="kern-legend-lo"),
                html.Canvas(id="kern-legend-ramp", className="kern-legend-ramp"),
                html.Span(id="kern-legend-hi", className="kern-legend-hi"),
                html.Span(id="kern-legend-note", className="muted small"),
            ]),
            html.Div(html.Canvas(id="kern-canvas", className="kern-canvas"),
                     className="kern-canvas-box"),
            html.Div(id="kern-fv", hidden=True, className="kern-fv", children=[
                html.Div("What each filter responds to", className="card-title"),
                html.Div(id="kern-fv-caption", className="muted small"),
                html.Div(html.Canvas(id="kern-fv-canvas", className="kern-canvas"),
                         className="kern-canvas-box"),
            ]),
            html.Details(open=True, className="kern-stats-box", children=[
                html.Summary("Per-filter statistics"),
                html.Div(f"dead: norm under {K.DEAD:.0%} of the layer's median (black frame); "
                         f"unchanging: moved less than {K.UNCHANGED:.0%} of its first norm "
                         "(dashed amber frame). Flagged first.", className="muted small"),
                html.Div(id="kern-stats"),  # filled by assets/kernels.js with each step
            ]),
        ]),
        dcc.Store(id="kern-want-step", data=step),
        dcc.Store(id="kern-meta"), dcc.Store(id="kern-chunk"), dcc.Store(id="kern-request"),
        dcc.Store(id="kern-absorbed"), dcc.Store(id="kern-refresh"), dcc.Store(id="kern-live"),
        dcc.Interval(id="kern-player", interval=180, disabled=True),
        dcc.Interval(id="kern-fetch", interval=40, disabled=True),
        html.H3("Images of kernels (other writers, e.g. Keras' write_images)",
                className="kern-section"),
        html.Div(IMAGE_CARDS.layout(runs, toolbar=False) + [
            html.Div(IMAGE_CARDS.filter_input(), hidden=True)], className="fit"),
    ])


def _views(subs: int) -> list[tuple[str, str]]:
    views = VIEWS[:4] if subs > 1 else VIEWS[:1]
    return views + VIEWS[4:] if subs == 3 else views


def load_layer(run, layer, _refresh, want_step, index, old, view):
    """The layer's payload (``kern-meta``) and the slider, view choices and links for it."""
    trigger = dash.ctx.triggered_id
    store = state.store()
    tag = "kernels/" + str(layer)
    points = store.series(Kind.KERNELS, run, tag) \
        if run and layer and store.has(Kind.KERNELS, run, tag) else []
    if not points:
        return None, 0, None, 0, [], None, True, page_link("/activations", run=run)
    steps = [int(p.step) for p in points]
    last = len(steps) - 1
    if trigger == "kern-refresh" and old and old.get("layer") == layer:
        at_end = index is None or index >= len(old["steps"]) - 1
        value = last if at_end else min(index, last)
    elif trigger is None and want_step not in (None, ""):
        value = K.index_at_step(steps, want_step)
    else:
        value = last
    meta = K.layer_payload(store, run, layer, first=value)
    views = _views(meta["tiles"][1])
    options = [{"label": lab, "value": v} for v, lab in views]
    # A layer reading colour images opens in colour; otherwise the view chosen is kept when
    # the layer has it.
    default = "rgb" if meta["tiles"][1] == 3 else "channels"
    fresh = trigger != "kern-refresh" or not any(v == view for v, _ in views)
    keep = default if fresh and (default == "rgb" or view not in dict(views)) else view
    marks = {0: str(steps[0]), last: str(steps[-1])} if last else {0: str(steps[0])}
    return (meta, last, marks, value, options, keep, meta.get("fv") is None,
            page_link("/activations", run=run, layer=layer))


def send_frames(request):
    """One chunk of frames asked for by ``assets/kernels.js``."""
    if not request:
        raise PreventUpdate
    store = state.store()
    run, tag, chunk = request["run"], "kernels/" + request["layer"], int(request["chunk"])
    if not store.has(Kind.KERNELS, run, tag):
        raise PreventUpdate
    points = store.series(Kind.KERNELS, run, tag)
    form = K.layer_form(tuple(points[0].value.shape), K.input_shape(store, run))
    per = K.steps_per_chunk(form)
    return {"key": request["key"], "chunk": chunk, "start": chunk * per,
            "frames": K.frames_chunk(points, form, chunk, per)}


def register(app: dash.Dash) -> None:
    """The page's callbacks on ``app``."""
    IMAGE_CARDS.register(app)
    fn = dash.ClientsideFunction

    @app.callback(Output("kern-layer", "options"), Output("kern-layer", "value"),
                  Input("kern-run", "value"), State("kern-layer", "value"),
                  prevent_initial_call=True)
    def choose_layer(run, layer):
        layers = K.kernel_layers(state.store(), run) if run else []
        return layers, _pick(layers, layer)

    app.callback(Output("kern-meta", "data"), Output("kern-slider", "max"),
                 Output("kern-slider", "marks"), Output("kern-slider", "value"),
                 Output("kern-view", "options"), Output("kern-view", "value"),
                 Output("kern-fv", "hidden"), Output("kern-act-link", "href"),
                 Input("kern-run", "value"), Input("kern-layer", "value"),
                 Input("kern-refresh", "data"),
                 State("kern-want-step", "data"), State("kern-slider", "value"),
                 State("kern-meta", "data"), State("kern-view", "value"))(load_layer)
    app.callback(Output("kern-chunk", "data"), Input("kern-request", "data"),
                 prevent_initial_call=True)(send_frames)
    app.clientside_callback(fn("kernels", "ingest"),
                            Output("kern-request", "data"), Output("kern-fetch", "disabled"),
                            Input("kern-fetch", "n_intervals"), Input("kern-meta", "data"))
    app.clientside_callback(fn("kernels", "draw"),
                            Output("kern-step-label", "children"),
                            Output("kern-legend-lo", "children"),
                            Output("kern-legend-hi", "children"),
                            Output("kern-legend-note", "children"),
                            Input("kern-slider", "drag_value"), Input("kern-slider", "value"),
                            Input("kern-view", "value"), Input("kern-scale", "value"),
                            Input("kern-mode", "value"), Input("kern-meta", "data"))
    app.clientside_callback(fn("kernels", "live"),
                            Output("kern-live", "data"), Input("live-changes", "data"),
                            State("kern-run", "value"), State("kern-layer", "value"))
    app.clientside_callback(fn("kernels", "absorb"),
                            Output("kern-absorbed", "data"),
                            Input("kern-chunk", "data"), State("kern-meta", "data"))
    app.clientside_callback(fn("kernels", "play"),
                            Output("kern-slider", "value", allow_duplicate=True),
                            Output("kern-player", "disabled"), Output("kern-play", "children"),
                            Input("kern-play", "n_clicks"), Input("kern-player", "n_intervals"),
                            State("kern-slider", "value"), State("kern-meta", "data"),
                            State("kern-player", "disabled"), prevent_initial_call=True)
    app.clientside_callback(fn("kernels", "featureVis"),
                            Output("kern-fv-caption", "children"),
                            Input("kern-slider", "drag_value"), Input("kern-slider", "value"),
                            Input("kern-meta", "data"))
