"""Playground: for 2-D models, the decision boundary over training (step slider and play),
with the data points, each input feature's map and each hidden neuron's output map, like the
TensorFlow Playground but for any logged run and every epoch; a second run side by side.

Pictures come from the playground trainer's ``samples/`` images (``dashboards.playground_data``).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, ctx, dcc, html, no_update

from dashboards import playground_data as pg
from dashboards import state
from dashboards.components import cards

dash.register_page(__name__, path="/playground", name="Playground",
                   title="Inspector · Playground", order=9)

PLAY_MS = 700


def panel(run: str | None, step: int) -> html.Div:
    """One run at ``step``: losses, boundary, feature maps, neuron maps per layer."""
    if not run:
        return html.Div(className="pg-panel")
    f = pg.frame(state.store(), run, step)
    losses = " · ".join(f"{k} loss {v:.4f}" for k, v in f.losses.items())
    return html.Div(className="pg-panel", children=[
        html.Div([html.B(run), html.Span(f"  epoch {step}  {losses}", className="muted")],
                 className="pg-title"),
        html.Div(className="pg-row", children=[
            html.Div(className="pg-column", children=[
                html.Div("features", className="pg-label"),
                html.Div([html.Img(src=u, className="pg-map") for u in f.features],
                         className="playground-maps pg-features"),
            ]),
            *[html.Div(className="pg-column", children=[
                html.Div(f"{layer} · {len(maps)} neurons", className="pg-label"),
                html.Div([html.Img(src=u, className="pg-map", title=f"{layer} neuron {i}")
                          for i, u in enumerate(maps)], className="playground-maps pg-neurons"),
            ]) for layer, maps in f.layers],
            html.Div(className="pg-column playground-boundary", children=[
                html.Div("output", className="pg-label"),
                html.Img(src=f.boundary, className="pg-boundary") if f.boundary else
                html.Div("no boundary at this epoch", className="muted"),
            ]),
        ]),
    ])


def _marks(steps: list[int]) -> dict:
    every = max(1, len(steps) // 10)
    return {i: str(s) for i, s in enumerate(steps) if i % every == 0 or i == len(steps) - 1}


def layout(runs: list[str] | None = None, run: str | None = None, **_query) -> html.Div:
    if not state.ready():
        return html.Div(cards.empty_state("Reading the logdir…", loading=True), className="page")
    store = state.store()
    options = pg.playground_runs(store, runs or [])
    if not options:
        return html.Div(className="page", children=[cards.empty_state(
            "No playground runs selected (inspector train playground logs the decision "
            "boundary and neuron maps every epoch).")])
    first = run if run in options else options[0]
    steps = pg.steps(store, first)
    last = max(len(steps) - 1, 0)
    return html.Div(className="page pg-page", children=[
        html.Div(className="toolbar", children=[
            dcc.Dropdown(id="pg-run", options=options, value=first, clearable=False,
                         className="run-dropdown"),
            dcc.Dropdown(id="pg-run2", options=options, value=None, placeholder="second run",
                         className="run-dropdown"),
            html.Button("▶ Play", id="pg-play", className="link-button"),
            html.Div(className="control eval-slider", children=[
                html.Label("Epoch"),
                dcc.Slider(id="pg-step", min=0, max=last, step=1, value=last,
                           marks=_marks(steps), updatemode="mouseup",
                           allow_direct_input=False, className="step-slider"),
            ]),
        ]),
        dcc.Store(id="pg-steps", data=steps),
        dcc.Interval(id="pg-timer", interval=PLAY_MS, disabled=True),
        html.Div(id="pg-panels", className="pg-panels",
                 children=[panel(first, steps[-1] if steps else 0)]),
    ])


def register(app: dash.Dash) -> None:
    """The page's callbacks, on ``app`` (``create_app`` calls this)."""

    @app.callback(Output("pg-step", "max"), Output("pg-step", "marks"),
                  Output("pg-step", "value"), Output("pg-steps", "data"),
                  Output("pg-panels", "children"),
                  Input("pg-run", "value"), Input("pg-run2", "value"),
                  Input("pg-step", "value"), State("pg-steps", "data"),
                  prevent_initial_call=True)
    def show(run, run2, index, steps):
        store = state.store()
        new_steps = pg.steps(store, run) if run else []
        reset = ctx.triggered_id == "pg-run"
        i = len(new_steps) - 1 if reset or index is None else min(int(index),
                                                                   len(new_steps) - 1)
        step = new_steps[i] if new_steps else 0
        return (max(len(new_steps) - 1, 0), _marks(new_steps),
                i if i != index else no_update,
                new_steps if new_steps != steps else no_update,
                [panel(run, step), panel(run2, step) if run2 else None])

    # Playing advances the slider in the browser: the timer's tick needs no server trip.
    app.clientside_callback(
        """(n, value, max) => (value === null || value >= max) ? 0 : value + 1""",
        Output("pg-step", "value", allow_duplicate=True), Input("pg-timer", "n_intervals"),
        State("pg-step", "value"), State("pg-step", "max"), prevent_initial_call=True)
    app.clientside_callback(
        """(n, disabled) => [!disabled, disabled ? '⏸ Pause' : '▶ Play']""",
        Output("pg-timer", "disabled"), Output("pg-play", "children"),
        Input("pg-play", "n_clicks"), State("pg-timer", "disabled"), prevent_initial_call=True)
