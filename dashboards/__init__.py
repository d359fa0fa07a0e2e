"""The Dash dashboard: ``create_app(logdir)`` and the pages that register themselves.

Pages read the store only through its query API; nothing here knows a file format, and
nothing here imports TensorFlow.

How a page is built from the parts
----------------------------------
A page is one module in ``dashboards/pages/`` (found by Dash's page discovery; the factory
knows no page by name) plus, beside it, a pure module of what goes into its figures
(``dashboards/<view>_data.py``, unit-tested in ``tests/dashboards/`` with a real store)::

    import dash
    from dash import Input, Output, dcc, html

    from dashboards import state
    from dashboards.components.tag_cards import CardKey, TagCards
    from dashboards import kernels_data          # pure: store in, figure dicts out
    from inspector.kinds import Kind

    dash.register_page(__name__, path="/kernels", name="Kernels", order=4)

    def render(key: CardKey, scale: str) -> list:  # one card's body, built near the view
        figure = kernels_data.kernel_grid(state.store(), key.run, key.tag, scale)
        return [dcc.Graph(figure=figure, className="kernel-graph")]

    CARDS = TagCards("kern", Kind.KERNELS, per_run=True, render=render,
                     states=[("kern-scale", "value")], refresh=[("kern-scale", "value")],
                     empty="No kernels for the selected runs.", card_class="kern-card")

    def layout(runs: list[str] | None = None, **query) -> html.Div:
        scale = dcc.RadioItems(id="kern-scale", value="layer", options=["layer", "filter"])
        return html.Div(className="page",
                        children=CARDS.layout(runs, controls=[scale], initial=["layer"]))

    def register(app: dash.Dash) -> None:  # called by create_app for every page
        CARDS.register(app)
        # the page's own callbacks, always on `app` (app.callback, app.clientside_callback)

Rules:

- **Callbacks only in ``register(app)``**, with ``app.callback`` / ``app.clientside_callback``,
  never ``dash.callback`` at import (its process-wide list ends up on whichever app is
  served first; ``tests/dashboards/test_app.py`` fails on duplicates).
- **State:** the store, its reload thread and the run colours hang on the app
  (``dashboards.state.Inspection``). In a callback or layout use ``state.store()``,
  ``state.run_colors(runs)``, ``state.ready()`` (all ``state.current()``); outside a
  request pass the store explicitly, or ``with state.inspecting(store): ...`` in tests.
- **Tag cards** (``components/tag_cards.py``): ``TagCards(prefix, kind, ...)`` gives the
  toolbar's tag filter (regex), cards grouped by tag prefix, the empty state, the run
  selection and tag filter applied in the browser (no round trip), a loading state on every
  card until it is drawn, loading near the view (``assets/cards.js``), and live updates
  (a loaded card whose series changed is rendered again; a new tag or run rebuilds the
  list). ``render(key, *states)`` runs in a request; ``key.run`` is "" for a card per tag
  (``per_run=False``, runs overlaid). The first ``eager`` (12) shown cards come with the
  layout; the others are filled a batch per request (``at_once``) as they near the view.
  A part of a body with callbacks of its own (a slider, a graph fed by a store, as in
  curves) takes ``CARDS.id(part, key)`` as id and ``CARDS.id(part)`` (MATCH) in the
  callback; a card frame itself has no callbacks, so hundreds of cards stay cheap. Bodies
  arrive by ``dash.set_props``, which runs no initial callbacks of the parts inside: render
  them complete (a slider with its label, a graph with its figure), or pass
  ``part_callbacks=True`` (one pattern id per card: for pages of tens of cards, as curves)
  when a part must be computed by its callback on arrival. ``actions(key)`` puts controls
  (downloads) in the card's head before its body loads.
- **Step sliders** (images, text and any per-step view): ``StepCards(prefix, kind,
  render_step, empty=...)`` in ``components/step_slider.py`` is a ``TagCards`` whose body is
  a slider over every logged step and ``render_step(run, tag, index)``.
- **Other parts:** ``components/cards.py`` (card frame, group, empty state),
  ``components/colors.py`` (run colours), ``series.compile_filter`` / ``group_tags``,
  ``inspector.buckets.bucket`` (equal-width buckets: min, max, mean, count, last, first wall
  time), ``components/links.py`` (cross-page links, ``?run=&tag=&step=&layer=``).
- Pages that are not a grid of tag cards (graphs, hparams, projector) still use the same
  state accessors, ``register(app)``, the card frame and the empty state.
"""
