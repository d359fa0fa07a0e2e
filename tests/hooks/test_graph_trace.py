"""Scope tidying of traced op graphs: Keras 3's doubled layer scopes get their layer's name."""

from __future__ import annotations

import keras
import tensorflow as tf

from inspector import graph_trace


def test_shared_layer_keeps_one_scope_per_call_and_inputs_follow_renames():
    dense = keras.layers.Dense(4, name="shared")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, dense(dense(inputs)), name="twice")
    graph = graph_trace.inference_graph(model, tf.TensorSpec((None, 4), tf.float32))
    names = {n.name for n in graph.node}
    scopes = {n.split("/")[1] for n in names if n.startswith("twice/")}
    assert "shared" in scopes and len(scopes) == 2  # first call renamed, second kept apart
    assert all(n.split("/")[0] != "twice_1" for n in names)
    for node in graph.node:
        for ref in node.input:
            assert ref.lstrip("^").split(":")[0] in names, (node.name, ref)


def test_names_that_are_not_layers_keep_their_suffix():
    graph = tf.compat.v1.GraphDef()
    for name, inputs in (("a_1/x", []), ("metrics_1/y", ["a_1/x"])):
        node = graph.node.add(name=name, op="NoOp")
        node.input.extend(inputs)
    tidy = graph_trace.tidy_scopes(graph, {"a"})
    assert [n.name for n in tidy.node] == ["a/x", "metrics_1/y"]
    assert list(tidy.node[1].input) == ["a/x"]
