"""Tag cards: the part every page of per-tag charts is built from.

One ``TagCards`` per page gives it, with no code of its own:

- one card per tag (runs overlaid) or per (tag, run), grouped by the tag's prefix
  (TensorBoard's grouping), for every run of the logdir;
- a tag filter (case-insensitive regex) and the run picker's selection, both applied in the
  browser by hiding cards (``assets/cards.js``), so a filter edit costs no server round trip;
- an empty state when nothing is left to show;
- lazy loading: a card is one light component (no Dash callbacks of its own) with a
  visible loading state until it comes near the view; then cards.js asks for the bodies of the
  cards near the view, a batch per request, top first, and one server callback fills them;
  the first ``eager`` cards come with the layout;
- live updates: a loaded card whose series changed is asked for again; a tag or run that
  appears rebuilds the list.

The page supplies ``render(key, *states) -> list``, the body of one card, built from the
store. See ``dashboards/__init__.py`` for a page built from it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Input,
    Output,
    State,
    ctx,
    dcc,
    html,
    no_update,
    set_props,
)
from dash.exceptions import PreventUpdate

from dashboards import state
from dashboards.components import cards
from dashboards.series import group_tags

LOADED = "loaded"  # the class of a card whose body is there


@dataclass(frozen=True)
class CardKey:
    """Which card: its tag, its run ("" for a card of one tag with the runs overlaid), and
    the build of the card list it belongs to (ids of a card's parts carry it, so a rebuilt
    card never shares an id with the one it replaces)."""

    tag: str
    run: str = ""
    build: str = ""


class TagCards:
    """The cards of one page.

    Args:
        prefix: namespace of every id of the page's cards (``"img"`` gives ``img-cards``,
            ``img-tag-filter``, ``img-ask``, ...); unique per page.
        kind: the store kind whose tags make the cards (``store.tags(kind)``).
        per_run: one card per (tag, run) when True; one per tag with every run overlaid
            (``key.run == ""``) when False.
        render: ``render(key, *state_values) -> list`` of components, the card's body. Runs
            in a request (``dashboards.state.current()`` works) when the card comes near the
            view, and again when its series changes or an input of ``refresh`` does. Parts
            that need callbacks of their own get ids from ``self.id(part, key)`` (MATCH
            pattern: ``self.id(part)``).
        refresh: ``(component_id, prop)`` inputs whose change asks every loaded card again,
            the ones near the view first (curves: the run selection, which changes what a
            card draws; distributions: the view switch).
        states: ``(component_id, prop)`` pairs whose values ``render`` receives.
        empty: the text shown when no card is left (no data, or everything filtered out).
        card_class: extra class of every card (e.g. ``"img-card"``, used by tests and CSS).
        live: ``"rerender"``: a loaded card whose series changed asks for its body again;
            ``"page"``: the page updates its loaded cards itself (curves patches its data,
            step sliders grow). A new tag or run rebuilds the list either way.
        tags: ``tags(store) -> {run: [tag, ...]}`` when the cards are not one store kind.
        at_once: how many cards one request asks for.
        eager: the first this many shown cards come with their bodies in the page's layout
            (no round trip before the first screen is drawn); the others load near the view.
        actions: ``actions(key) -> list``: controls in the card's head, there before the
            body loads (curves: downloads); ids from ``self.id(part, key)``.
        part_callbacks: True when a body holds parts whose callbacks must run as it arrives
            (curves: the chart is drawn by a clientside callback on its data store). Costs
            a pattern id per card, so keep it for pages of tens of cards.
    """

    def __init__(self, prefix: str, kind: str, render: Callable[..., list], *,
                 per_run: bool = True, refresh: Sequence[tuple[str, str]] = (),
                 states: Sequence[tuple[str, str]] = (),
                 empty: str = "No data for the selected runs.", card_class: str = "",
                 live: str = "rerender", tags: Callable | None = None, at_once: int = 6,
                 eager: int = 12, part_callbacks: bool = False,
                 actions: Callable[[CardKey], list] | None = None) -> None:
        self.prefix, self.kind, self.per_run, self.render = prefix, kind, per_run, render
        self.refresh, self.states = list(refresh), list(states)
        self.empty, self.card_class, self.live = empty, card_class, live
        self.tags = tags or (lambda store: store.tags(kind))
        self.at_once, self.eager, self.part_callbacks = at_once, eager, part_callbacks
        self.actions = actions

    # ------------------------------------------------------------------ ids
    def id(self, part: str, key: CardKey | None = None) -> dict:
        """The id of a part of a card's body that has callbacks of its own (``key`` None:
        the MATCH pattern for those callbacks)."""
        if key is None:
            return {"type": f"{self.prefix}-{part}", "tag": MATCH, "run": MATCH, "build": MATCH}
        return {"type": f"{self.prefix}-{part}", "tag": key.tag, "run": key.run,
                "build": key.build}

    def _card_id(self, build, n) -> dict:
        # With part_callbacks a card's body slot is a pattern-id output of ``fill`` (a real
        # output, so the callbacks of the parts it holds fire when it arrives).
        return {"type": f"{self.prefix}-body", "build": build, "n": n}

    def _slot_id(self, build, n) -> str:
        # The card itself: a plain id that ``fill`` sets directly (hundreds of pattern ids
        # would slow every update in the browser).
        return f"{self.prefix}-{build}-{n}"

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
            dcc.Store(id=f"{self.prefix}-built", data=0),  # a new card list was laid out
            dcc.Store(id=f"{self.prefix}-ask"),  # set by cards.js: the cards to fill
            dcc.Store(id=f"{self.prefix}-answered"),
            html.Div(id=self.container_id, className="tag-cards",
                     children=self.cards(runs or [], initial),
                     **{"data-prefix": self.prefix,
                        "data-kind": str(getattr(self.kind, "value", self.kind)),
                        "data-per-run": "1" if self.per_run else "",
                        "data-at-once": str(self.at_once), "data-live": self.live,
                        "data-pattern": "1" if self.part_callbacks else "",
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
        run_list = sorted(by_run)
        index = {r: i for i, r in enumerate(run_list)}
        runs_of: dict[str, list[str]] = {}
        for run in run_list:
            for tag in by_run[run]:
                runs_of.setdefault(tag, []).append(run)
        groups, eager, n = [], self.eager, 0
        for prefix, tags in group_tags(list(runs_of)):
            section = []
            for tag in tags:
                for runs in ([[r] for r in runs_of[tag]] if self.per_run else [runs_of[tag]]):
                    key = CardKey(tag, runs[0] if self.per_run else "", build)
                    hidden = not chosen.intersection(runs)
                    body = None
                    if eager > 0 and not hidden:
                        body, eager = self.render(key, *values), eager - 1
                    section.append(self._card(key, n, " ".join(str(index[r]) for r in runs),
                                              hidden, body))
                    n += 1
            groups.append(cards.group_section(prefix or "top level", section))
        shown = any(r in chosen for rs in runs_of.values() for r in rs)
        return [*groups,
                html.Div(cards.empty_state(self.empty), className="tag-cards-empty", hidden=shown),
                # The runs a per-tag card's data-runs indexes (cards.js filters by them).
                html.Div(className="tag-cards-runs", hidden=True,
                         **{"data-runs": json.dumps(run_list)})]

    def _card(self, key: CardKey, n: int, runs: str, hidden: bool,
              rendered: list | None) -> html.Div:
        # A card not loaded yet is ONE Dash component (its title as text, its loading state
        # drawn by CSS): a page may lay out hundreds, and every Dash update in the browser
        # costs time in proportion to the components on the page.
        if self.part_callbacks:  # tens of cards: a frame with a body slot that fill outputs
            children = self._filled(key, rendered, slot=self._card_id(key.build, n))
        elif rendered is not None:
            children = self._filled(key, rendered)
        else:
            children = [key.tag, f"  ·  {key.run}" if key.run else ""]
            if self.actions is not None:
                children.insert(0, self._actions(key))
        return html.Div(
            children, id=self._slot_id(key.build, n), hidden=hidden, key=f"{key.build}-{n}",
            className=self._class(loaded=rendered is not None),
            **{"data-prefix": self.prefix, "data-tag": key.tag, "data-run": key.run,
               "data-n": str(n), "data-build": key.build, "data-runs": runs})

    def _class(self, loaded: bool) -> str:
        return " ".join(c for c in ("card tag-card", self.card_class, LOADED if loaded else "")
                        if c)

    def _filled(self, key: CardKey, body: list | None, slot=None) -> list:
        head = [key.tag, html.Span(key.run, className="card-subtitle")] if key.run else [key.tag]
        out = [html.Div(head, className="card-head card-title", title=key.tag),
               html.Div(body, className="card-body", **({"id": slot} if slot else {}))]
        if self.actions is not None:  # first, as in the unloaded card: the same elements stay
            out.insert(0, self._actions(key))
        return out

    def _actions(self, key: CardKey) -> html.Span:
        return html.Span(self.actions(key), id=self.id("actions", key), className="card-actions")

    # ------------------------------------------------------------------ callbacks
    def register(self, app) -> None:
        """The callbacks of the cards on ``app``: filtering and selection (in the browser),
        filling the cards asked for, live updates and rebuilds."""
        app.clientside_callback(
            ClientsideFunction("cards", "apply"),
            Output(f"{self.prefix}-filter-error", "children"),
            Input("selected-runs", "data"), Input(self.filter_id, "value"),
            Input(f"{self.prefix}-built", "data"), State(self.container_id, "id"))
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
                      Output(f"{self.prefix}-built", "data"),
                      Input(f"{self.prefix}-rebuild", "data"), State("selected-runs", "data"),
                      *[State(cid, prop) for cid, prop in self.states],
                      prevent_initial_call=True)
        def rebuild(n, selected, *values):
            return self.cards(selected or [], values), n

        outputs = [Output(self._card_id(ALL, ALL), "children")] if self.part_callbacks \
            else [Output(f"{self.prefix}-answered", "data")]

        @app.callback(*outputs, Input(f"{self.prefix}-ask", "data"),
                      *[State(cid, prop) for cid, prop in self.states],
                      prevent_initial_call=True)
        def fill(asked, *values):
            """The cards asked for ({"build", "cards": [[n, tag, run]], "t"}), filled, and
            marked loaded (which ends their loading state)."""
            if not asked or not state.ready():
                raise PreventUpdate
            build = str(asked["build"])
            filled = {}
            for n, tag, run in asked["cards"]:
                key = CardKey(tag, run, build)
                body = self.render(key, *values)
                filled[int(n)] = body if self.part_callbacks else self._filled(key, body)
                set_props(self._slot_id(build, int(n)), {"className": self._class(loaded=True)})
            if not self.part_callbacks:
                for n, children in filled.items():
                    set_props(self._slot_id(build, n), {"children": children})
                return asked.get("t")
            return [filled.get(o["id"]["n"], no_update) if o["id"]["build"] == build
                    else no_update for o in ctx.outputs_list]
