"""Looking inside a Keras 3 model: layer paths, the probe batch, and one traced pass that
yields every layer's output, the loss and the gradients.

A *layer path* names a layer by the names of the layers that contain it, below the model
(``conv1``, ``block/inner``); every tag about a layer uses it. The probe batch is a small,
fixed, class-stratified sample of the validation data, chosen once. What is seen is written
by ``inspector.layer_summaries``.

Imports TensorFlow and Keras; never changes the model (outputs and gradients are computed
in inference mode, so dropout is off and batch-norm statistics stay as they are).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

CONV_BASES = frozenset({"BaseConv", "BaseConvTranspose", "BaseDepthwiseConv", "BaseSeparableConv"})
POOL_BASES = frozenset({"BasePooling", "BaseGlobalPooling", "BaseAdaptivePooling"})
DENSE_BASES = frozenset({"Dense", "EinsumDense"})


def layer_role(layer) -> str | None:
    """"conv", "pool" or "dense" for the layers whose maps and kernels are shown, else None."""
    names = {cls.__name__ for cls in type(layer).__mro__}
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
    y: np.ndarray | None
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
    class labels, the first ``size`` samples. Deterministic."""
    n = len(tf.nest.flatten(x)[0])
    labels = integer_labels(y)
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
    return Probe(tf.nest.map_structure(take, x), None if y is None else take(y), idx)


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


@dataclass
class LayerCall:
    """One layer call seen while tracing: the layer path, the paths of the layers whose
    outputs it took ("input" for the model's inputs) and its output shape."""

    path: str
    inputs: list[str]
    output_shape: list[int | None] | None


def _outputs_of(recorder: LayerRecorder, x):
    return recorder._trace(x)[0]


@dataclass
class Recording:
    """What one ``LayerRecorder.record`` pass saw: layer outputs (float32, by layer path),
    the loss and one gradient per trainable variable (dense, zeros where none flows)."""

    outputs: dict[str, np.ndarray]
    loss: float
    gradients: list[np.ndarray]


class LayerRecorder:
    """The outputs of every layer (or of the ``paths`` given) for a batch, in one traced
    pass; with ``record(x, y)`` also the loss and the gradients of the trainable variables.

    Keras 3 exposes no per-layer outputs for subclassed models, so the recorder wraps each
    layer's ``call`` while a ``tf.function`` traces one forward pass, collects the outputs
    and unwraps them again; later calls run the traced graph, with no wrapping at all. Layers
    called inside control flow (RNN cells) are not recorded. ``calls`` lists what was seen.
    The pass runs in inference mode; ``loss_fn(y_true, y_pred)`` defaults to the compiled
    loss (``model.compute_loss``, regularization included).
    """

    OUTPUT = "<model output>"  # the key of the model's (first) output, with ``output=True``

    def __init__(self, model, paths: list[str] | None = None, *, output: bool = False,
                 loss_fn=None):
        self.model = model
        self.layers = layer_paths(model)
        self.paths = list(self.layers) if paths is None else [p for p in paths if p in self.layers]
        self.output = output
        self.loss_fn = loss_fn
        self.calls: list[LayerCall] = []
        self._outputs_fn = self._record_fn = None

    def __call__(self, x, batch_size: int | None = None) -> dict[str, np.ndarray]:
        """{layer path: output as float32 numpy} for the inputs ``x``, run ``batch_size``
        samples at a time if given."""
        x = as_batch(x)
        if self._outputs_fn is None:
            # A partial, not a method or lambda: TensorFlow counts retracing per code
            # object and would warn about every new recorder's first trace.
            self._outputs_fn = tf.function(functools.partial(_outputs_of, self),
                                           input_signature=[input_spec(x)])
        n = len(tf.nest.flatten(x)[0])
        step = batch_size or max(n, 1)
        parts = [self._outputs_fn(tf.nest.map_structure(lambda a, i=i: a[i:i + step], x))
                 for i in range(0, max(n, 1), step)]
        return {k: np.concatenate([np.asarray(p[k], np.float32) for p in parts])
                for k in parts[0]}

    def record(self, x, y) -> Recording:
        """Layer outputs, loss and gradients for one batch ``(x, y)``."""
        x = as_batch(x)
        if self._record_fn is None:
            self._record_fn = tf.function(functools.partial(LayerRecorder._forward_backward,
                                                            self),
                                          input_signature=[input_spec(x), input_spec(y)])
        outputs, loss, grads = self._record_fn(x, y)
        return Recording({k: np.asarray(v, np.float32) for k, v in outputs.items()},
                         float(loss), [np.asarray(g) for g in grads])

    def _forward_backward(self, x, y):
        variables = list(self.model.trainable_variables)
        with tf.GradientTape() as tape:
            outputs, y_pred = self._trace(x)
            if self.loss_fn is None:
                loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
            else:
                loss = self.loss_fn(y, y_pred)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, variables)
        return outputs, loss, [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                               for g, v in zip(grads, variables, strict=True)]

    def _trace(self, x):
        graph = tf.compat.v1.get_default_graph()
        producers = {id(t): "input" for t in tf.nest.flatten(x)}
        found: dict[str, Any] = {}
        calls: list[LayerCall] = []
        wanted = set(self.paths)

        def wrap(path, original):
            def call(*args, **kwargs):
                out = original(*args, **kwargs)
                tensors = [t for t in tf.nest.flatten(out) if tf.is_tensor(t)]
                ins = [producers.get(id(t)) for t in tf.nest.flatten((args, kwargs))
                       if tf.is_tensor(t)]
                first = tensors[0] if tensors else None
                shape = first.shape.as_list() if first is not None else None
                calls.append(LayerCall(path, [p for p in ins if p], shape))
                for t in tensors:
                    producers[id(t)] = path
                if path in wanted and path not in found and getattr(first, "graph", None) is graph:
                    found[path] = first
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
        outputs = {p: tf.cast(t, tf.float32) for p, t in found.items() if t.dtype.is_floating}
        return outputs, result
