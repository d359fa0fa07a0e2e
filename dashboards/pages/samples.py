"""Samples: what trainers log under ``samples/``. Text (an LSTM's samples per temperature) as
one table per run, epochs down and temperatures across; pictures (autoencoder and RBM inputs
beside their reconstructions, generated images) as step cards with a slider over every epoch,
grouped by tag so a run's inputs and reconstructions sit together.

Data from ``dashboards.samples_data``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, html

from dashboards import samples_data as sd
from dashboards import state
from dashboards.components import cards
from dashboards.components.step_slider import StepCards
from dashboards.security import safe_image_uri
from inspector.kinds import Kind

dash.register_page(__name__, path="/samples", name="Samples", title="Inspector · Samples",
                   order=10)

PREFIX = "smp"


def render(run: str, tag: str, index: int) -> list:
    points = sd.points_of(state.store(), Kind.IMAGES, run, tag)
    if not points:
        return [html.Div("No pictures.", className="muted")]
    point = points[min(index, len(points) - 1)]
    figures = []
    for k, data in enumerate(point.value.encoded):
        uri, why = safe_image_uri(data)
        figures.append(html.Figure([html.Img(src=uri, alt=f"{tag} #{k + 1}"),
                                    html.Figcaption(f"#{k + 1}")]) if uri else
                       html.Div(f"picture {k + 1}: {why}", className="image-refused"))
    return [html.Div(figures, className="image-grid samples-pair")]


CARDS = StepCards(PREFIX, Kind.IMAGES, render, empty="No pictures under samples/ for the "
                  "selected runs (autoencoder, RBM and GAN trainers log them).")
CARDS.tags = lambda store: sd.sample_tags(store, Kind.IMAGES)


def text_tables(runs: list[str]) -> list:
    store = state.store()
    by_run = sd.sample_tags(store, Kind.TEXT)
    tables = []
    for run in runs:
        if run not in by_run:
            continue
        table = sd.text_table(store, run, by_run[run])
        tables.append(cards.card(run, [html.Table(className="samples-table", children=[
            html.Thead(html.Tr([html.Th("step")] + [html.Th(sd.short_name(c))
                                                    for c in table.columns])),
            html.Tbody([html.Tr([html.Td(str(step))] + [
                html.Td(html.Div(text, className="sample-text")) for text in texts])
                for step, texts in table.rows]),
        ])], subtitle="text samples: steps down, tags across", class_name="card samples-card"))
    return tables or [html.Div("No text under samples/ for the selected runs (the LSTM "
                               "trainers log one sample per temperature).",
                               className="muted small")]


def layout(runs: list[str] | None = None, **_query) -> html.Div:
    if not state.ready():
        return html.Div(cards.empty_state("Reading the logdir…", loading=True), className="page")
    return html.Div(className="page samples-page fit", children=[
        html.H3("Text", className="section-title"),
        html.Div(text_tables(runs or []), id="smp-text"),
        html.H3("Pictures", className="section-title"),
        *CARDS.layout(runs),
    ])


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (``create_app`` calls this)."""
    CARDS.register(app)

    @app.callback(Output("smp-text", "children"), Input("selected-runs", "data"),
                  prevent_initial_call=True)
    def follow_selection(runs):
        return text_tables(runs or [])
