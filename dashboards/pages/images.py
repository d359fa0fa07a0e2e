"""Images: one card per (image tag, run), a step slider over every logged step, and the
step's images in a grid, at true size or fitted to the card.

Image bytes are handed to the browser as data URIs only after their header says they are
a PNG, JPEG or GIF of sane size (``dashboards.security``).
"""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html

from dashboards import state
from dashboards.components.step_slider import StepCards
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


CARDS = StepCards(PREFIX, P.KIND_IMAGES, render, empty="No images for the selected runs.")


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    size = dcc.RadioItems(id="img-size", value="fit", inline=True, className="segmented",
                          options=[{"label": "Fit to card", "value": "fit"},
                                   {"label": "True size", "value": "true"}])
    return html.Div(id="img-page", className="page fit",
                    children=CARDS.layout(runs, controls=[size]))


def register(app: dash.Dash) -> None:
    CARDS.register(app)
    app.clientside_callback(
        "(mode) => 'page ' + (mode === 'true' ? 'true-size' : 'fit')",
        Output("img-page", "className"), Input("img-size", "value"),
        prevent_initial_call=True)
