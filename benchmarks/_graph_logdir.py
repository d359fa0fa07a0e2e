"""Writes the graphs benchmark's logdir: a Keras InceptionV3 (``weights=None``) compiled with
Adam, its training-step op graph (traced as Inspector's hook traces it, about 16,500 nodes),
inference graph and layer graph, written as the hook writes them (train/validation runs).

    python benchmarks/_graph_logdir.py OUTDIR

Imports TensorFlow; run once, the benchmark reuses the logdir."""

from __future__ import annotations

import sys
from pathlib import Path


def write(root: Path) -> None:
    import keras
    import tensorflow as tf

    from inspector import graph_trace
    from inspector.summary import SummaryWriter

    model = keras.applications.InceptionV3(weights=None, input_shape=(299, 299, 3),
                                           classes=10)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x_spec = tf.TensorSpec([None, 299, 299, 3], tf.float32)
    y_spec = tf.TensorSpec([None], tf.int32)
    train = graph_trace.train_step_graph(model, x_spec, y_spec)
    with SummaryWriter(root / "train") as w:
        w.graph_def(train, 0)
        w.keras_model(graph_trace.layer_graph_json(model, (), [None, 299, 299, 3]), 0)
    with SummaryWriter(root / "validation") as w:
        w.graph_def(graph_trace.inference_graph(model, x_spec), 0)
    print(f"{len(train.node)} nodes, {len(train.SerializeToString()) / 1e6:.1f} MB GraphDef")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
