"""The run picker shared by every page: one entry per training, grouped by folder, with
its train / validation / test parts under it (ticking the training ticks its parts), a
colour swatch per run, a regex filter and select all/none. Labels are middle-ellipsised
(the full run name on hover); run names themselves are never changed.

Its output is the ``selected-runs`` store (checked runs that match the filter, in name
order), which every page reads; ``checked-runs`` remembers ticks of runs the filter hides.
New runs appear ticked.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboards import state
from dashboards.components.run_names import Training, distinct_ellipses, trainings
from dashboards.series import compile_filter
from inspector.store import UnknownSeries

LABEL_WIDTH = 30  # characters a picker label keeps (middle ellipsis; full name on hover)
PART_TITLES = {
    "train": "training set metrics, logged by the hook while fitting",
    "validation": "validation set metrics, logged at the end of every epoch",
    "eval": "evaluation metrics",
    "test": "the training's own directory: test-set results, evaluation and hparams",
}


def folder_of(run: str) -> tuple[str, str]:
    """("folder", "leaf") of a run name; top-level runs have folder ""."""
    folder, _, leaf = run.rpartition("/")
    return folder, leaf


def runs_with_data(store) -> list[str]:
    """The store's runs that hold at least one series: an event file with nothing in it yet
    (a writer that just opened it, an empty file in the logdir root) is no run to pick;
    it appears once it holds data (``inspector info`` lists it as holding no series)."""
    return [run for run in store.runs() if store.kinds(run)]


def visible_runs(runs: list[str], pattern_text: str | None) -> list[str]:
    pattern, _ = compile_filter(pattern_text)
    return [r for r in runs if pattern is None or pattern.search(r)]


def _label(text: str, title: str, colors: list[str], class_name: str = "run-name",
           badge: list | None = None) -> html.Span:
    """Swatches and ``text`` (already shortened), the full name on hover, then ``badge``
    (``health_badge``) if any."""
    return html.Span([*(html.Span(className="swatch", style={"background": c}) for c in colors),
                      html.Span(text, className=class_name, title=title), *(badge or [])],
                     className="run-label")


def _training_rows(t: Training, leaf: str, shown: set[str], checked: set[str],
                   colors: dict) -> list:
    parts = [(part, run) for part, run in t.parts if run in shown]
    if len(t.parts) == 1 and t.parts[0][0] == "":  # a plain run: one entry, as it always was
        run = t.parts[0][1]
        return [dcc.Checklist(id={"type": "run-check", "folder": t.name},
                              options=[{"label": _label(leaf, run, [colors[run]],
                                                        badge=health_badge(run)),
                                        "value": run}],
                              value=[run] if run in checked else [], className="run-checklist")]
    whole = all(run in checked for _, run in parts)
    title = f"{t.name} — {len(parts)} parts: " + ", ".join(p for p, _ in parts)
    head = dcc.Checklist(
        id={"type": "training-check", "training": t.name},
        options=[{"label": _label(leaf, title, [colors[r] for _, r in parts]),
                  "value": t.name}],
        value=[t.name] if whole else [], className="run-checklist training-check")
    body = dcc.Checklist(
        id={"type": "run-check", "folder": t.name}, inline=True,
        options=[{"label": _label(part, f"{run}\n{PART_TITLES.get(part, '')}", [colors[run]],
                                  "part-name", health_badge(run)), "value": run}
                 for part, run in parts],
        value=[run for _, run in parts if run in checked], className="run-checklist run-parts")
    return [html.Div([head, body], className="run-training", title=None)]


def groups(runs: list[str], checked: list[str], pattern_text: str | None) -> list:
    """The picker's tree: folders (experiments), in them one entry per training with its
    train / validation / test parts under it (see ``run_names.trainings``)."""
    shown = visible_runs(runs, pattern_text)
    if not runs:
        return [html.Div("No runs yet.", className="muted small")]
    if not shown:
        return [html.Div("No run matches the filter.", className="muted small")]
    colors = state.run_colors(runs)
    shown_set, checked_set = set(shown), set(checked)
    by_folder: dict[str, list[Training]] = {}
    for t in trainings(runs):
        if any(run in shown_set for run in t.runs):
            by_folder.setdefault(t.folder, []).append(t)
    out = []
    folder_text = distinct_ellipses(list(by_folder), LABEL_WIDTH)
    for folder, members in sorted(by_folder.items()):
        leaves = distinct_ellipses([t.leaf for t in members], LABEL_WIDTH)
        rows = [row for t in members
                for row in _training_rows(t, leaves[t.leaf], shown_set, checked_set, colors)]
        if folder:
            out.append(html.Details(open=True, className="run-folder", children=[
                html.Summary([html.Span(folder_text[folder],
                                        className="folder-name", title=folder),
                              html.Span(str(len(members)), className="group-count",
                                        title=f"{len(members)} trainings")]),
                *rows]))
        else:
            out.extend(rows)
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
        Output({"type": "run-check", "folder": ALL}, "value"),
        Output({"type": "training-check", "training": ALL}, "value"),
        Input({"type": "run-check", "folder": ALL}, "value"),
        Input({"type": "training-check", "training": ALL}, "value"),
        State({"type": "run-check", "folder": ALL}, "id"),
        State({"type": "training-check", "training": ALL}, "id"),
        State("run-filter", "value"), State("checked-runs", "data"), State("run-list", "data"),
        State("selected-runs", "data"), prevent_initial_call=True)
    def ticked(values, training_values, ids, training_ids, pattern_text, checked, runs,
               current):
        runs = runs or []
        shown = set(visible_runs(runs, pattern_text))
        parts = {t.name: [r for r in t.runs if r in shown] for t in trainings(runs)}
        ticked_now = {r for v in values for r in (v or [])}
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and trigger.get("type") == "training-check":
            name = trigger["training"]
            on = any(name in (v or []) for v, i in zip(training_values, training_ids,
                                                       strict=True) if i["training"] == name)
            ticked_now = ticked_now | set(parts.get(name, [])) if on else \
                ticked_now - set(parts.get(name, []))
        checked = [r for r in (checked or []) if r not in shown] + sorted(ticked_now)
        selected = selection(runs, checked, pattern_text)
        box_values = []
        for v, i in zip(values, ids, strict=True):
            want = [r for r in parts.get(i["folder"], []) if r in ticked_now]
            box_values.append(want if sorted(want) != sorted(v or []) else no_update)
        head_values = []
        for v, i in zip(training_values, training_ids, strict=True):
            members = parts.get(i["training"], [])
            want = [i["training"]] if members and all(r in ticked_now for r in members) else []
            head_values.append(want if want != (v or []) else no_update)
        # Rebuilt checklists report their ticks again: an equal selection is no change (the
        # pages would rebuild every card a second time).
        return (checked, selected if selected != current else no_update,
                count_text(runs, selected), box_values, head_values)
