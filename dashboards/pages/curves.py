"""Training curves: one card per scalar tag, runs overlaid, grouped by tag prefix.

The server sends each card's series once, decimated to the card's pixel width with every
bucket's min and max (``dashboards.series``); ``assets/curves.js`` smooths and draws them, so
the smoothing slider, x-axis switch, log scale and outlier clipping never wait for the
server. Cards, filtering and loading near the view come from ``TagCards``; a card (chart
and data) is built when it comes near the view and again when the run selection or the run
grouping changes. Zooming
re-queries the visible range; live updates extend or replace only the series that changed
(``Patch``). What goes into a card is in ``dashboards.curves_data``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import curves_data as data
from dashboards import state
from dashboards.aggregate import run_hparams
from dashboards.components.tag_cards import CardKey, TagCards
from dashboards.series import DEFAULT_MAX_POINTS
from inspector.events import plugins as P

dash.register_page(__name__, path="/", name="Curves", title="Inspector · Curves", order=0)

GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": False, "displayModeBar": "hover",
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "toImage"]}


EMPTY_FIGURE = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def render(key: CardKey, runs, viewport, agg) -> list:
    """A card's chart with its data (curves.js draws it) and its download buttons."""
    runs = runs or []
    px = int((viewport or {}).get("px") or DEFAULT_MAX_POINTS)
    payload, meta = data.card_payload(state.store(), key.tag, runs, agg, px,
                                      colors=state.run_colors(runs))
    ids = lambda part: CARDS.id(part, key)  # noqa: E731 - a short name for the ids
    return [
        dcc.Graph(id=ids("graph"), config=GRAPH_CONFIG, className="curve-graph",
                  figure=EMPTY_FIGURE),
        dcc.Store(id=ids("data"), data=payload),
        dcc.Store(id=ids("meta"), data=meta),
        dcc.Store(id=ids("view")),
        dcc.Store(id=ids("zoom")),  # the x range, when the user zooms
        html.Div(data.info_text(meta), id=ids("info"), className="card-info"),
    ]


def actions(key: CardKey) -> list:
    ids = lambda part: CARDS.id(part, key)  # noqa: E731 - a short name for the ids
    return [
        html.Button("CSV", id=ids("dl-csv"), className="link-button",
                    title="every point of this chart's runs, with the smoothed value"),
        html.Button("JSON", id=ids("dl-json"), className="link-button"),
        dcc.Download(id=ids("download")),
    ]


DEFAULT_AGG = {"mode": "none", "regex": "", "hparam": "", "band": "minmax"}
CARDS = TagCards("curves", P.KIND_SCALARS, render, per_run=False,
                 states=[("selected-runs", "data"), ("viewport", "data"), ("curves-agg", "data")],
                 refresh=[("selected-runs", "data"), ("curves-agg", "data")], live="page",
                 at_once=4, eager=4, part_callbacks=True, actions=lambda key: actions(key),
                 card_class="curve-card",
                 empty="No scalar data for the selected runs.")


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    hparam_names = []
    if state.ready():
        hparam_names = sorted({k for hp in run_hparams(state.store()).values() for k in hp})
    controls = [
        html.Div(className="control", children=[
            html.Label("Smoothing", htmlFor="curves-smoothing"),
            dcc.Slider(id="curves-smoothing", min=0, max=0.99, step=0.01, value=0.6,
                       marks=None, updatemode="mouseup", className="smoothing-slider",
                       tooltip={"placement": "bottom", "always_visible": False}),
            html.Span(id="curves-smoothing-value", className="slider-value"),
        ]),
        dcc.RadioItems(id="curves-xmode", value="step", inline=True, className="segmented",
                       options=[{"label": "Step", "value": "step"},
                                {"label": "Relative", "value": "relative"},
                                {"label": "Wall", "value": "wall"}]),
        dcc.Checklist(id="curves-options", value=[], inline=True, className="toggles",
                      options=[{"label": "Log y", "value": "logy"},
                               {"label": "Ignore outliers", "value": "outliers"},
                               {"label": "Show superseded", "value": "superseded"}]),
        html.Div(className="control agg", children=[
            html.Span("Group runs", className="muted"),
            dcc.RadioItems(id="curves-agg-mode", value="none", inline=True,
                           className="segmented",
                           options=[{"label": "off", "value": "none"},
                                    {"label": "by regex", "value": "regex"},
                                    {"label": "by hparam", "value": "hparam"}]),
            dcc.Input(id="curves-agg-regex", type="text", debounce=0.4,
                      placeholder=r"e.g. (.*)/seed\d+", className="text-input agg-regex"),
            dcc.Dropdown(id="curves-agg-hparam", options=hparam_names, placeholder="hparam",
                         className="agg-hparam"),
            dcc.RadioItems(id="curves-agg-band", value="minmax", inline=True,
                           className="segmented",
                           options=[{"label": "min–max", "value": "minmax"},
                                    {"label": "±1 std", "value": "std"}]),
        ]),
        html.Div(className="control downloads", children=[
            html.Span("All shown:", className="muted"),
            html.Button("CSV", id="curves-dl-csv", className="link-button"),
            html.Button("JSON", id="curves-dl-json", className="link-button"),
        ]),
    ]
    return html.Div(className="page curves-page", children=[
        *CARDS.layout(runs, controls=controls, initial=[runs, None, DEFAULT_AGG]),
        dcc.Store(id="curves-agg", data=DEFAULT_AGG),
        dcc.Store(id="curves-preview"),
        dcc.Download(id="curves-download-all"),
    ])


def step_ranges(relayout, view, runs: list[str], tag: str, xmode: str):
    """``curves_data.step_ranges`` on the served store: per-run step windows of a zoom."""
    return data.step_ranges(state.store(), relayout, view, runs, tag, xmode)


def card_data(relayout, xmode, view, runs, viewport, agg, graph_id):
    """A loaded card's payload again when it is zoomed, or switched to another x axis while
    zoomed (the first payload comes with the card, ``render``)."""
    trigger = ctx.triggered_id
    zoom_request = isinstance(trigger, dict) and trigger.get("type") == "curves-zoom"
    if not zoom_request and not (view or {}).get("zoomed"):
        raise PreventUpdate  # curves.js redraws the same data on the new axis
    if not state.ready():
        raise PreventUpdate
    store, tag, runs = state.store(), graph_id["tag"], runs or []
    px = int((viewport or {}).get("px") or DEFAULT_MAX_POINTS)
    ranges = step_ranges(relayout, view, runs, tag, xmode) if zoom_request else None
    payload, meta = data.card_payload(store, tag, runs, agg, px, ranges,
                                      colors=state.run_colors(runs))
    return payload, meta, data.info_text(meta)


def live_update(changes, metas, ids, runs, agg):
    """Loaded cards whose series grew: patched or re-queried (``curves_data``)."""
    if not changes or not changes.get("changed") or not state.ready():
        raise PreventUpdate
    runs = runs or []
    out = data.live_payloads(state.store(), changes, metas, [i["tag"] for i in ids], runs,
                             agg, state.run_colors(runs))
    if not any(m is not None for m in out[1]):
        raise PreventUpdate
    return [[dash.no_update if v is None else v for v in part] for part in out]


def download_card(_csv, _json, runs, smoothing):
    fmt = "csv" if ctx.triggered_id["type"] == "curves-dl-csv" else "json"
    return data.card_download(state.store(), ctx.triggered_id["tag"], runs or [],
                              smoothing or 0.0, fmt)


def download_selection(_csv, _json, runs, tag_filter):
    fmt = "csv" if ctx.triggered_id == "curves-dl-csv" else "json"
    return data.selection_download(state.store(), runs or [], tag_filter, fmt)


def register(app: dash.Dash) -> None:
    CARDS.register(app)
    one, every = CARDS.id, lambda part: {**CARDS.id(part), "tag": dash.ALL, "run": dash.ALL,
                                          "build": dash.ALL}
    app.clientside_callback(  # the number follows the slider while it is dragged
        dash.ClientsideFunction("curves", "smoothingText"),
        Output("curves-smoothing-value", "children"), Input("curves-smoothing", "value"),
        Input("curves-smoothing", "drag_value"))
    app.clientside_callback(  # each grouping control shows only where it applies
        dash.ClientsideFunction("curves", "aggControls"),
        Output("curves-agg-regex", "style"), Output("curves-agg-hparam", "style"),
        Output("curves-agg-band", "style"), Input("curves-agg-mode", "value"))
    app.clientside_callback(
        dash.ClientsideFunction("curves", "agg"), Output("curves-agg", "data"),
        Input("curves-agg-mode", "value"), Input("curves-agg-regex", "value"),
        Input("curves-agg-hparam", "value"), Input("curves-agg-band", "value"),
        prevent_initial_call=True)
    app.clientside_callback(  # lines follow the slider while it is dragged
        dash.ClientsideFunction("curves", "preview"), Output("curves-preview", "data"),
        Input("curves-smoothing", "drag_value"), prevent_initial_call=True)
    app.clientside_callback(
        dash.ClientsideFunction("curves", "figure"),
        Output(one("graph"), "figure"), Output(one("view"), "data"),
        Input(one("data"), "data"), Input("curves-smoothing", "value"),
        Input("curves-xmode", "value"), Input("curves-options", "value"))
    # Only a change of the x range reaches the server: a y pan, an autosize or a hover does
    # not (and so never supersedes a card's first data request with a no-op).
    app.clientside_callback(
        """(relayout) => {
            const keys = ["xaxis.range[0]", "xaxis.range", "xaxis.autorange"];
            return relayout && keys.some((k) => k in relayout) ? relayout
                                                               : window.dash_clientside.no_update;
        }""",
        Output(one("zoom"), "data"), Input(one("graph"), "relayoutData"),
        prevent_initial_call=True)
    app.callback(
        Output(one("data"), "data"), Output(one("meta"), "data"),
        Output(one("info"), "children"),
        Input(one("zoom"), "data"), Input("curves-xmode", "value"),
        State(one("view"), "data"), State("selected-runs", "data"),
        State("viewport", "data"), State("curves-agg", "data"), State(one("graph"), "id"),
        prevent_initial_call=True)(card_data)
    app.callback(
        Output(every("data"), "data", allow_duplicate=True),
        Output(every("meta"), "data", allow_duplicate=True),
        Output(every("info"), "children", allow_duplicate=True),
        Input("live-changes", "data"),
        State(every("meta"), "data"), State(every("meta"), "id"),
        State("selected-runs", "data"), State("curves-agg", "data"),
        prevent_initial_call=True)(live_update)
    app.callback(
        Output(one("download"), "data"),
        Input(one("dl-csv"), "n_clicks"), Input(one("dl-json"), "n_clicks"),
        State("selected-runs", "data"), State("curves-smoothing", "value"),
        prevent_initial_call=True)(download_card)
    app.callback(
        Output("curves-download-all", "data"),
        Input("curves-dl-csv", "n_clicks"), Input("curves-dl-json", "n_clicks"),
        State("selected-runs", "data"), State(CARDS.filter_id, "value"),
        prevent_initial_call=True)(download_selection)

