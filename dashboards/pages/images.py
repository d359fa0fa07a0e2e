"""Images: one card per (image tag, run), a step slider over every logged step, and the
step's images in a grid, at true size or fitted to the card.

Image bytes are handed to the browser as data URIs only after their header says they are
a PNG, JPEG or GIF of sane size (``dashboards.security``).
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import flask
from dash import Input, Output, dcc, html

from dashboards import state
from dashboards.components.step_slider import StepCards
from dashboards.security import safe_image_uri
from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.image_display import display_image, read_header

dash.register_page(__name__, path="/images", name="Images", title="Inspector · Images",
                   order=2)

PREFIX = "img"


def render(run: str, tag: str, index: int) -> list:
    points = state.store().series(P.KIND_IMAGES, run, tag) \
        if state.store().has(P.KIND_IMAGES, run, tag) else []  # vanished: an empty card
    if not points:
        return [html.Div("No images.", className="muted")]
    index = min(index, len(points) - 1)
    point = points[index]
    figures = []
    for k, data in enumerate(point.value.encoded):
        uri, why = safe_image_uri(data)
        if uri is None:
            figures.append(html.Div(f"image {k + 1}: {why}", className="image-refused"))
            continue
        shown = display_image(data)
        caption = [f"#{k + 1} · {point.value.width}×{point.value.height}"]
        if shown.downscaled:
            caption += [" · shown at ", f"{shown.width}×{shown.height} · ",
                        _full_image_link(run, tag, index, k, len(data))]
        figures.append(html.Figure([
            html.Img(src=uri, width=(shown.width if shown.downscaled else
                                     point.value.width) or None, alt=f"{tag} #{k + 1}"),
            html.Figcaption(caption),
        ]))
    return [html.Div(figures, className="image-grid")]


FULL_IMAGE_PATH = "/_inspector/image"


def _full_image_link(run: str, tag: str, index: int, k: int, size: int) -> html.A:
    """A link to the logged image at full size, served by ``_serve_full_image`` (a large
    image goes to the card downscaled by the server)."""
    query = urlencode({"run": run, "tag": tag, "index": index, "k": k})
    return html.A(f"full image ({size / 1024:,.0f} KB)", target="_blank",
                  href=dash.get_relative_path(f"{FULL_IMAGE_PATH}?{query}"))


def _serve_full_image(app: dash.Dash) -> None:
    """GET FULL_IMAGE_PATH?run=&tag=&index=&k=: the logged bytes of one image, when its
    header is one the cards show (never a decompression bomb)."""
    def full_image():
        q = flask.request.args
        try:
            points = state.of(app).store.images(q["run"], q["tag"])
            data = points[int(q["index"])].value.encoded[int(q["k"])]
            head = read_header(data)
        except (KeyError, ValueError, IndexError, InspectorError) as err:
            return flask.Response(f"no such image: {err}", status=404, mimetype="text/plain")
        return flask.Response(data, mimetype=head.mime)

    app.server.add_url_rule(FULL_IMAGE_PATH, "inspector_full_image", full_image)


CARDS = StepCards(PREFIX, P.KIND_IMAGES, render, empty="No images for the selected runs.")


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    size = dcc.RadioItems(id="img-size", value="fit", inline=True, className="segmented",
                          options=[{"label": "Fit to card", "value": "fit"},
                                   {"label": "True size", "value": "true"}])
    return html.Div(id="img-page", className="page fit",
                    children=CARDS.layout(runs, controls=[size]))


def register(app: dash.Dash) -> None:
    CARDS.register(app)
    _serve_full_image(app)
    app.clientside_callback(
        "(mode) => 'page ' + (mode === 'true' ? 'true-size' : 'fit')",
        Output("img-page", "className"), Input("img-size", "value"),
        prevent_initial_call=True)
