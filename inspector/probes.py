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

import contextlib
import functools
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


_active = threading.local()  # .seen: the _Pass recording on this thread, if any


class _Pass:
    """What one recording pass collects while the model runs."""

    def __init__(self, recorder: LayerRecorder, x):
        self.wanted = set(recorder.paths) - recorder.inside
        self.inside = recorder.inside
        self.recurrent = set(recorder.recurrent)
        self.producers = {id(t): "input" for t in tf.nest.flatten(x)}
        self.found: dict[str, Any] = {}
        self.inputs: dict[str, Any] = {}
        self.calls: list[LayerCall] = []

    def seen(self, path: str, args, kwargs, out) -> None:
        if path in self.inside:
            return
        tensors = [t for t in tf.nest.flatten(out) if tf.is_tensor(t)]
        first = tensors[0] if tensors else None
        ins = [self.producers.get(id(t)) for t in tf.nest.flatten((args, kwargs))
               if tf.is_tensor(t)]
        shape = first.shape.as_list() if first is not None else None
        self.calls.append(LayerCall(path, [p for p in ins if p], shape))
        for t in tensors:
            self.producers[id(t)] = path
        if path in self.wanted and path not in self.found and first is not None:
            self.found[path] = first
        if path in self.recurrent and path not in self.inputs and args and tf.is_tensor(args[0]):
            self.inputs[path] = args[0]


class _Routed:
    """A layer's ``call`` that reports each call to the pass recording on the calling
    thread; with none (training, other threads) it is the plain call."""

    def __init__(self, path: str, original):
        self.path, self.original = path, original

    def __call__(self, *args, **kwargs):
        out = self.original(*args, **kwargs)
        seen = getattr(_active, "seen", None)
        if seen is not None:
            seen.seen(self.path, args, kwargs, out)
        return out


def unroute(model) -> None:
    """Give every layer of ``model`` its plain ``call`` back (undoes ``LayerRecorder``)."""
    for layer in layer_paths(model).values():
        if isinstance(layer.__dict__.get("call"), _Routed):
            object.__delattr__(layer, "call")


class LayerRecorder:
    """The outputs of every layer (or of the ``paths`` given) for a batch, in one pass;
    with ``record(x, y)`` also the loss and the gradients of the trainable variables.

    Keras 3 exposes no per-layer outputs for subclassed models, so each layer's ``call`` is
    routed through a reporter (``unroute`` undoes it) that tells the pass running on the
    same thread what it computed; training and other threads see the plain call. Passes
    run eagerly until ``compile`` has traced them as ``tf.function``s (which can run on a
    background thread while training goes on); then they run the traced graphs. Layers
    inside recurrent layers (their cells, called once per time step) are not recorded;
    the recurrent layer's input is kept instead. ``calls`` lists what the last eager pass
    saw. Passes run in inference mode; ``loss_fn(y_true, y_pred)`` defaults to the
    compiled loss (``model.compute_loss``, regularization included).
    """

    OUTPUT = "<model output>"  # the key of the model's (first) output, with ``output=True``

    def __init__(self, model, paths: list[str] | None = None, *, output: bool = False,
                 loss_fn=None):
        self.model = model
        self.layers = layer_paths(model)
        recurrent = [p for p, layer in self.layers.items() if is_recurrent(layer)]
        self.inside = {p for p in self.layers if any(p.startswith(r + "/") for r in recurrent)}
        self.recurrent = recurrent
        self.paths = list(self.layers) if paths is None else [p for p in paths if p in self.layers]
        self.output = output
        self.loss_fn = loss_fn
        self.calls: list[LayerCall] = []
        self.forward_graph = None  # the traced forward pass's graph, after ``compile``
        self._forward_fn = self._record_fn = None
        for path, layer in self.layers.items():
            if not isinstance(layer.__dict__.get("call"), _Routed):
                object.__setattr__(layer, "call", _Routed(path, layer.call))

    def compile(self, x_spec, y_spec=None) -> None:
        """Trace the forward pass for inputs of ``x_spec`` (and, with ``y_spec``, the
        forward and backward pass) as ``tf.function``s; later passes whose inputs match
        run them. Safe on another thread while the model trains."""
        forward = tf.function(functools.partial(LayerRecorder._graph_forward, self),
                              input_signature=[x_spec])
        concrete = forward.get_concrete_function()
        self.forward_graph = concrete.graph
        if y_spec is not None:
            record = tf.function(functools.partial(LayerRecorder._graph_record, self),
                                 input_signature=[x_spec, y_spec])
            record.get_concrete_function()
            self._record_fn = record
        self._forward_fn = forward

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
        if self._record_fn is not None:
            with contextlib.suppress(TypeError, ValueError):  # inputs unlike the traced ones
                outputs, results, inputs, loss, grads = self._record_fn(x, y)
                return Recording(_numpy(outputs), float(loss), [np.asarray(g) for g in grads],
                                 _flat_numpy(results), _numpy(inputs))
        outputs, results, inputs, loss, grads = self._graph_record(x, y)
        return Recording(_numpy(outputs), float(loss), [np.asarray(g) for g in grads],
                         _flat_numpy(results), _numpy(inputs))

    def record_at(self, values: list, x, y=None) -> Recording:
        """Like ``record`` (or ``run`` without ``y``), eagerly, for the model with its
        variables (``model.variables``, in order) holding ``values`` instead of their
        current ones (Keras' ``StatelessScope``; the model is not touched): what the model
        computed when ``values`` were taken, e.g. before training, on any thread."""
        x = as_batch(x)
        variables = list(self.model.variables)
        tensors = [tf.convert_to_tensor(v) for v in values]
        by_id = {id(v): t for v, t in zip(variables, tensors, strict=True)}
        watched = [by_id[id(v)] for v in self.model.trainable_variables]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            with keras.StatelessScope(state_mapping=list(zip(variables, tensors,
                                                                strict=True))):
                outputs, y_pred, inputs = self._trace(x)
                loss = None
                if y is not None:
                    loss = tf.reduce_mean(
                        self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
                        if self.loss_fn is None else self.loss_fn(y, y_pred))
        grads = [] if loss is None else tape.gradient(loss, watched)
        grads = [np.zeros(t.shape, np.float32) if g is None  # IndexedSlices made dense
                 else np.asarray(tf.convert_to_tensor(g)) for g, t in zip(grads, watched,
                                                                         strict=False)]
        return Recording(_numpy(outputs), float("nan") if loss is None else float(loss), grads,
                         _flat_numpy(y_pred), _numpy(inputs))

    def _forward(self, x) -> Recording:
        found = None
        if self._forward_fn is not None:
            with contextlib.suppress(TypeError, ValueError):
                found = self._forward_fn(x)
        outputs, result, inputs = found if found is not None else self._graph_forward(x)
        return Recording(_numpy(outputs), float("nan"), [], _flat_numpy(result), _numpy(inputs))

    def _graph_forward(self, x):
        outputs, result, inputs = self._trace(x)
        return outputs, tf.nest.flatten(result), inputs

    def _graph_record(self, x, y):
        variables = list(self.model.trainable_variables)
        with tf.GradientTape() as tape:
            outputs, y_pred, inputs = self._trace(x)
            if self.loss_fn is None:
                loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
            else:
                loss = self.loss_fn(y, y_pred)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, variables)
        grads = [tf.zeros(v.shape, tf.float32) if g is None else tf.convert_to_tensor(g)
                 for g, v in zip(grads, variables, strict=True)]
        return outputs, tf.nest.flatten(y_pred), inputs, loss, grads

    def _trace(self, x):
        seen = _Pass(self, x)
        previous = getattr(_active, "seen", None)
        _active.seen = seen
        try:
            result = self.model(x, training=False)
        finally:
            _active.seen = previous
        if tf.executing_eagerly():
            self.calls = seen.calls
        found = seen.found
        if self.output:
            found[self.OUTPUT] = tf.nest.flatten(result)[0]
        outputs = {p: tf.cast(t, tf.float32) for p, t in found.items() if t.dtype.is_floating}
        inputs = {p: tf.cast(t, tf.float32) for p, t in seen.inputs.items()}
        return outputs, result, inputs


def _numpy(tensors: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(tf.cast(t, tf.float32)) for k, t in tensors.items()}


def _flat_numpy(result) -> list[np.ndarray]:
    return [np.asarray(tf.cast(t, tf.float32)) for t in tf.nest.flatten(result) if tf.is_tensor(t)]
