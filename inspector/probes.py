"""Looking inside a Keras 3 model: layer paths, the probe batch, and one eager pass that
yields every layer's output, the loss and the gradients.

A *layer path* names a layer by the names of the layers that contain it, below the model
(``conv1``, ``block/inner``); every tag about a layer uses it. The probe batch is a small,
fixed, class-stratified sample of the validation data (or, without any, of the first
training samples), chosen once. What is seen is written
by ``inspector.layer_summaries``.

Imports TensorFlow and Keras; never changes the model (outputs and gradients are computed
in inference mode, so dropout is off and batch-norm statistics stay as they are).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

CONV_BASES = frozenset({"BaseConv", "BaseConvTranspose", "BaseDepthwiseConv", "BaseSeparableConv"})
POOL_BASES = frozenset({"BasePooling", "BaseGlobalPooling", "BaseAdaptivePooling"})
DENSE_BASES = frozenset({"Dense", "EinsumDense"})


def layer_role(layer) -> str | None:
    """"conv", "pool", "dense" or "recurrent" for the layers whose maps (and, but for
    recurrent layers, kernels) are shown, else None."""
    names = {cls.__name__ for cls in type(layer).__mro__}
    if "RNN" in names:
        return "recurrent"
    if names & CONV_BASES:
        return "conv"
    if names & POOL_BASES:
        return "pool"
    if names & DENSE_BASES:
        return "dense"
    return None


def _children(layer) -> list:
    if isinstance(layer, keras.Model) or hasattr(layer, "layers"):
        try:
            return list(layer.layers)
        except (AttributeError, TypeError):
            pass
    return list(layer._flatten_layers(include_self=False, recursive=False))


def layer_paths(model) -> dict[str, Any]:
    """{layer path: layer} for every layer below ``model``, depth first, in build order.
    InputLayers are left out (they compute nothing)."""
    out: dict[str, Any] = {}

    def walk(layer, prefix: str) -> None:
        for child in _children(layer):
            if type(child).__name__ == "InputLayer":
                continue
            path = f"{prefix}{child.name}"
            if path in out:  # one layer object reached twice (shared): keep the first
                continue
            out[path] = child
            walk(child, path + "/")

    walk(model, "")
    return out


def variable_paths(model, trainable_only: bool = False) -> list[tuple[str, Any]]:
    """``[(<layer path>/<variable name>, variable)]`` for the model's variables, each under
    the layer that owns it directly (the model's own variables under the model's name)."""
    seen: set[int] = set()
    out: list[tuple[str, Any]] = []
    layers = layer_paths(model)
    for path, layer in reversed(list(layers.items())):  # deepest owners claim first
        for v in layer.trainable_weights if trainable_only else layer.weights:
            if id(v) not in seen:
                seen.add(id(v))
                out.append((f"{path}/{v.name}", v))
    for v in model.trainable_weights if trainable_only else model.weights:
        if id(v) not in seen:
            seen.add(id(v))
            out.append((f"{model.name}/{v.name}", v))
    order = {id(v): i for i, v in enumerate(model.weights)}
    out.sort(key=lambda pv: order.get(id(pv[1]), len(order)))
    # Keras names variables within a layer uniquely, but two owners may share a path.
    counts: dict[str, int] = {}
    unique = []
    for path, v in out:
        n = counts[path] = counts.get(path, 0) + 1
        unique.append((path if n == 1 else f"{path}_{n - 1}", v))
    return unique


# ----------------------------------------------------------------------------- the probe


@dataclass
class Probe:
    """The fixed batch the hook looks at every epoch: ``x`` (an array, or the model's
    nested inputs), ``y`` (targets or None) and where they came from in the data."""

    x: Any
    y: Any  # an array, nested arrays (several outputs) or None
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.indices)

    def head(self, n: int) -> Any:
        """The first ``n`` probe inputs."""
        return tf.nest.map_structure(lambda a: a[:n], self.x)


def integer_labels(y) -> np.ndarray | None:
    """Class ids from class-id or one-hot targets; None for anything else."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1 and np.all((y == 0) | (y == 1)):
        return y.argmax(axis=1)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] == 1 and y.dtype.kind in "iub":
        return flat[:, 0].astype(np.int64)
    if flat.shape[1] == 1 and y.dtype.kind == "f" and np.all(np.mod(flat, 1) == 0):
        return flat[:, 0].astype(np.int64)
    return None


def select_probe(x, y=None, size: int = 32) -> Probe:
    """``size`` samples of ``(x, y)`` taken in turn from each class (the first sample of
    every class, then the second, ...), so the first probes show different classes; without
    class labels, the first ``size`` samples. Deterministic. ``y`` may be nested (several
    outputs): the first target's classes decide."""
    n = len(tf.nest.flatten(x)[0])
    labels = integer_labels(tf.nest.flatten(y)[0]) if y is not None else None
    if labels is None:
        idx = np.arange(min(size, n))
    else:
        per_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        order = []
        for r in range(max(len(p) for p in per_class)):
            order.extend(int(p[r]) for p in per_class if r < len(p))
            if len(order) >= size:
                break
        idx = np.array(order[:size], np.int64)
    take = lambda a: np.asarray(a)[idx]  # noqa: E731
    return Probe(tf.nest.map_structure(take, x),
                 None if y is None else tf.nest.map_structure(take, y), idx)


def input_spec(x) -> Any:
    """TensorSpecs matching a batch ``x`` with the batch dimension left open."""
    def spec(a):
        a = np.asarray(a)
        dtype = tf.float32 if a.dtype == np.float64 else tf.as_dtype(a.dtype)
        return tf.TensorSpec((None, *a.shape[1:]), dtype)

    return tf.nest.map_structure(spec, x)


def as_batch(x) -> Any:
    """Numpy float64 becomes float32, as the specs of ``input_spec`` expect."""
    def conv(a):
        a = np.asarray(a)
        return a.astype(np.float32) if a.dtype == np.float64 else a

    return tf.nest.map_structure(conv, x)


# ------------------------------------------------------------------ layer outputs, gradients


def is_recurrent(layer) -> bool:
    """True for Keras' recurrent layers (SimpleRNN, LSTM, GRU and other ``RNN``s)."""
    return any(cls.__name__ == "RNN" for cls in type(layer).__mro__)


@dataclass
class LayerCall:
    """One layer call seen while recording: the layer path, the paths of the layers whose
    outputs it took ("input" for the model's inputs) and its output shape."""

    path: str
    inputs: list[str]
    output_shape: list[int | None] | None


@dataclass
class Recording:
    """What one ``LayerRecorder`` pass saw: layer outputs (float32, by layer path), the
    model's outputs (flattened, float32), the inputs of the recurrent layers (by path; what
    ``inspector.recurrent`` replays), the loss and one gradient per trainable variable
    (dense, zeros where none flows; empty without targets)."""

    outputs: dict[str, np.ndarray]
    loss: float
    gradients: list[np.ndarray]
    results: list[np.ndarray] = field(default_factory=list)
    recurrent_inputs: dict[str, np.ndarray] = field(default_factory=dict)


class LayerRecorder:
    """The outputs of every layer (or of the ``paths`` given) for a batch, in one eager
    pass; with ``record(x, y)`` also the loss and the gradients of the trainable variables.

    Keras 3 exposes no per-layer outputs for subclassed models, so the recorder wraps each
    layer's ``call`` for the duration of one forward pass (on this thread only: another
    thread calling the model meanwhile sees the plain layers) and unwraps it again. The
    pass runs eagerly: on a probe batch that costs a few milliseconds, where tracing a
    ``tf.function`` would cost a second at the first epoch. Layers inside recurrent layers
    (their cells, called once per time step) are not recorded; the recurrent layer's input
    is kept instead. ``calls`` lists what the last pass saw. The pass runs in inference
    mode; ``loss_fn(y_true, y_pred)`` defaults to the compiled loss (``model.compute_loss``,
    regularization included).
    """

    OUTPUT = "<model output>"  # the key of the model's (first) output, with ``output=True``

    def __init__(self, model, paths: list[str] | None = None, *, output: bool = False,
                 loss_fn=None):
        self.model = model
        self.layers = layer_paths(model)
        recurrent = [p for p, layer in self.layers.items() if is_recurrent(layer)]
        self._inside = {p for p in self.layers if any(p.startswith(r + "/") for r in recurrent)}
        self.recurrent = recurrent
        self.paths = list(self.layers) if paths is None else [p for p in paths if p in self.layers]
        self.output = output
        self.loss_fn = loss_fn
        self.calls: list[LayerCall] = []

    def __call__(self, x, batch_size: int | None = None) -> dict[str, np.ndarray]:
        """{layer path: output as float32 numpy} for the inputs ``x``, run ``batch_size``
        samples at a time if given."""
        return self.run(x, batch_size).outputs

    def run(self, x, batch_size: int | None = None) -> Recording:
        """Layer outputs and model outputs (no loss, no gradients) for the inputs ``x``."""
        x = as_batch(x)
        n = len(tf.nest.flatten(x)[0])
        step = batch_size or max(n, 1)
        parts = [self._forward(tf.nest.map_structure(lambda a, i=i: a[i:i + step], x))
                 for i in range(0, max(n, 1), step)]
        join = lambda key: {k: np.concatenate([getattr(p, key)[k] for p in parts])  # noqa: E731
                            for k in getattr(parts[0], key)}
        results = [np.concatenate([p.results[i] for p in parts])
                   for i in range(len(parts[0].results))]
        return Recording(join("outputs"), float("nan"), [], results, join("recurrent_inputs"))

    def record(self, x, y) -> Recording:
        """Layer outputs, model outputs, loss and gradients for one batch ``(x, y)``."""
        x = as_batch(x)
        variables = list(self.model.trainable_variables)
        with tf.GradientTape() as tape:
            outputs, y_pred, inputs = self._trace(x)
            if self.loss_fn is None:
                loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
            else:
                loss = self.loss_fn(y, y_pred)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, variables)
        grads = [np.zeros(v.shape, np.float32) if g is None else np.asarray(tf.convert_to_tensor(g))
                 for g, v in zip(grads, variables, strict=True)]
        return Recording(_numpy(outputs), float(loss), grads, _flat_numpy(y_pred),
                         _numpy(inputs))

    def _forward(self, x) -> Recording:
        outputs, result, inputs = self._trace(x)
        return Recording(_numpy(outputs), float("nan"), [], _flat_numpy(result), _numpy(inputs))

    def _trace(self, x):
        owner = threading.get_ident()
        producers = {id(t): "input" for t in tf.nest.flatten(x)}
        found: dict[str, Any] = {}
        inputs: dict[str, Any] = {}
        calls: list[LayerCall] = []
        wanted = set(self.paths) - self._inside
        recurrent = set(self.recurrent)

        def wrap(path, original):
            def call(*args, **kwargs):
                out = original(*args, **kwargs)
                if threading.get_ident() != owner:
                    return out
                tensors = [t for t in tf.nest.flatten(out) if tf.is_tensor(t)]
                first = tensors[0] if tensors else None
                if path in self._inside:
                    return out
                ins = [producers.get(id(t)) for t in tf.nest.flatten((args, kwargs))
                       if tf.is_tensor(t)]
                shape = first.shape.as_list() if first is not None else None
                calls.append(LayerCall(path, [p for p in ins if p], shape))
                for t in tensors:
                    producers[id(t)] = path
                if path in wanted and path not in found and first is not None:
                    found[path] = first
                if path in recurrent and path not in inputs and args and tf.is_tensor(args[0]):
                    inputs[path] = args[0]
                return out
            return call

        patched = []
        try:
            for path, layer in self.layers.items():
                object.__setattr__(layer, "call", wrap(path, layer.call))
                patched.append(layer)
            result = self.model(x, training=False)
        finally:
            for layer in patched:
                object.__delattr__(layer, "call")
        self.calls = calls
        if self.output:
            found[self.OUTPUT] = tf.nest.flatten(result)[0]
        outputs = {p: t for p, t in found.items() if t.dtype.is_floating}
        return outputs, result, inputs


def _numpy(tensors: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(tf.cast(t, tf.float32)) for k, t in tensors.items()}


def _flat_numpy(result) -> list[np.ndarray]:
    return [np.asarray(tf.cast(t, tf.float32)) for t in tf.nest.flatten(result) if tf.is_tensor(t)]
