"""The ways people call ``fit``, each a tiny model and data set trained for one epoch with
the drop-in ``Inspector(logdir)`` (no data given to the hook), and what its logdir must then
hold. ``tests/hooks/test_fit_matrix.py`` trains each once and reads the logdir back."""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tests.hooks import tiny


@dataclass
class Case:
    """One way of calling fit: ``build()`` returns the compiled model and fit's keyword
    arguments; the rest is what the logdir must show."""

    build: object
    conv_layers: list[str] = field(default_factory=lambda: ["conv"])
    evaluation_run: str | None = "validation"  # None: nothing to evaluate (a warning)
    eval_samples: int = 48
    outputs: list[str | None] = field(default_factory=lambda: [None])
    warning: str | None = None  # a phrase of the expected warning line
    gradients: str = "conv/kernel"  # a variable with gradients


def compiled(model, loss="sparse_categorical_crossentropy"):
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, metrics=["accuracy"])
    return model


class Digits(keras.utils.PyDataset):
    """The tiny images as a PyDataset of batches of 16."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return -(-len(self.x) // 16)

    def __getitem__(self, i):
        return self.x[i * 16:(i + 1) * 16], self.y[i * 16:(i + 1) * 16]


def tuple_sequential():
    x, y, xv, yv = tiny.data()
    return compiled(tiny.sequential()), dict(x=x, y=y, validation_data=(xv, yv))


def dataset_functional():
    x, y, xv, yv = tiny.data()
    val = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(16)
    return compiled(tiny.functional()), dict(x=x, y=y, validation_data=val)


def pydataset_subclassed():
    x, y, xv, yv = tiny.data()
    return compiled(tiny.subclassed()), dict(x=x, y=y, validation_data=Digits(xv, yv))


def split_sequential():
    x, y, _, _ = tiny.data()
    return compiled(tiny.sequential()), dict(x=x, y=y, validation_split=0.25)


def no_validation():
    x, y, _, _ = tiny.data()
    return compiled(tiny.functional()), dict(x=x, y=y)


def dataset_one_hot():
    x, y, xv, yv = tiny.data()
    hot = lambda a: np.eye(3, dtype=np.float32)[a]  # noqa: E731
    train = tf.data.Dataset.from_tensor_slices((x, hot(y))).shuffle(64).batch(32)
    val = tf.data.Dataset.from_tensor_slices((xv, hot(yv))).batch(32)
    return (compiled(tiny.sequential(), "categorical_crossentropy"),
            dict(x=train, validation_data=val))


def dataset_class_ids():
    x, y, _, _ = tiny.data()
    return compiled(tiny.subclassed()), dict(x=tf.data.Dataset.from_tensor_slices((x, y))
                                             .batch(32))


def generator():
    x, y, _, _ = tiny.data()

    def batches():
        while True:
            for i in range(0, len(x), 32):
                yield x[i:i + 32], y[i:i + 32]

    # Subclassed: the graphs come from the shapes Keras built the model on, nothing else.
    return compiled(tiny.subclassed()), dict(x=batches(), steps_per_epoch=6)


def multi_output():
    x, y, xv, yv = tiny.data()
    inputs = keras.Input((tiny.SIZE, tiny.SIZE, 1), name="image")
    conv = keras.layers.Conv2D(5, 3, activation="relu", name="conv")(inputs)
    flat = keras.layers.Flatten(name="flatten")(keras.layers.MaxPooling2D(2, name="pool")(conv))
    corner = keras.layers.Dense(3, activation="softmax", name="corner")(flat)
    top = keras.layers.Dense(2, activation="softmax", name="top")(flat)
    model = keras.Model(inputs, [corner, top], name="two_heads")
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss={"corner": "sparse_categorical_crossentropy",
                        "top": "sparse_categorical_crossentropy"},
                  metrics={"corner": ["accuracy"], "top": ["accuracy"]})
    is_top = lambda a: (a < 2).astype(np.int64)  # noqa: E731
    return model, dict(x=x, y={"corner": y, "top": is_top(y)},
                       validation_data=(xv, {"corner": yv, "top": is_top(yv)}))


def frozen_base():
    x, y, xv, yv = tiny.data()
    base_in = keras.Input((tiny.SIZE, tiny.SIZE, 1))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv1")(base_in)
    h = keras.layers.Conv2D(5, 3, activation="relu", name="conv2")(h)
    base = keras.Model(base_in, h, name="base")
    base.trainable = False
    model = keras.Sequential([keras.Input((tiny.SIZE, tiny.SIZE, 1)), base,
                              keras.layers.GlobalAveragePooling2D(name="gap"),
                              keras.layers.Dense(3, activation="softmax", name="output")],
                             name="classifier")
    return compiled(model), dict(x=x, y=y, validation_data=(xv, yv))


CASES = {
    "validation tuple, Sequential": Case(tuple_sequential),
    "validation Dataset, Functional": Case(dataset_functional),
    "validation PyDataset, subclassed": Case(pydataset_subclassed),
    "validation_split, Sequential": Case(split_sequential, eval_samples=48),
    "no validation, Functional": Case(no_validation, evaluation_run="train",
                                      eval_samples=192, warning="no validation data"),
    "tf.data one-hot, validation Dataset": Case(dataset_one_hot),
    "tf.data class ids, no validation, subclassed": Case(
        dataset_class_ids, evaluation_run="train", eval_samples=192,
        warning="no validation data"),
    "Python generator, subclassed": Case(generator, evaluation_run=None, warning="generator",
                                         gradients="output/kernel"),
    "multi-output": Case(multi_output, outputs=["corner", "top"]),
    "nested frozen base": Case(frozen_base, conv_layers=["base/conv1", "base/conv2"],
                               gradients="output/kernel"),
}
