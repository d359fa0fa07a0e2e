"""Tag cards as laid out by the server: every card of every run grouped by tag prefix, the
selection's cards shown, the first ones with their bodies, the rest light frames."""

import json

from dash import html

from dashboards import state
from dashboards.components.tag_cards import CardKey, TagCards
from inspector.events import plugins as P


def _cards(children):
    out = []
    for group in children:
        if isinstance(group, html.Details):
            out.extend(group.children[1].children)
    return out


def test_one_card_per_tag_and_run_grouped_by_prefix_selection_shown(store):
    rendered = []
    cards = TagCards("t", P.KIND_SCALARS, lambda key: rendered.append(key) or ["body"],
                     eager=2)
    with state.inspecting(store):
        children = cards.cards(["exp/seed0"])
    laid = _cards(children)
    assert len(laid) == 6  # loss and acc of three runs
    shown = [c for c in laid if not c.hidden]
    assert {getattr(c, "data-run") for c in shown} == {"exp/seed0"}
    assert [k.run for k in rendered] == ["exp/seed0", "exp/seed0"]  # eager: shown cards only
    loaded = [c for c in laid if "loaded" in c.className]
    assert len(loaded) == 2 and all(not c.hidden for c in loaded)


def test_a_card_per_tag_lists_the_runs_that_have_it(store):
    cards = TagCards("t", P.KIND_SCALARS, lambda key: [], per_run=False, eager=0)
    with state.inspecting(store):
        children = cards.cards(["exp/seed1"])
    laid = _cards(children)
    assert [getattr(c, "data-tag") for c in laid] == ["acc", "loss"]
    runs = json.loads(getattr(children[-1], "data-runs"))
    assert [runs[int(i)] for i in getattr(laid[0], "data-runs").split()] == \
        ["exp/seed0", "exp/seed1", "exp/seed2"]
    assert all(not isinstance(c.children, html.Div) for c in laid)  # frames, no bodies


def test_empty_state_when_the_kind_has_no_series(store):
    cards = TagCards("t", P.KIND_IMAGES, lambda key: [], empty="No images.")
    with state.inspecting(store):
        children = cards.cards(["exp/seed0"])
    assert not _cards(children)
    empty = next(c for c in children if c.className == "tag-cards-empty")
    assert not empty.hidden and "No images." in str(empty.to_plotly_json())


def test_part_ids_carry_tag_run_and_build():
    cards = TagCards("c", P.KIND_SCALARS, lambda key: [])
    assert cards.id("graph", CardKey("loss", "", "7")) == \
        {"type": "c-graph", "tag": "loss", "run": "", "build": "7"}
