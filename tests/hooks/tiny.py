"""Tiny data and the three kinds of Keras 3 model the hook tests train (seconds each).

The data: 12x12 grey images of 3 classes, each class a bright square in its own corner
plus noise, so a few epochs learn something. Every model has a conv layer with 5 output
channels (neither 1, 3 nor 4, which the stock callback's write_images skips), a pooling
layer and dense layers.
"""

from __future__ import annotations

import keras
import numpy as np

CLASS_NAMES = ["top-left", "top-right", "bottom"]
SIZE = 12


def images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0.2, 0.1, (n, SIZE, SIZE, 1)).astype(np.float32)
    corners = [(slice(1, 5), slice(1, 5)), (slice(1, 5), slice(7, 11)), (slice(7, 11), slice(4, 8))]
    for i, c in enumerate(y):
        rows, cols = corners[c]
        x[i, rows, cols, 0] += 0.8
    return np.clip(x, 0, 1), y.astype(np.int64)


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = images(192, seed=1)
    xv, yv = images(48, seed=2)
    return x, y, xv, yv


def sequential() -> keras.Model:
    return keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        keras.layers.Conv2D(5, 3, activation="relu", name="conv"),      # 10x10x5
        keras.layers.MaxPooling2D(2, name="pool"),                      # 5x5x5
        keras.layers.Flatten(name="flatten"),                           # 125
        keras.layers.Dense(8, activation="relu", name="hidden"),
        keras.layers.Dense(3, activation="softmax", name="output"),
    ], name="seq")


def functional() -> keras.Model:
    inputs = keras.Input((SIZE, SIZE, 1), name="image")
    conv = keras.layers.Conv2D(5, 3, activation="relu", name="conv")(inputs)
    pooled = keras.layers.MaxPooling2D(2, name="pool")(conv)
    flat = keras.layers.Flatten(name="flatten")(pooled)
    summary = keras.layers.GlobalAveragePooling2D(name="gap")(conv)
    joined = keras.layers.Concatenate(name="concat")([flat, summary])
    hidden = keras.layers.Dense(8, activation="relu", name="hidden")(joined)
    outputs = keras.layers.Dense(3, activation="softmax", name="output")(hidden)
    return keras.Model(inputs, outputs, name="func")


class Block(keras.layers.Layer):
    """A layer holding a layer: its variables live at ``block/inner``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(8, activation="relu", name="inner")

    def call(self, x):
        return self.inner(x)


class TinyNet(keras.Model):
    def __init__(self):
        super().__init__(name="tinynet")
        self.conv = keras.layers.Conv2D(5, 3, activation="relu", name="conv")
        self.pool = keras.layers.MaxPooling2D(2, name="pool")
        self.flatten = keras.layers.Flatten(name="flatten")
        self.block = Block(name="block")
        self.out = keras.layers.Dense(3, activation="softmax", name="output")

    def call(self, x):
        return self.out(self.block(self.flatten(self.pool(self.conv(x)))))


def subclassed() -> keras.Model:
    return TinyNet()


BUILDERS = {"sequential": sequential, "functional": functional, "subclassed": subclassed}

# {kind: (layer paths with a kernel, every layer path whose output is recorded)}
KERNEL_LAYERS = {
    "sequential": ["conv", "hidden", "output"],
    "functional": ["conv", "hidden", "output"],
    "subclassed": ["conv", "block/inner", "output"],
}
OUTPUT_LAYERS = {
    "sequential": ["conv", "pool", "flatten", "hidden", "output"],
    "functional": ["conv", "pool", "flatten", "gap", "concat", "hidden", "output"],
    "subclassed": ["conv", "pool", "flatten", "block", "block/inner", "output"],
}
