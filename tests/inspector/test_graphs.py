"""The name-scope hierarchy on small hand-built GraphDefs with known answers: scope grouping,
series folding, edge bundling, utility nodes set aside, search and reveal; and the layer
graph from Keras JSON, a RunMetadata and PyTorch's add_graph fixture."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inspector.errors import InspectorError
from inspector.events.proto import graph_pb2
from inspector.graph_sources import (
    parse_graph_def,
    parse_keras_json,
    parse_run_metadata,
)
from inspector.graphs import HIGH_DEGREE, SERIES_MIN, Hierarchy

FLOAT = 1


def graph_def(*nodes) -> graph_pb2.GraphDef:
    """Nodes as (name, op, inputs) or (name, op, inputs, shape) tuples."""
    g = graph_pb2.GraphDef()
    for spec in nodes:
        name, op, inputs = spec[:3]
        n = g.node.add(name=name, op=op, input=list(inputs))
        n.attr["T"].type = FLOAT
        if len(spec) > 3:
            shape = n.attr["_output_shapes"].list.shape.add()
            for d in spec[3]:
                shape.dim.add(size=d)
    return g


def hierarchy(*nodes, **kwargs) -> Hierarchy:
    return Hierarchy(parse_graph_def(graph_def(*nodes).SerializeToString()), **kwargs)


def drawn(h: Hierarchy, expanded=()) -> dict[str, str]:
    return {i.id: i.kind for i in h.view(set(expanded)).items}


def bundles(h: Hierarchy, expanded=()) -> set[tuple]:
    return {(b.source, b.target, b.count, b.control, b.label)
            for b in h.view(set(expanded)).bundles}


def test_nodes_group_by_scope_and_only_open_groups_show_their_children():
    h = hierarchy(("x", "Placeholder", []), ("dense/MatMul", "MatMul", ["x"]),
                  ("dense/inner/Relu", "Relu", ["dense/MatMul"]),
                  ("out", "Identity", ["dense/inner/Relu"]))
    assert drawn(h) == {"n:x": "node", "g:dense": "group", "n:out": "node"}
    assert drawn(h, ["g:dense"]) == {"n:x": "node", "g:dense": "group", "n:dense/MatMul": "node",
                                     "g:dense/inner": "group", "n:out": "node"}
    assert h.items["g:dense"].count == 2
    assert h.items["g:dense/inner"].parent == "g:dense"


def test_an_op_named_like_a_scope_sits_inside_that_scope():
    h = hierarchy(("Add", "AddV2", ["Add/ReadVariableOp"]),
                  ("Add/ReadVariableOp", "ReadVariableOp", []))
    assert drawn(h) == {"g:Add": "group"}
    assert h.items["n:Add"].parent == "g:Add"
    assert h.items["n:Add"].label == "(Add)"


def _blocks(n: int, op="Relu"):
    nodes = [("x", "Placeholder", [])]
    prev = "x"
    for k in range(n):
        name = "block" if k == 0 else f"block_{k}"
        nodes += [(f"{name}/conv", "Conv2D", [prev]), (f"{name}/act", op, [f"{name}/conv"])]
        prev = f"{name}/act"
    return nodes


def test_repeated_sibling_scopes_fold_into_one_series_that_unfolds():
    h = hierarchy(*_blocks(SERIES_MIN))
    assert drawn(h) == {"n:x": "node", "s:block": "series"}
    series = h.items["s:block"]
    assert series.label == f"block_[0-{SERIES_MIN - 1}]"
    assert series.count == 2 * SERIES_MIN
    opened = drawn(h, ["s:block"])
    assert [i for i in opened if i.startswith("g:")] == ["g:block"] + [
        f"g:block_{k}" for k in range(1, SERIES_MIN)]


def test_too_few_or_dissimilar_siblings_do_not_fold():
    assert "s:block" not in drawn(hierarchy(*_blocks(SERIES_MIN - 1)))
    mixed = _blocks(SERIES_MIN + 1)
    mixed[-1] = (mixed[-1][0], "Sigmoid", mixed[-1][2])  # the last block differs inside
    h = hierarchy(*mixed)
    assert {"s:block", f"g:block_{SERIES_MIN}"} <= set(drawn(h))  # the odd one stays out
    assert h.items["s:block"].count == 2 * SERIES_MIN
    assert "s:block" not in drawn(hierarchy(*_blocks(SERIES_MIN), fold_series=False))


def test_numbered_sibling_ops_of_one_type_fold():
    nodes = [("add", "AddV2", [])] + [(f"add_{k}", "AddV2", []) for k in range(1, 7)]
    assert drawn(hierarchy(*nodes)) == {"s:add": "series"}
    assert hierarchy(*nodes).items["s:add"].op == "AddV2"


def test_edges_between_collapsed_groups_are_bundled_with_counts_and_shapes():
    h = hierarchy(("a/x", "Placeholder", [], [-1, 4]), ("a/y", "Placeholder", [], [-1, 4]),
                  ("b/add", "AddV2", ["a/x", "a/y"], [-1, 4]), ("b/sq", "Square", ["a/x"]),
                  ("c/out", "Identity", ["b/add", "^a/y"]))
    assert bundles(h) == {("g:a", "g:b", 3, False, "3 tensors"),
                          ("g:b", "g:c", 1, False, "float32 [?, 4]"),
                          ("g:a", "g:c", 1, True, "")}
    inner = bundles(h, ["g:b"])  # opening b: its ops get their own edges, none inside a group
    assert ("g:a", "n:b/add", 2, False, "2 tensors") in inner
    assert ("g:a", "n:b/sq", 1, False, "float32 [?, 4]") in inner
    assert ("n:b/add", "g:c", 1, False, "float32 [?, 4]") in inner


def test_constants_and_noops_are_set_aside_and_their_edges_not_drawn_until_opened():
    h = hierarchy(("x", "Placeholder", []), ("scale", "Const", []),
                  ("m/mul", "Mul", ["x", "scale"]), ("init", "NoOp", ["^m/mul"]))
    assert drawn(h) == {"n:x": "node", "g:m": "group", "u:": "utility"}
    assert h.items["u:"].label == "2 set aside"
    assert bundles(h) == {("n:x", "g:m", 1, False, "float32")}
    assert ("n:scale", "g:m", 1, False, "float32") in bundles(h, ["u:"])


def test_a_node_feeding_very_many_others_is_set_aside():
    nodes = [("lr", "ReadVariableOp", [])] + [(f"u{k}/mul", "Mul", ["lr"])
                                               for k in range(HIGH_DEGREE + 1)]
    h = hierarchy(*nodes, fold_series=False)
    assert h.items["n:lr"].parent == "u:"
    assert bundles(h) == set()


def test_search_finds_nodes_inside_collapsed_groups_and_reveal_opens_their_scopes():
    h = hierarchy(("x", "Placeholder", []), ("net/block/deep/Relu", "Relu", ["x"]),
                  ("net/other", "Tanh", ["x"]))
    assert h.search("deep") == ["n:net/block/deep/Relu"]
    assert set(h.search("^tanh$")) == {"n:net/other"}  # op types match whole, any case
    opened = h.reveal(h.search("deep"))
    assert opened == {"g:net", "g:net/block", "g:net/block/deep"}
    assert "n:net/block/deep/Relu" in h.view(opened).atoms
    with pytest.raises(re.error):
        h.search("(")


def test_expand_to_depth_opens_shallow_groups_within_a_budget():
    h = hierarchy(("a/b/c/op", "Relu", []), ("a/b/d", "Relu", []), ("e/f", "Relu", []))
    assert h.expand_to_depth(1) == {"g:a", "g:e"}
    assert h.expand_to_depth(3) == {"g:a", "g:e", "g:a/b", "g:a/b/c"}
    assert h.expand_to_depth(3, budget=2) == set()


def test_initial_expansion_opens_lone_scopes_and_the_model_scope():
    h = hierarchy(("model/l1/op", "Relu", []), ("model/l2/op", "Relu", []),
                  ("tape/op", "Relu", []), ("x", "Placeholder", []))
    assert h.initial_expansion(("model",)) == {"g:model"}
    assert h.initial_expansion() == set()
    lone = hierarchy(("torch/Linear[fc]/op", "aten::linear", []), ("input/x", "IO Node", []),
                     ("torch/Conv2d[conv]/op", "aten::conv", []))
    assert lone.items["g:torch/Linear[fc]"].label == "fc"
    assert lone.items["g:torch/Linear[fc]"].op == "Linear"


def test_a_graph_def_that_does_not_parse_is_a_user_error():
    with pytest.raises(InspectorError):
        parse_graph_def(b"\xff\xff\xff")


def test_run_metadata_graphs_are_read_and_several_are_kept_apart():
    meta = graph_pb2.RunMetadata()
    for _ in range(2):
        fg = meta.function_graphs.add()
        fg.pre_optimization_graph.CopyFrom(graph_def(("x", "Placeholder", []),
                                                     ("y", "Relu", ["x"])))
    g = parse_run_metadata(meta.SerializeToString())
    assert g.names == ["function_0/x", "function_0/y", "function_1/x", "function_1/y"]
    assert list(zip(g.src.tolist(), g.dst.tolist(), strict=True)) == [(0, 1), (2, 3)]
    with pytest.raises(InspectorError):
        parse_run_metadata(graph_pb2.RunMetadata().SerializeToString())


def _layer(name, cls, inbound, shape, params):
    args = [{"class_name": "__keras_tensor__", "config": {"keras_history": [i, 0, 0]}}
            for i in inbound]
    return {"class_name": cls, "name": name, "config": {"name": name},
            "inbound_nodes": [{"args": args, "kwargs": {}}] if args else [],
            "inspector": {"output_shape": shape, "param_count": params}}


def test_a_functional_keras_json_becomes_the_layer_graph_with_shapes_and_params():
    model = {"class_name": "Functional", "config": {"name": "m", "layers": [
        _layer("in", "InputLayer", [], [None, 8], 0),
        _layer("a", "Dense", ["in"], [None, 4], 36),
        _layer("b", "Dense", ["in"], [None, 4], 36),
        _layer("sum", "Add", ["a", "b"], [None, 4], 0)]}}
    g = parse_keras_json(json.dumps(model))
    assert g.names == ["in", "a", "b", "sum"] and g.ops[1] == "Dense"
    assert sorted(zip(g.src.tolist(), g.dst.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 3),
                                                                        (2, 3)]
    assert g.layer_info["a"]["param_count"] == 36
    h = Hierarchy(g)
    assert ("n:a", "n:sum", 1, False, "[?, 4]") in bundles(h)


def test_sequential_and_nested_keras_json():
    inner = {"class_name": "Sequential", "config": {"name": "enc", "layers": [
        {"class_name": "Dense", "config": {"name": "d1"}},
        {"class_name": "Dense", "config": {"name": "d2"}}]}}
    outer = {"class_name": "Sequential", "config": {"name": "top", "layers": [
        {"class_name": "InputLayer", "config": {"name": "x"}}, inner,
        {"class_name": "Dense", "config": {"name": "head"}}]}}
    g = parse_keras_json(json.dumps(outer))
    assert g.names == ["x", "enc/d1", "enc/d2", "head"]
    edges = sorted(zip(g.src.tolist(), g.dst.tolist(), strict=True))
    assert edges == [(0, 1), (1, 2), (2, 3)]
    assert drawn(Hierarchy(g)) == {"n:x": "node", "g:enc": "group", "n:head": "node"}
    with pytest.raises(InspectorError):
        parse_keras_json('{"class_name": "MyModel", "config": {}}')


def test_pytorch_add_graph_scopes_read_as_layers():
    from inspector.store import Store

    store = Store(Path(__file__).parents[1] / "fixtures" / "torch_logs")
    store.reload()
    h = Hierarchy(parse_graph_def(store.graphs(".")[0].value))
    assert h.initial_expansion() == set()  # TinyNet beside input/ and output/
    opened = drawn(h, ["g:TinyNet"])
    assert {"g:TinyNet/Conv2d[conv]", "g:TinyNet/Linear[fc]"} <= set(opened)
    assert h.items["g:TinyNet/Conv2d[conv]"].label == "conv"
    assert ("g:input", "g:TinyNet", 1, False, "[1, 1, 4, 4]") in bundles(h)


def test_control_and_data_edges_between_the_same_items_are_drawn_as_one():
    h = hierarchy(("a/x", "Placeholder", [], [2]), ("b/y", "Relu", ["a/x"]),
                  ("b/z", "NoOpLike", ["^a/x"]))
    assert bundles(h) == {("g:a", "g:b", 2, False, "float32 [2]")}
