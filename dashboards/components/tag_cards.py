"""Tag cards: the part every page of per-tag charts is built from.

One ``TagCards`` per page gives it, with no code of its own:

- one card per tag (runs overlaid) or per (tag, run), grouped by the tag's prefix
  (TensorBoard's grouping), for every run of the logdir;
- a tag filter (case-insensitive regex) and the run picker's selection, both applied in the
  browser by hiding cards (``assets/cards.js``), so a filter edit costs no server round trip;
- an empty state when nothing is left to show;
- lazy loading: a card is a frame with a visible loading state until it comes near the view;
  then its body is asked for (a few cards at a time, top first) and drawn;
- live updates: a loaded card whose series changed is asked for again; a tag or run that
  appears rebuilds the list.

The page supplies ``render(key, *states) -> list`` (the body of one card, built from the
store) or, for a page that draws in the browser (curves), ``body(key, ids)`` plus its own
callbacks on ``ids("visible")``. See ``dashboards/__init__.py`` for a page built from it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dash import MATCH, ClientsideFunction, Input, Output, State, dcc, html

from dashboards import state
from dashboards.components import cards
from dashboards.series import group_tags

LOADING = "card-loading"
DRAWN = "card-loading done"


@dataclass(frozen=True)
class CardKey:
    """Which card: its tag, and its run ("" for a card of one tag with the runs overlaid)."""

    tag: str
    run: str = ""


class TagCards:
    """The cards of one page.

    Args:
        prefix: namespace of every id of the page's cards (``"img"`` gives ``img-cards``,
            ``img-tag-filter``, ``{"type": "img-body", ...}``); unique per page.
        kind: the store kind whose tags make the cards (``store.tags(kind)``).
        per_run: one card per (tag, run) when True; one per tag with every run overlaid
            (``key.run == ""``) when False.
        render: ``render(key, *state_values) -> list`` of components, the card's body. Runs
            in a request (``dashboards.state.current()`` works) when the card comes near the
            view, and again when its series changes or an input of ``refresh`` does.
        body: instead of ``render``: ``body(key, ids) -> list``, the card's body laid out at
            once (``ids(part)`` names its parts); the page registers its own callback on
            ``ids("visible")`` and ends the loading state by setting ``ids("loading")``'s
            ``className`` to ``tag_cards.DRAWN``.
        actions: ``actions(key, ids) -> list``: buttons in the card's head (downloads).
        info: ``info(key, ids)``: a line under the card's body.
        refresh: inputs (``(component_id, prop)``) whose change asks every loaded card
            again, the ones near the view first (curves: the run selection, which changes
            what a card draws; distributions: the view switch).
        states: ``(component_id, prop)`` pairs whose values ``render`` receives.
        empty: the text shown when no card is left (no data, or everything filtered out).
        card_class: extra class of every card (e.g. ``"img-card"``, used by tests and CSS).
        live: ``"rerender"``: a loaded card whose series changed asks for its body again;
            ``"page"``: the page updates its loaded cards itself (curves patches its data,
            step sliders grow). A new tag or run rebuilds the list either way.
        tags: ``tags(store) -> {run: [tag, ...]}`` when the cards are not one store kind.
        at_once: how many cards ask for their body at the same time.
        eager: with ``render``, the first this many shown cards come with their bodies in
            the page's layout (no round trip before the first screen is drawn); the others
            load near the view.
    """

    def __init__(self, prefix: str, kind: str, *, per_run: bool = True,
                 render: Callable[..., list] | None = None,
                 body: Callable[[CardKey, Callable[[str], dict]], list] | None = None,
                 actions: Callable | None = None, info: Callable | None = None,
                 refresh: Sequence[tuple[str, str]] = (),
                 states: Sequence[tuple[str, str]] = (),
                 empty: str = "No data for the selected runs.", card_class: str = "",
                 live: str = "rerender", tags: Callable | None = None,
                 at_once: int = 3, eager: int = 12) -> None:
        if (render is None) == (body is None):
            raise ValueError("TagCards needs exactly one of render= or body=")
        self.prefix, self.kind, self.per_run = prefix, kind, per_run
        self.render, self.body = render, body
        self.actions, self.info = actions, info
        self.refresh, self.states = list(refresh), list(states)
        self.empty, self.card_class, self.live = empty, card_class, live
        self.tags = tags or (lambda store: store.tags(kind))
        self.at_once = at_once
        self.eager = eager if render is not None else 0

    # ------------------------------------------------------------------ ids
    def id(self, part: str, key: CardKey | None = None, build=MATCH) -> dict:
        """The id of one part of a card (``key`` None: the MATCH pattern for callbacks).
        Every part carries the card's tag, run and build, so all parts of a card match."""
        if key is None:
            return {"type": f"{self.prefix}-{part}", "tag": MATCH, "run": MATCH, "build": MATCH}
        return {"type": f"{self.prefix}-{part}", "tag": key.tag, "run": key.run,
                "build": build}

    @property
    def container_id(self) -> str:
        return f"{self.prefix}-cards"

    @property
    def filter_id(self) -> str:
        return f"{self.prefix}-tag-filter"

    # ------------------------------------------------------------------ layout
    def layout(self, runs: list[str] | None, *, controls: Sequence = (),
               initial: Sequence = (), toolbar: bool = True) -> list:
        """The page's tag filter and ``controls`` in the sticky toolbar, then the cards of
        every run (those of runs not in ``runs``, the selection, start hidden). ``initial``
        are the values of ``states`` as laid out (given to ``render`` for eager cards)."""
        parts = []
        if toolbar:
            parts.append(html.Div(className="toolbar", children=[
                self.filter_input(), *controls]))
        parts += [
            html.Div(id=f"{self.prefix}-filter-error", className="filter-error"),
            dcc.Store(id=f"{self.prefix}-rebuild", data=0),
            html.Div(id=self.container_id, className="tag-cards",
                     children=self.cards(runs or [], initial),
                     **{"data-prefix": self.prefix,
                        "data-kind": str(getattr(self.kind, "value", self.kind)),
                        "data-per-run": "1" if self.per_run else "",
                        "data-at-once": str(self.at_once), "data-live": self.live,
                        "data-refresh-on-select": "1" if self._refresh_on_select() else ""}),
        ]
        return parts

    def filter_input(self) -> dcc.Input:
        return dcc.Input(id=self.filter_id, type="text", placeholder="filter tags (regex)",
                         debounce=0.3, className="text-input")

    def _refresh_on_select(self) -> bool:
        return any(cid == "selected-runs" for cid, _ in self.refresh)

    def cards(self, selected: list[str], values: Sequence = ()) -> list:
        """Every card, grouped by tag prefix, with the empty state (shown by cards.js when no
        card is left); ``values`` of ``states`` for the eager cards."""
        if not state.ready():
            return [cards.empty_state("Reading the logdir…", loading=True)]
        by_run = self.tags(state.store())
        chosen = set(selected)
        build = str(time.time_ns())
        runs_of: dict[str, list[str]] = {}
        for run in sorted(by_run):
            for tag in by_run[run]:
                runs_of.setdefault(tag, []).append(run)
        groups, eager = [], self.eager
        for prefix, tags in group_tags(list(runs_of)):
            section = []
            for key, runs in ([(CardKey(t, r), [r]) for t in tags for r in runs_of[t]]
                              if self.per_run else [(CardKey(t), runs_of[t]) for t in tags]):
                hidden = not chosen.intersection(runs)
                body = None
                if eager > 0 and not hidden:
                    body, eager = self.render(key, *values), eager - 1
                section.append(self._card(key, build, runs, hidden, body))
            groups.append(cards.group_section(prefix or "top level", section))
        shown = any(r in chosen for rs in runs_of.values() for r in rs)
        return [*groups, html.Div(cards.empty_state(self.empty), className="tag-cards-empty",
                                  hidden=shown)]

    def _card(self, key: CardKey, build: str, runs: list[str], hidden: bool,
              rendered: list | None = None) -> html.Div:
        ids = lambda part: self.id(part, key, build)  # noqa: E731 - a name for the body
        body = self.body(key, ids) if self.body else [
            html.Div(rendered, id=ids("body"), className="card-body")]
        attrs = {"data-prefix": self.prefix, "data-tag": key.tag, "data-run": key.run,
                 "data-build": build, "data-runs": json.dumps(runs), "hidden": hidden,
                 "key": f"{key.tag}\n{key.run}@{build}"}
        return cards.card(key.tag, [
            *body,
            html.Div([html.Span(className="spinner"), html.Span("Loading…")],
                     id=ids("loading"), className=LOADING if rendered is None else DRAWN),
            dcc.Store(id=ids("visible")),  # set by cards.js when the card nears the view
        ], subtitle=key.run or None, class_name=f"card tag-card {self.card_class}".strip(),
            actions=self.actions(key, ids) if self.actions else None,
            info=self.info(key, ids) if self.info else None, attrs=attrs)

    # ------------------------------------------------------------------ callbacks
    def register(self, app) -> None:
        """The callbacks of the cards on ``app``: filtering and selection (in the browser),
        asking for bodies, live updates and rebuilds."""
        app.clientside_callback(
            ClientsideFunction("cards", "apply"),
            Output(f"{self.prefix}-filter-error", "children"),
            Input("selected-runs", "data"), Input(self.filter_id, "value"),
            Input(self.container_id, "children"),
            State(self.container_id, "id"))
        app.clientside_callback(
            ClientsideFunction("cards", "live"),
            Output(f"{self.prefix}-rebuild", "data"),
            Input("live-changes", "data"), State(self.container_id, "id"),
            State(f"{self.prefix}-rebuild", "data"), prevent_initial_call=True)
        if self.refresh:
            app.clientside_callback(
                ClientsideFunction("cards", "refresh"),
                Output(self.container_id, "className"),
                *[Input(cid, prop) for cid, prop in self.refresh],
                State(self.container_id, "id"), prevent_initial_call=True)

        @app.callback(Output(self.container_id, "children"),
                      Input(f"{self.prefix}-rebuild", "data"), State("selected-runs", "data"),
                      *[State(cid, prop) for cid, prop in self.states],
                      prevent_initial_call=True)
        def rebuild(_n, selected, *values):
            return self.cards(selected or [], values)

        if self.render is None:
            return
        render = self.render

        @app.callback(Output(self.id("body"), "children"),
                      Output(self.id("loading"), "className"),
                      Input(self.id("visible"), "data"), State(self.id("visible"), "id"),
                      *[State(cid, prop) for cid, prop in self.states],
                      prevent_initial_call=True)
        def render_card(_asked, ident, *values):
            return render(CardKey(ident["tag"], ident["run"]), *values), DRAWN
