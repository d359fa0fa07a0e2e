"""The graphs page's data: which graphs a run holds, the laid-out elements of a view (top to
bottom, no overlaps, open groups around their children), search and trace highlights,
layer links and colours, and the cross-page URL helpers."""

from __future__ import annotations

import json

from dashboards import graph_layout
from dashboards import graphs_view as GV
from dashboards.components.links import link_params, page_link
from inspector.events.proto import graph_pb2
from inspector.graph_sources import parse_graph_def
from inspector.graphs import Hierarchy
from inspector.store import Store
from inspector.summary import SummaryWriter


def graph_def(*nodes) -> graph_pb2.GraphDef:
    g = graph_pb2.GraphDef()
    for name, op, inputs in nodes:
        g.node.add(name=name, op=op, input=list(inputs))
    return g


CHAIN = graph_def(("x", "Placeholder", []), ("net/conv1/Conv2D", "Conv2D", ["x"]),
                  ("net/conv1/Relu", "Relu", ["net/conv1/Conv2D"]),
                  ("net/fc/MatMul", "MatMul", ["net/conv1/Relu"]),
                  ("out", "Identity", ["net/fc/MatMul"]))


def hierarchy() -> Hierarchy:
    return Hierarchy(parse_graph_def(CHAIN.SerializeToString()))


def by_id(elements):
    return {e["data"]["id"]: e for e in elements if "source" not in e["data"]}


def test_a_chain_is_laid_out_top_to_bottom():
    h = hierarchy()
    nodes = by_id(GV.elements(h, h.view({"g:net"})))
    ys = [nodes[i]["position"]["y"] for i in ("n:x", "g:net/conv1", "g:net/fc", "n:out")]
    assert ys == sorted(ys) and len(set(ys)) == 4
    assert "position" not in nodes["g:net"]  # an open group is drawn around its children
    assert nodes["g:net/conv1"]["data"]["parent"] == "g:net"


def test_siblings_in_one_layer_do_not_overlap_and_wide_layers_wrap():
    many = graph_def(*[(f"b_{k}/op", "Relu", []) for k in range(1, 41)])
    h = Hierarchy(parse_graph_def(many.SerializeToString()), fold_series=False)
    view = h.view()
    placed = graph_layout.positions(view, {i.id: i.label for i in view.items})
    rows: dict[int, list[tuple[float, float]]] = {}
    for x, y, w, _ in placed.values():
        rows.setdefault(round(y), []).append((x, w))
    assert 1 < len(rows) < 40  # wrapped into rows, not one line of 40
    for row in rows.values():
        row.sort()
        for (x1, w1), (x2, w2) in zip(row, row[1:], strict=False):
            assert x1 + w1 / 2 <= x2 - w2 / 2


def test_search_matches_are_marked_and_their_closed_groups_flagged():
    h = hierarchy()
    matches = h.search("Relu")
    closed = by_id(GV.elements(h, h.view(), matches=matches))
    assert "holds-match" in closed["g:net"]["classes"]
    opened = by_id(GV.elements(h, h.view(h.reveal(matches)), matches=matches))
    assert "match" in opened["n:net/conv1/Relu"]["classes"]


def test_trace_follows_drawn_edges_up_and_down():
    h = hierarchy()
    view = h.view({"g:net"})
    assert GV.traced(view, "g:net/fc", "inputs") == {"g:net/conv1", "n:x"}
    assert GV.traced(view, "g:net/fc", "outputs") == {"n:out"}
    assert GV.traced(view, "g:net/fc", "both") == {"g:net/conv1", "n:x", "n:out"}


def test_layers_are_found_by_scope_tail_and_coloured_by_their_statistic():
    h = hierarchy()
    assert GV.layer_of(h, "g:net/conv1", {"conv1", "fc"}) == "conv1"
    assert GV.layer_of(h, "n:x", {"conv1"}) is None
    nodes = by_id(GV.elements(h, h.view({"g:net"}), color_by="stat",
                              stats={"conv1": 100.0, "fc": 1.0}, layers={"conv1", "fc"}))
    assert nodes["g:net/conv1"]["data"]["color"] == GV.PALETTE_SEQ[-1]
    assert nodes["n:x"]["data"]["color"] == "#ffffff"


def test_details_of_a_node_list_its_inputs_and_consumers():
    h = hierarchy()
    d = GV.details(h, "n:net/conv1/Relu")
    assert d["op"] == "Relu" and d["inputs"][0][0] == "net/conv1/Conv2D"
    assert [name for name, _ in d["outputs"]] == ["net/fc/MatMul"]
    assert GV.details(h, "g:net")["op_counts"][0][1] == 1


def test_a_runs_graphs_are_listed_and_built_once(tmp_path):
    model = {"class_name": "Functional", "config": {"name": "net", "layers": [
        {"class_name": "InputLayer", "name": "x", "config": {"name": "x"}, "inbound_nodes": [],
         "inspector": {"output_shape": [None, 4], "param_count": 0}}]}}
    with SummaryWriter(tmp_path / "train") as w:
        w.graph_def(CHAIN, 0)
        w.keras_model(json.dumps(model), 0)
    store = Store(tmp_path)
    store.reload()
    assert GV.graph_runs(store) == ["train"]
    assert [s.key for s in GV.sources(store, "train")] == ["op", "layer:keras"]
    assert GV.sources(store, "train")[0].label == "Op graph · training step"
    first = GV.hierarchy(store, "train", "op")
    assert GV.hierarchy(store, "train", "op") is first
    assert GV.model_names(store, "train") == ("net",)
    assert GV.param_counts(store, "train") == {"x": 0.0}


def test_page_links_round_trip():
    link = page_link("/kernels", run="lenet5/train", layer="block 1/conv", tag=None, step=3)
    assert link == "/kernels?run=lenet5%2Ftrain&layer=block+1%2Fconv&step=3"
    assert link_params(link.partition("?")[2]) == {"run": "lenet5/train",
                                                   "layer": "block 1/conv", "step": 3}
    assert page_link("/graphs") == "/graphs"
