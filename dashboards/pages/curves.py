"""Training curves: one card per scalar tag, runs overlaid, grouped by tag prefix.

The server sends each card's series once, decimated to the card's pixel width with every
bucket's min and max (``dashboards.series``); ``assets/curves.js`` smooths and draws them, so
the smoothing slider, x-axis switch, log scale and outlier clipping never wait for the
server. A card asks for its data when it first comes near the view, so a logdir with many
tags draws its first charts as fast as one with few. Zooming re-queries the visible range;
live updates extend or replace only the series that changed (``Patch``).
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

import dash
import numpy as np
from dash import ALL, MATCH, Input, Output, Patch, State, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import state
from dashboards.aggregate import (
    aggregate,
    bucket_aggregate,
    group_runs_by_hparam,
    group_runs_by_regex,
    run_hparams,
)
from dashboards.components import cards
from dashboards.components.run_names import run_labels
from dashboards.downloads import card_csv, card_json, safe_filename, selection_export
from dashboards.series import (
    DEFAULT_MAX_POINTS,
    compile_filter,
    group_tags,
    pack_chunk,
    query_series,
    run_payload,
)
from inspector.events import plugins as P

dash.register_page(__name__, path="/", name="Curves", title="Inspector · Curves", order=0)

GRAPH_CONFIG = {"displaylogo": False, "scrollZoom": False, "displayModeBar": "hover",
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "toImage"]}


def _tag_id(kind: str, tag, build) -> dict:
    """Ids of a card's parts: its tag and its build, so that a rebuilt card (same tag) never
    shares an id with the one it replaces while Dash swaps the layout."""
    return {"type": kind, "tag": tag, "build": build}


def _match(kind: str) -> dict:
    return _tag_id(kind, MATCH, MATCH)


def _every(kind: str) -> dict:
    return _tag_id(kind, ALL, ALL)


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    runs = runs or []
    hparam_names = []
    if state.ready():
        hparam_names = sorted({k for hp in run_hparams(state.store()).values() for k in hp})
    controls = html.Div(className="toolbar", children=[
        dcc.Input(id="curves-tag-filter", type="text", placeholder="filter tags (regex)",
                  debounce=0.3, className="text-input"),
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
                               {"label": "Ignore outliers", "value": "outliers"}]),
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
    ])
    children, tags = _cards(runs, "")
    return html.Div(className="page curves-page", children=[
        controls,
        dcc.Store(id="curves-agg", data={"mode": "none", "regex": "", "hparam": "",
                                         "band": "minmax"}),
        dcc.Store(id="curves-tags", data=tags),
        dcc.Store(id="curves-rebuild", data=0),
        dcc.Store(id="curves-preview"),
        dcc.Download(id="curves-download-all"),
        html.Div(id="curves-filter-error", className="filter-error"),
        html.Div(id="curves-cards", children=children),
    ])


def _cards(runs: list[str], tag_filter: str | None) -> tuple[list, list[str]]:
    if not state.ready():
        return [cards.empty_state("Reading the logdir…", loading=True)], []
    store = state.store()
    by_run = store.tags(P.KIND_SCALARS)
    pattern, _ = compile_filter(tag_filter)
    tags = sorted({t for r in runs for t in by_run.get(r, [])
                   if pattern is None or pattern.search(t)})
    if not tags:
        text = ("No scalar data for the selected runs." if runs else "No runs selected.")
        return [cards.empty_state(text)], []
    build = str(time.time_ns())
    return [cards.group_section(prefix or "top level", [_card(t, build) for t in group])
            for prefix, group in group_tags(tags)], tags


def _card(tag: str, build: str) -> html.Div:
    actions = [
        html.Button("CSV", id=_tag_id("curve-dl-csv", tag, build), className="link-button",
                    title="every point of this chart's runs, with the smoothed value"),
        html.Button("JSON", id=_tag_id("curve-dl-json", tag, build), className="link-button"),
        dcc.Download(id=_tag_id("curve-download", tag, build)),
    ]
    body = [
        dcc.Graph(id=_tag_id("curve-graph", tag, build), config=GRAPH_CONFIG,
                  className="curve-graph",
                  figure={"data": [], "layout": {"xaxis": {"visible": False},
                                                 "yaxis": {"visible": False}}}),
        dcc.Store(id=_tag_id("curve-data", tag, build)),
        dcc.Store(id=_tag_id("curve-meta", tag, build)),
        dcc.Store(id=_tag_id("curve-view", tag, build)),
        dcc.Store(id=_tag_id("curve-visible", tag, build)),  # set by curves.js near the view
        dcc.Store(id=_tag_id("curve-zoom", tag, build)),  # the x range, when the user zooms
    ]
    info = html.Span(id=_tag_id("curve-info", tag, build))
    return cards.card(tag, body, actions=actions, info=info,
                      class_name="card curve-card",
                      # A new React key per build: fresh components, fresh visibility.
                      attrs={"data-tag": tag, "data-build": build, "key": f"{tag}@{build}"})


# ---------------------------------------------------------------- building the cards
@dash.callback(Output("curves-cards", "children"), Output("curves-tags", "data"),
               Output("curves-filter-error", "children"),
               Input("selected-runs", "data"), Input("curves-tag-filter", "value"),
               Input("curves-rebuild", "data"), prevent_initial_call=True)
def rebuild_cards(runs, tag_filter, _rebuild):
    children, tags = _cards(runs or [], tag_filter)
    return children, tags, compile_filter(tag_filter)[1]


clientside_callback(dash.ClientsideFunction("curves", "smoothingText"),  # live while dragged
                    Output("curves-smoothing-value", "children"),
                    Input("curves-smoothing", "value"), Input("curves-smoothing", "drag_value"))

clientside_callback(dash.ClientsideFunction("curves", "aggControls"),  # only what applies
                    Output("curves-agg-regex", "style"), Output("curves-agg-hparam", "style"),
                    Output("curves-agg-band", "style"), Input("curves-agg-mode", "value"))

clientside_callback(
    dash.ClientsideFunction("curves", "agg"), Output("curves-agg", "data"),
    Input("curves-agg-mode", "value"), Input("curves-agg-regex", "value"),
    Input("curves-agg-hparam", "value"), Input("curves-agg-band", "value"),
    prevent_initial_call=True)

clientside_callback(  # lines follow the slider while it is dragged
    dash.ClientsideFunction("curves", "preview"), Output("curves-preview", "data"),
    Input("curves-smoothing", "drag_value"), prevent_initial_call=True)

clientside_callback(
    dash.ClientsideFunction("curves", "figure"),
    Output(_match("curve-graph"), "figure"), Output(_match("curve-view"), "data"),
    Input(_match("curve-data"), "data"), Input("curves-smoothing", "value"),
    Input("curves-xmode", "value"), Input("curves-options", "value"))


# ---------------------------------------------------------------- one card's data
def _uirev(tag: str, names: list[str], agg: dict) -> str:
    key = "\n".join([tag, *names, repr(sorted((agg or {}).items()))])
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def card_payload(tag: str, runs: list[str], agg: dict | None, max_points: int,
                 ranges: dict[str, tuple[float, float]] | None = None) -> tuple[dict, dict]:
    """(data for curves.js, small meta for live updates) of one card."""
    store = state.store()
    runs = [r for r in runs if tag in store.tags(P.KIND_SCALARS, r).get(r, [])]
    colors = state.run_colors(runs)
    agg = agg or {}
    groups = _groups(runs, agg)
    data = {"tag": tag, "series": {}, "order": [], "range": bool(ranges)}
    meta = {"runs": {}, "agg": groups is not None, "px": max_points, "range": bool(ranges),
            "ranges": {r: list(v) for r, v in (ranges or {}).items()}}
    if groups is None:
        for run in runs:
            series = query_series(store, run, tag, (ranges or {}).get(run), max_points)
            data["series"][run] = run_payload(series, run, colors[run])
            data["order"].append(run)
            meta["runs"][run] = _run_meta(series.steps, series.wall_times, series.decimated,
                                          series.wall0, series.total)
    else:
        for name, members in groups.items():
            parts = []
            for run in members:
                s = store.scalars(run, tag)
                if not len(s.steps):
                    continue
                steps, walls, values = s.steps, s.wall_times - s.wall_times[0], s.values
                if ranges and run in ranges:  # zoomed: aggregate the visible steps only
                    lo, hi = ranges[run]
                    keep = slice(np.searchsorted(steps, lo, "left"),
                                 np.searchsorted(steps, hi, "right"))
                    steps, walls, values = steps[keep], walls[keep], values[keep]
                if len(steps):
                    parts.append((steps, walls, values))
            b = bucket_aggregate(aggregate(parts, agg.get("band", "minmax")), max_points)
            label = f"{name} ({len(members)} runs)"
            data["series"][label] = {
                "name": label, "color": colors[members[0]], "kind": "group", "wall0": min(
                    (float(store.scalars(r, tag).wall_times[0]) for r in members), default=0.0),
                "total": sum(store.scalars(r, tag).total for r in members), "dec": True,
                "chunks": [pack_chunk(b["steps"], b["rel_walls"], b["values"], b["mins"],
                                      b["maxs"], b["means"], b["counts"])]}
            data["order"].append(label)
            meta["runs"].update({r: {"group": label} for r in members})
    data["uirev"] = _uirev(tag, data["order"], agg)
    if groups is None:  # legend and hover names
        data["labels"] = run_labels(data["order"], store.runs())
    return data, meta


def _groups(runs: list[str], agg: dict) -> dict[str, list[str]] | None:
    mode = agg.get("mode", "none")
    if mode == "regex" and agg.get("regex"):
        pattern, _ = compile_filter(agg["regex"])
        return group_runs_by_regex(runs, pattern)
    if mode == "hparam" and agg.get("hparam"):
        return group_runs_by_hparam(runs, run_hparams(state.store()), agg["hparam"])
    return None


def info_text(meta: dict) -> str:
    totals = [m.get("total", 0) for m in meta["runs"].values() if "total" in m]
    if meta.get("agg"):
        return f"{len(set(m['group'] for m in meta['runs'].values()))} groups"
    points = sum(totals)
    shown = "all points" if not any(m.get("dec") for m in meta["runs"].values()) else (
        f"≤{meta['px']} buckets/run, min–max kept")
    zoom = " · zoomed" if meta.get("range") else ""
    return f"{len(totals)} runs · {points:,} points · {shown}{zoom}"


def step_ranges(relayout: dict | None, view: dict | None, runs: list[str], tag: str,
                xmode: str) -> dict[str, tuple[float, float]] | None:
    """Per-run step ranges for a zoomed x axis; None when the whole series is shown."""
    if not relayout or relayout.get("xaxis.autorange"):
        return None
    if "xaxis.range[0]" in relayout:
        a, b = relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]
    elif isinstance(relayout.get("xaxis.range"), list):
        a, b = relayout["xaxis.range"]
    else:
        return None
    store, view = state.store(), view or {}
    offsets = None
    if xmode == "relative":
        unit = float(view.get("unit", 1))
        lo_rel, hi_rel = float(a) * unit, float(b) * unit
    elif xmode == "wall":
        tz = float(view.get("tz", 0)) / 1000.0
        lo_rel, hi_rel = _date_seconds(a) + tz, _date_seconds(b) + tz
        offsets = 0.0
    out = {}
    for run in runs:
        s = store.scalars(run, tag)
        if not len(s.steps):
            continue
        if xmode == "step":
            axis, lo_x, hi_x = s.steps, float(a), float(b)
        else:
            base = s.wall_times[0] if offsets is None else offsets
            axis, lo_x, hi_x = s.wall_times, base + lo_rel, base + hi_rel
        lo = np.searchsorted(axis, lo_x, "left")
        hi = np.searchsorted(axis, hi_x, "right") - 1
        # One point beyond each edge so the lines run to the border of the zoomed view (and
        # a zoom between two logged steps still holds the two points around it).
        lo, hi = max(lo - 1, 0), min(hi + 1, len(s.steps) - 1)
        out[run] = (float(s.steps[lo]), float(s.steps[hi]))
    return out


def _date_seconds(text) -> float:
    if isinstance(text, (int, float)):
        return float(text) / 1000.0
    return datetime.fromisoformat(str(text)).replace(tzinfo=timezone.utc).timestamp()


# Only a change of the x range reaches the server: a y pan, an autosize or a hover does not
# (and so never supersedes a card's first data request with a no-op).
clientside_callback(
    """(relayout) => {
        const keys = ["xaxis.range[0]", "xaxis.range", "xaxis.autorange"];
        return relayout && keys.some((k) => k in relayout) ? relayout
                                                           : window.dash_clientside.no_update;
    }""",
    Output(_match("curve-zoom"), "data"), Input(_match("curve-graph"), "relayoutData"),
    prevent_initial_call=True)


@dash.callback(
    Output(_match("curve-data"), "data"), Output(_match("curve-meta"), "data"),
    Output(_match("curve-info"), "children"),
    Input(_match("curve-zoom"), "data"), Input("curves-xmode", "value"),
    Input("curves-agg", "data"), Input(_match("curve-visible"), "data"),
    State(_match("curve-view"), "data"), State("selected-runs", "data"),
    State("viewport", "data"), State(_match("curve-graph"), "id"), prevent_initial_call=True)
def card_data(relayout, xmode, agg, visible, view, runs, viewport, graph_id):
    if not visible:
        raise PreventUpdate  # cards load when they come near the view (curves.js)
    trigger = ctx.triggered_id
    zoom_request = isinstance(trigger, dict) and trigger.get("type") == "curve-zoom"
    if trigger == "curves-xmode" and not (view or {}).get("zoomed"):
        raise PreventUpdate  # curves.js redraws the same data on the new axis
    if not state.ready():
        raise PreventUpdate
    tag = graph_id["tag"]
    px = int((viewport or {}).get("px") or DEFAULT_MAX_POINTS)
    ranges = step_ranges(relayout, view, runs or [], tag, xmode) if zoom_request else None
    data, meta = card_payload(tag, runs or [], agg, px, ranges)
    return data, meta, info_text(meta)


# ---------------------------------------------------------------- live updates
@dash.callback(
    Output(_every("curve-data"), "data", allow_duplicate=True),
    Output(_every("curve-meta"), "data", allow_duplicate=True),
    Output(_every("curve-info"), "children", allow_duplicate=True),
    Output("curves-rebuild", "data"),
    Input("live-changes", "data"),
    State(_every("curve-meta"), "data"), State(_every("curve-meta"), "id"),
    State("selected-runs", "data"), State("curves-agg", "data"), State("curves-tags", "data"),
    State("curves-rebuild", "data"), prevent_initial_call=True)
def live_update(changes, metas, ids, runs, agg, shown_tags, rebuild):
    if not changes or not changes.get("changed"):
        raise PreventUpdate
    store, runs = state.store(), runs or []
    changed = {r: set(k.get(P.KIND_SCALARS, [])) for r, k in changes["changed"].items()}
    new_tags = {t for r in runs for t in changed.get(r, ())} - set(shown_tags or [])
    datas, new_metas, infos = [], [], []
    for meta, ident in zip(metas, ids, strict=True):
        tag = ident["tag"]
        touched = [r for r in runs if tag in changed.get(r, ())]
        if meta is None or not touched:
            datas.append(dash.no_update)
            new_metas.append(dash.no_update)
            infos.append(dash.no_update)
            continue
        if meta.get("agg") or meta.get("range") or any(r not in meta["runs"] for r in touched):
            # A zoomed card stays zoomed: the same ranges, re-queried with the new points.
            ranges = {r: tuple(v) for r, v in (meta.get("ranges") or {}).items()} or None
            data, meta = card_payload(tag, runs, agg, meta["px"], ranges)
            datas.append(data)
        else:
            datas.append(_patch_runs(store, tag, touched, meta))
        new_metas.append(meta)
        infos.append(info_text(meta))
    rebuild_out = (rebuild or 0) + 1 if new_tags else dash.no_update
    return datas, new_metas, infos, rebuild_out


def _patch_runs(store, tag: str, touched: list[str], meta: dict) -> Patch:
    """Extend an undecimated series with its new points (one more chunk); re-query a series
    that is, or becomes, decimated (its buckets move as it grows) or that was re-logged
    from an earlier step (a restart replaced points the browser holds)."""
    patch = Patch()
    colors = state.run_colors(touched)
    px = meta["px"]
    for run in touched:
        m = meta["runs"][run]
        if not m["dec"] and m["last"] is not None:
            full = store.scalars(run, tag)
            known = int(np.searchsorted(full.steps, m["last"], "right"))
            intact = known == m["total"] and known and full.wall_times[known - 1] == m["lastw"]
            if intact and full.total <= px:
                if full.total > known:
                    patch["series"][run]["chunks"].append(pack_chunk(
                        full.steps[known:], full.wall_times[known:] - m["wall0"],
                        full.values[known:]))
                    patch["series"][run]["total"] = full.total
                    patch["series"][run]["last"] = int(full.steps[-1])
                    meta["runs"][run] = _run_meta(full.steps, full.wall_times, False,
                                                  m["wall0"], full.total)
                continue
        series = query_series(store, run, tag, None, px)
        patch["series"][run] = run_payload(series, run, colors[run])
        meta["runs"][run] = _run_meta(series.steps, series.wall_times, series.decimated,
                                      series.wall0, series.total)
    return patch


def _run_meta(steps, walls, decimated: bool, wall0: float, total: int) -> dict:
    """What the live update needs to know of a run's series in a card."""
    return {"last": int(steps[-1]) if len(steps) else None,
            "lastw": float(walls[-1]) if len(walls) else None,
            "dec": bool(decimated), "wall0": wall0, "total": int(total)}


# ---------------------------------------------------------------- downloads
@dash.callback(Output(_match("curve-download"), "data"),
               Input(_match("curve-dl-csv"), "n_clicks"),
               Input(_match("curve-dl-json"), "n_clicks"),
               State("selected-runs", "data"), State("curves-smoothing", "value"),
               prevent_initial_call=True)
def download_card(_csv, _json, runs, smoothing):
    tag = ctx.triggered_id["tag"]
    store = state.store()
    runs = [r for r in runs or [] if tag in store.tags(P.KIND_SCALARS, r).get(r, [])]
    name = safe_filename(tag)
    if ctx.triggered_id["type"] == "curve-dl-csv":
        return {"content": card_csv(store, tag, runs, smoothing or 0.0), "filename": f"{name}.csv"}
    return {"content": card_json(store, tag, runs, smoothing or 0.0), "filename": f"{name}.json"}


@dash.callback(Output("curves-download-all", "data"),
               Input("curves-dl-csv", "n_clicks"), Input("curves-dl-json", "n_clicks"),
               State("selected-runs", "data"), State("curves-tags", "data"),
               prevent_initial_call=True)
def download_selection(_csv, _json, runs, tags):
    fmt = "csv" if ctx.triggered_id == "curves-dl-csv" else "json"
    content = selection_export(state.store(), runs or [], tags or [], fmt)
    return {"content": content, "filename": "scalars.csv" if fmt == "csv" else "scalars.jsonl"}
