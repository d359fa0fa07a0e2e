"""Images: one card per (image tag, run), a step slider over every logged step, and the
step's images in a grid, at true size or fitted to the card.

Image bytes are handed to the browser as data URIs only after their header says they are
a PNG, JPEG or GIF of sane size (``dashboards.security``).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from dashboards import state
from dashboards.components import step_slider
from dashboards.security import safe_image_uri
from inspector.events import plugins as P

dash.register_page(__name__, path="/images", name="Images", title="Inspector · Images",
                   order=2)

PREFIX = "img"


def render(run: str, tag: str, index: int) -> list:
    points = state.store().series(P.KIND_IMAGES, run, tag)
    if not points:
        return [html.Div("No images.", className="muted")]
    point = points[min(index, len(points) - 1)]
    figures = []
    for k, data in enumerate(point.value.encoded):
        uri, why = safe_image_uri(data)
        if uri is None:
            figures.append(html.Div(f"image {k + 1}: {why}", className="image-refused"))
            continue
        figures.append(html.Figure([
            html.Img(src=uri, width=point.value.width or None, alt=f"{tag} #{k + 1}"),
            html.Figcaption(f"#{k + 1} · {point.value.width}×{point.value.height}"),
        ]))
    return [html.Div(figures, className="image-grid")]


_cards = step_slider.register(PREFIX, P.KIND_IMAGES, render, "No images for the selected runs.")


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    return html.Div(className="page", children=[
        html.Div(className="toolbar", children=[
            dcc.Input(id="img-tag-filter", type="text", placeholder="filter tags (regex)",
                      debounce=0.3, className="text-input"),
            dcc.RadioItems(id="img-size", value="fit", inline=True, className="segmented",
                           options=[{"label": "Fit to card", "value": "fit"},
                                    {"label": "True size", "value": "true"}]),
        ]),
        html.Div(id="img-cards", className="fit", children=_cards(runs or [], "")),
    ])


@dash.callback(Output("img-cards", "className"), Input("img-size", "value"),
               State("img-cards", "className"), prevent_initial_call=True)
def size_mode(mode, _current):
    return "fit" if mode == "fit" else "true-size"
