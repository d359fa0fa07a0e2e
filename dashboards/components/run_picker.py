"""The run picker shared by every page: runs grouped by folder, a colour swatch per run,
a regex filter and select all/none.

Its output is the ``selected-runs`` store (checked runs that match the filter, in name
order), which every page reads; ``checked-runs`` remembers ticks of runs the filter hides.
New runs appear ticked.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboards import state
from dashboards.series import compile_filter
from inspector.store import UnknownSeries


def folder_of(run: str) -> tuple[str, str]:
    """("folder", "leaf") of a run name; top-level runs have folder ""."""
    folder, _, leaf = run.rpartition("/")
    return folder, leaf


def visible_runs(runs: list[str], pattern_text: str | None) -> list[str]:
    pattern, _ = compile_filter(pattern_text)
    return [r for r in runs if pattern is None or pattern.search(r)]


def groups(runs: list[str], checked: list[str], pattern_text: str | None) -> list:
    shown = visible_runs(runs, pattern_text)
    if not runs:
        return [html.Div("No runs yet.", className="muted small")]
    if not shown:
        return [html.Div("No run matches the filter.", className="muted small")]
    colors = state.run_colors(runs)
    by_folder: dict[str, list[str]] = {}
    for run in shown:
        by_folder.setdefault(folder_of(run)[0], []).append(run)
    checked_set = set(checked)
    out = []
    for folder, members in sorted(by_folder.items()):
        options = [{"label": html.Span([html.Span(className="swatch",
                                                  style={"background": colors[r]}),
                                        html.Span(folder_of(r)[1], className="run-name",
                                                  title=r), *health_badge(r)]),
                    "value": r} for r in members]
        box = dcc.Checklist(id={"type": "run-check", "folder": folder}, options=options,
                            value=[r for r in members if r in checked_set],
                            className="run-checklist")
        if folder:
            out.append(html.Details(open=True, className="run-folder", children=[
                html.Summary([html.Span(folder, className="folder-name", title=folder),
                              html.Span(str(len(members)), className="group-count")]),
                box]))
        else:
            out.append(box)
    return out


def health_badge(run: str) -> list:
    """A small badge after a run's name when some of its records could not be read (damaged
    byte ranges, records that are not Events, values that did not decode); its tooltip says
    what, as ``inspector info`` does. [] for a healthy (or vanished) run."""
    try:
        h = state.store().health(run)
    except UnknownSeries:
        return []
    if h.ok:
        return []
    parts = [f"{n} {what}" for n, what in (
        (h.damaged, "damaged byte ranges skipped"), (h.undecodable, "records not Events"),
        (h.decode_errors, "values not decoded")) if n]
    reasons = [f"{n} x {why}" for why, n in sorted(h.reasons.items(), key=lambda x: -x[1])[:5]]
    return [html.Span(f"⚠ {h.damaged + h.undecodable + h.decode_errors}",
                      className="run-badge", title="; ".join(parts + reasons))]


def selection(runs: list[str], checked: list[str], pattern_text: str | None) -> list[str]:
    checked_set = set(checked)
    return [r for r in visible_runs(runs, pattern_text) if r in checked_set]


def count_text(runs: list[str], selected: list[str]) -> str:
    return f"{len(selected)} of {len(runs)} shown"


def layout(runs: list[str]) -> html.Aside:
    return html.Aside(className="sidebar", children=[
        html.Div(className="side-head", children=[
            html.Span("Runs", className="side-title"),
            html.Span(count_text(runs, runs), id="runs-count", className="muted small"),
        ]),
        dcc.Input(id="run-filter", type="text", placeholder="filter runs (regex)",
                  debounce=0.3, className="text-input"),
        html.Div(id="run-filter-error", className="filter-error"),
        html.Div(className="side-buttons", children=[
            html.Button("Select all", id="runs-all", className="link-button"),
            html.Button("None", id="runs-none", className="link-button"),
        ]),
        html.Div(groups(runs, runs, ""), id="run-groups", className="run-groups"),
        dcc.Store(id="checked-runs", data=runs),
        dcc.Store(id="known-runs", data=runs),
        dcc.Store(id="selected-runs", data=runs),
    ])


def register(app) -> None:
    @app.callback(
        Output("run-groups", "children"), Output("checked-runs", "data"),
        Output("known-runs", "data"), Output("selected-runs", "data"),
        Output("runs-count", "children"), Output("run-filter-error", "children"),
        Input("run-list", "data"), Input("run-filter", "value"),
        Input("runs-all", "n_clicks"), Input("runs-none", "n_clicks"),
        State("checked-runs", "data"), State("known-runs", "data"),
        State("selected-runs", "data"), prevent_initial_call=True)
    def rebuild(runs, pattern_text, _all, _none, checked, known, selected):
        runs, checked, known = runs or [], list(checked or []), set(known or [])
        checked += [r for r in runs if r not in known]  # new runs arrive ticked
        shown = visible_runs(runs, pattern_text)
        if ctx.triggered_id == "runs-all":
            checked = sorted(set(checked) | set(shown))
        elif ctx.triggered_id == "runs-none":
            checked = [r for r in checked if r not in set(shown)]
        new_selected = selection(runs, checked, pattern_text)
        return (groups(runs, checked, pattern_text), checked, runs,
                new_selected if new_selected != selected else no_update,
                count_text(runs, new_selected), compile_filter(pattern_text)[1])

    @app.callback(
        Output("checked-runs", "data", allow_duplicate=True),
        Output("selected-runs", "data", allow_duplicate=True),
        Output("runs-count", "children", allow_duplicate=True),
        Input({"type": "run-check", "folder": ALL}, "value"),
        State("run-filter", "value"), State("checked-runs", "data"), State("run-list", "data"),
        State("selected-runs", "data"), prevent_initial_call=True)
    def ticked(values, pattern_text, checked, runs, current):
        runs = runs or []
        shown = set(visible_runs(runs, pattern_text))
        ticked_now = {r for v in values for r in (v or [])}
        checked = [r for r in (checked or []) if r not in shown] + sorted(ticked_now)
        selected = selection(runs, checked, pattern_text)
        # Rebuilt checklists report their ticks again: an equal selection is no change (the
        # pages would rebuild every card a second time).
        return (checked, selected if selected != current else no_update,
                count_text(runs, selected))
