"""Text: one card per (text tag, run), a step slider over every logged step, and the step's
text rendered as Markdown with raw HTML disabled (a log cannot inject markup or script).
Arrays of strings render as tables, as TensorBoard does.
"""

from __future__ import annotations

import dash
import numpy as np
from dash import dcc, html

from dashboards import state
from dashboards.components.step_slider import StepCards
from inspector.events import plugins as P

dash.register_page(__name__, path="/text", name="Text", title="Inspector · Text", order=3)

PREFIX = "txt"


def to_markdown(value) -> str:
    """A logged string tensor as Markdown: a scalar as is, a vector or matrix as a table."""
    array = np.asarray(value, dtype=object)
    if array.ndim == 0:
        return str(array.item())
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    array = array.reshape(-1, array.shape[-1])

    def cell(text) -> str:
        return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(" " for _ in range(array.shape[1])) + " |"
    rule = "|" + "---|" * array.shape[1]
    rows = ["| " + " | ".join(cell(c) for c in row) + " |" for row in array]
    return "\n".join([head, rule, *rows])


def render(run: str, tag: str, index: int) -> list:
    points = state.store().series(P.KIND_TEXT, run, tag) \
        if state.store().has(P.KIND_TEXT, run, tag) else []  # vanished: an empty card
    if not points:
        return [html.Div("No text.", className="muted")]
    point = points[min(index, len(points) - 1)]
    return [dcc.Markdown(to_markdown(point.value), dangerously_allow_html=False,
                         link_target="_blank", className="text-body")]


CARDS = StepCards(PREFIX, P.KIND_TEXT, render, empty="No text for the selected runs.")


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    return html.Div(className="page", children=CARDS.layout(runs))


def register(app: dash.Dash) -> None:
    CARDS.register(app)
