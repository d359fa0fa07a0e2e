"""A custom tf.GradientTape loop logs the same things as the Keras callback with a handful of
``ModelLogger`` calls: start, batch, epoch, close."""

from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.core.framework.graph_pb2 import GraphDef

from inspector.events import plugins as P
from inspector.model_logger import ModelLogger
from inspector.store import Store
from tests.hooks import tiny


def test_gradient_tape_loop_logs_curves_state_graph_and_evaluation(tmp_path):
    keras.utils.set_random_seed(3)
    x, y, xv, yv = tiny.data()
    model = tiny.functional()  # not compiled: the loop owns loss and optimizer
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.SGD(0.1)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    log = ModelLogger(tmp_path, model, validation_data=(xv, yv), loss_fn=loss_fn,
                      class_names=tiny.CLASS_NAMES)
    log.start(train_step=train_step)
    step = 0
    for epoch in range(2):
        for i in range(0, len(x), 64):
            loss = train_step(x[i:i + 64], y[i:i + 64])
            step += 1
            log.batch(step, {"loss": float(loss)})
        val_loss = float(loss_fn(yv, model(xv, training=False)))
        log.epoch(epoch + 1, {"loss": float(loss)}, {"loss": val_loss})
    log.close()
    assert log.errors == []

    s = Store(tmp_path)
    s.reload()
    assert list(s.scalars("train", "batch/loss").steps) == list(range(1, 7))
    assert list(s.scalars("train", "epoch/loss").steps) == [1, 2]
    assert list(s.scalars("validation", "epoch/loss").steps) == [1, 2]
    for tag in ("weights/conv/kernel", "gradients/conv/kernel", "activations/conv"):
        assert [p.step for p in s.series(P.KIND_HISTOGRAMS, "train", tag)] == [0, 1, 2], tag
    assert s.series(P.KIND_KERNELS, "train", "kernels/conv")[-1].value.shape == (3, 3, 1, 5)
    assert s.series(P.KIND_ACTIVATIONS, "train", "feature_maps/conv")[-1].value.shape == \
        (4, 10, 10, 5)
    assert s.series(P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)[-1].value.sum() == len(yv)
    graph = GraphDef()
    graph.ParseFromString(s.graphs("train")[0].value)
    names = [n.name for n in graph.node]
    for layer in ("conv", "hidden", "output"):
        assert any(n.startswith(f"func/{layer}/") for n in names), layer
        assert any(n.startswith(f"gradient_tape/func/{layer}/") for n in names), layer
