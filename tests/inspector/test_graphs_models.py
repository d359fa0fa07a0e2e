"""The hierarchy of trainers' models' training-step graphs, traced as the hook traces them:
the model's scope opens on its layers, each layer's scope holds its ops, the optimizer's
and the gradient tape's scopes stay closed, and the layer graph matches the layers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from inspector.graph_sources import parse_graph_def, parse_keras_json
from inspector.graphs import Hierarchy

MODELS = {  # trainer name -> (input shape, the layer scopes its model opens)
    "lenet5": ((28, 28, 1), {"conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2",
                             "output"}),
    "cnn": ((28, 28, 1), None),
    "mlp": ((28, 28, 1), {"flatten", "output"}),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_trainers_training_step_opens_on_its_layers(name):
    import keras
    import tensorflow as tf

    from inspector import graph_trace
    from trainers import registry

    registry.discover()
    spec = registry.get(name)
    shape, expected = MODELS[name]
    model = spec.build(spec.config_cls(), SimpleNamespace(input_shape=shape, num_classes=10))
    model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy")
    gd = graph_trace.train_step_graph(model, tf.TensorSpec([None, *shape], tf.float32),
                                      tf.TensorSpec([None], tf.int32))
    h = Hierarchy(parse_graph_def(gd.SerializeToString()))
    opened = h.initial_expansion((model.name,))
    assert opened == {f"g:{model.name}"}
    view = h.view(opened)
    layer_groups = {i.label for i in view.items if i.parent == f"g:{model.name}"}
    layers = {layer.name for layer in model.layers} - {model.input.name if hasattr(
        model.input, "name") else ""}
    assert layer_groups <= layers | {f"({model.name})"}
    if expected is not None:
        assert expected <= layer_groups
    top = {i.label for i in view.items if i.parent == "g:"}
    assert {"gradient_tape", model.optimizer.name} <= top, top
    assert view.bundles, "the collapsed training step has edges between its parts"
    first_conv = next((i for i in h.items.values() if i.op == "Conv2D"), None)
    if first_conv is not None:
        assert h.items[first_conv.parent].kind in ("group", "series")
    layer_graph = parse_keras_json(graph_trace.layer_graph_json(model, (), [None, *shape]))
    assert set(layer_graph.names) >= {layer.name for layer in model.layers}
