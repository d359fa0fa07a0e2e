"""Cards with a step slider over every logged step of one (run, tag) series: the images and
text pages are built from these.

The slider indexes the series' points, so every step is reachable (no sampling). While it is
dragged, the step label follows in the browser; the content is fetched when it is released.
New steps extend the slider live, and a slider left at the last step follows the newest.
"""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import ALL, MATCH, Input, Output, State, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import state
from dashboards.components import cards
from dashboards.series import compile_filter, group_tags


def _id(prefix: str, part: str, run, tag) -> dict:
    return {"type": f"{prefix}-{part}", "run": run, "tag": tag}


def label(steps: list[int], index: int) -> str:
    if not steps:
        return ""
    return f"step {steps[index]:,}  ({index + 1} of {len(steps)})"


def _marks(steps: list[int]) -> dict:
    if not steps:
        return {}
    return {0: str(steps[0]), len(steps) - 1: str(steps[-1])} if len(steps) > 1 else \
        {0: str(steps[0])}


def step_card(prefix: str, run: str, tag: str, kind: str,
              render: Callable[[str, str, int], list]) -> html.Div:
    """A card for (run, tag) showing the last step, with a slider over all steps."""
    steps = [p.step for p in state.store().series(kind, run, tag)]
    last = max(len(steps) - 1, 0)
    slider = dcc.Slider(id=_id(prefix, "slider", run, tag), min=0, max=last, step=1,
                        value=last, marks=_marks(steps), updatemode="mouseup",
                        allow_direct_input=False,
                        className="step-slider")
    return cards.card(tag, [
        html.Div(className="step-row", children=[
            slider,
            html.Span(label(steps, last), id=_id(prefix, "label", run, tag),
                      className="step-label"),
        ]),
        dcc.Store(id=_id(prefix, "steps", run, tag), data=steps),
        html.Div(render(run, tag, last), id=_id(prefix, "body", run, tag)),
    ], subtitle=run, class_name=f"card {prefix}-card")


def register(prefix: str, kind: str, render: Callable[[str, str, int], list],
             empty: str) -> Callable[[list[str], str | None], list]:
    """Callbacks of the step cards of one page (call at page-module import). The page lays
    out ``{prefix}-tag-filter`` and ``{prefix}-cards``; the returned function builds the
    cards for a selection and tag filter (``empty`` when nothing matches), and the cards are
    rebuilt when either changes."""

    def build(runs: list[str], tag_filter: str | None) -> list:
        return step_cards(prefix, kind, render, runs, tag_filter, empty)

    @dash.callback(Output(f"{prefix}-cards", "children"), Input("selected-runs", "data"),
                   Input(f"{prefix}-tag-filter", "value"), prevent_initial_call=True)
    def rebuild_cards(runs, tag_filter):
        return build(runs or [], tag_filter)

    clientside_callback(
        """(drag, value, steps) => {
            const i = (drag === undefined || drag === null) ? value : drag;
            if (!steps || !steps.length || i === null || i === undefined) return '';
            return 'step ' + steps[i].toLocaleString('en-US') + '  (' + (i + 1) + ' of '
                   + steps.length + ')';
        }""",
        Output(_id(prefix, "label", MATCH, MATCH), "children"),
        Input(_id(prefix, "slider", MATCH, MATCH), "drag_value"),
        Input(_id(prefix, "slider", MATCH, MATCH), "value"),
        State(_id(prefix, "steps", MATCH, MATCH), "data"))

    @dash.callback(Output(_id(prefix, "body", MATCH, MATCH), "children"),
                   Input(_id(prefix, "slider", MATCH, MATCH), "value"),
                   State(_id(prefix, "slider", MATCH, MATCH), "id"),
                   prevent_initial_call=True)
    def show_step(index, slider_id):
        return render(slider_id["run"], slider_id["tag"], int(index or 0))

    @dash.callback(Output(_id(prefix, "slider", ALL, ALL), "max"),
                   Output(_id(prefix, "slider", ALL, ALL), "marks"),
                   Output(_id(prefix, "slider", ALL, ALL), "value"),
                   Output(_id(prefix, "steps", ALL, ALL), "data"),
                   Input("live-changes", "data"),
                   State(_id(prefix, "slider", ALL, ALL), "id"),
                   State(_id(prefix, "slider", ALL, ALL), "value"),
                   State(_id(prefix, "slider", ALL, ALL), "max"),
                   prevent_initial_call=True)
    def grow(changes, ids, values, maxes):
        changed = (changes or {}).get("changed", {})
        grown = {(r, t) for r, kinds in changed.items() for t in kinds.get(kind, [])}
        if not any((i["run"], i["tag"]) in grown for i in ids):
            raise PreventUpdate
        out = ([], [], [], [])
        for ident, value, top in zip(ids, values, maxes, strict=True):
            if (ident["run"], ident["tag"]) not in grown:
                for part in out:
                    part.append(dash.no_update)
                continue
            steps = [p.step for p in state.store().series(kind, ident["run"], ident["tag"])]
            new_top = max(len(steps) - 1, 0)
            out[0].append(new_top)
            out[1].append(_marks(steps))
            follow = value is None or value >= (top or 0)
            out[2].append(new_top if follow else min(value, new_top))
            out[3].append(steps)
        return out

    return build


def step_cards(prefix: str, kind: str, render: Callable, runs: list[str],
               tag_filter: str | None, empty: str) -> list:
    """One step card per (run, tag) of ``kind`` for the selected runs, grouped by tag prefix;
    ``empty`` is shown when nothing matches."""
    if not state.ready():
        return [cards.empty_state("Reading the logdir…", loading=True)]
    by_run = state.store().tags(kind)
    pattern, _ = compile_filter(tag_filter)
    pairs = [(t, r) for r in runs for t in by_run.get(r, []) if pattern is None
             or pattern.search(t)]
    if not pairs:
        return [cards.empty_state(empty)]
    return [cards.group_section(prefix_name or "top level", [
        step_card(prefix, r, t, kind, render)
        for t in tags for tt, r in pairs if tt == t]) for prefix_name, tags in
        group_tags([t for t, _ in pairs])]
