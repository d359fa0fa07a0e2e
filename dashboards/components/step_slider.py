"""Tag cards with a step slider over every logged step of one (run, tag) series: the images
and text pages are built from these.

The slider indexes the series' points, so every step is reachable (no sampling). While it is
dragged, the step label follows in the browser; the content is fetched when it is released.
New steps extend the slider live, and a slider left at the last step follows the newest.
A card's slider and content are built only when the card comes near the view (``TagCards``).
"""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import ALL, MATCH, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import state
from dashboards.components.tag_cards import CardKey, TagCards
from inspector.store import UnknownSeries


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


def _steps(kind: str, run: str, tag: str) -> list[int]:
    """The steps of a card's series; [] once its run or tag vanished from the logdir (the
    card is dropped at the next run-list update)."""
    try:
        return [p.step for p in state.store().series(kind, run, tag)]
    except UnknownSeries:
        return []


def step_body(prefix: str, kind: str, render: Callable[[str, str, int], list],
              key: CardKey) -> list:
    """A card's body for (run, tag): the last step shown, a slider over all steps."""
    run, tag = key.run, key.tag
    steps = _steps(kind, run, tag)
    last = max(len(steps) - 1, 0)
    slider = dcc.Slider(id=_id(prefix, "slider", run, tag), min=0, max=last, step=1,
                        value=last, marks=_marks(steps), updatemode="mouseup",
                        allow_direct_input=False, className="step-slider")
    return [
        html.Div(className="step-row", children=[
            slider,
            html.Span(label(steps, last), id=_id(prefix, "label", run, tag),
                      className="step-label"),
        ]),
        dcc.Store(id=_id(prefix, "steps", run, tag), data=steps),
        html.Div(render(run, tag, last), id=_id(prefix, "content", run, tag)),
    ]


class StepCards(TagCards):
    """``TagCards`` of one card per (tag, run) of ``kind`` whose body is a step slider and
    ``render(run, tag, index)``, the content of the index-th logged step."""

    def __init__(self, prefix: str, kind: str, render: Callable[[str, str, int], list], *,
                 empty: str, card_class: str = "") -> None:
        self.render_step = render
        super().__init__(prefix, kind, per_run=True, empty=empty, live="page",
                         card_class=card_class or f"{prefix}-card",
                         render=lambda key: step_body(prefix, kind, render, key))

    def register(self, app) -> None:
        super().register(app)
        prefix, kind, render = self.prefix, self.kind, self.render_step
        app.clientside_callback(
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

        @app.callback(Output(_id(prefix, "content", MATCH, MATCH), "children"),
                      Input(_id(prefix, "slider", MATCH, MATCH), "value"),
                      State(_id(prefix, "slider", MATCH, MATCH), "id"),
                      prevent_initial_call=True)
        def show_step(index, slider_id):
            return render(slider_id["run"], slider_id["tag"], int(index or 0))

        @app.callback(Output(_id(prefix, "slider", ALL, ALL), "max"),
                      Output(_id(prefix, "slider", ALL, ALL), "marks"),
                      Output(_id(prefix, "slider", ALL, ALL), "value"),
                      Output(_id(prefix, "steps", ALL, ALL), "data"),
                      Input("live-changes", "data"),
                      State(_id(prefix, "slider", ALL, ALL), "id"),
                      State(_id(prefix, "slider", ALL, ALL), "value"),
                      State(_id(prefix, "slider", ALL, ALL), "max"),
                      prevent_initial_call=True)
        def grow(changes, ids, values, maxes):
            """Sliders of loaded cards whose series grew reach the new steps."""
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
                steps = _steps(kind, ident["run"], ident["tag"])
                new_top = max(len(steps) - 1, 0)
                out[0].append(new_top)
                out[1].append(_marks(steps))
                follow = value is None or value >= (top or 0)
                out[2].append(new_top if follow else min(value, new_top))
                out[3].append(steps)
            return out
