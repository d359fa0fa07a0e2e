"""Graphs of a Keras 3 model: the op graph of its traced training step (forward, loss,
gradients, optimizer update, metrics) and of inference, with one name scope per layer; and
the layer-level (conceptual) graph as Keras model JSON for Sequential, Functional and
subclassed models, every layer annotated with its output shape and parameter count.

Tracing builds a graph without running it: nothing here changes the model or its optimizer.
``GraphTracer`` traces on a thread of its own while training goes on (TensorFlow builds each
graph in a thread-local context; the few Keras methods shadowed during the trace only act on
the tracing thread). Imports TensorFlow and Keras.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import threading
from dataclasses import dataclass, field

import keras
import tensorflow as tf

from inspector.events import plugins as P
from inspector.probes import LayerCall, layer_paths, variable_paths

_SUFFIX = re.compile(r"(.+)_(\d+)")
_SCOPE_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")


def function_graph(fn, *specs, layer_names=()) -> tf.compat.v1.GraphDef:
    """The op graph of ``fn`` (a Python function or ``tf.function``) traced for ``specs``
    (TensorSpecs or example tensors), with shapes on every node, scopes tidied (see
    ``tidy_scopes``) for ``layer_names``."""
    if not hasattr(fn, "get_concrete_function"):
        fn = tf.function(fn)
    graph = fn.get_concrete_function(*specs).graph
    return tidy_scopes(graph.as_graph_def(add_shapes=True), layer_names)


def model_scope_names(model) -> set[str]:
    """The names Keras opens a name scope for when ``model`` runs: the model and its layers."""
    return {model.name} | {layer.name for layer in layer_paths(model).values()}


@contextlib.contextmanager
def _scoped_step(model):
    """While tracing, give Keras' bookkeeping scopes of its own instead of the graph's root
    or one flat optimizer scope: metric updates go under "loss_tracker" and "metrics", and
    each variable's optimizer update under "<optimizer>/<layer path>/<variable>". Keras
    calls these as attributes, so an instance attribute shadows each for the duration of
    the trace and is removed afterwards."""
    patched = []
    owner = threading.get_ident()

    def shadow(obj, attr, make):
        fn = getattr(obj, attr, None) if obj is not None else None
        if fn is None or attr in vars(obj):
            return
        object.__setattr__(obj, attr, functools.wraps(fn)(make(fn)))
        patched.append((obj, attr))

    def in_scope(name):
        def make(fn):
            def scoped(*args, **kwargs):
                if threading.get_ident() != owner:
                    return fn(*args, **kwargs)
                with tf.name_scope(name):
                    return fn(*args, **kwargs)
            return scoped
        return make

    var_paths = {}
    for path, v in variable_paths(model, trainable_only=True):
        var_paths[id(v)] = path
        with contextlib.suppress(AttributeError):  # the optimizer sees the backend variable
            var_paths[id(v.value)] = path

    def per_variable(fn):
        def scoped(gradient, variable, learning_rate):
            if threading.get_ident() != owner:
                return fn(gradient, variable, learning_rate)
            path = var_paths.get(id(variable)) or _SCOPE_CHARS.sub("_", variable.name)
            with tf.name_scope(path):  # one scope: re-entering "conv" would make "conv_1"
                return fn(gradient, variable, learning_rate)
        return scoped

    shadow(getattr(model, "_loss_tracker", None), "update_state", in_scope("loss_tracker"))
    shadow(model, "compute_metrics", in_scope("metrics"))
    shadow(getattr(model, "optimizer", None), "update_step", per_variable)
    try:
        yield
    finally:
        for obj, attr in patched:
            object.__delattr__(obj, attr)


def train_step_graph(model, x_spec, y_spec) -> tf.compat.v1.GraphDef:
    """The op graph of ``model.train_step`` (Keras' own, or the model's override) on a batch
    of the given specs: forward pass under the model's and layers' scopes, loss, the
    ``gradient_tape`` scope mirroring them, the optimizer update and the metric updates."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        if not model.built:
            raise ValueError("the model must be built before its training step is traced")
        optimizer.build(model.trainable_variables)  # as Keras' first training step would

    def train_step(x, y):
        return model.train_step((x, y))

    with _scoped_step(model):
        return function_graph(train_step, x_spec, y_spec, layer_names=model_scope_names(model))


def inference_graph(model, x_spec) -> tf.compat.v1.GraphDef:
    """The op graph of ``model(x, training=False)``."""
    def inference(x):
        return model(x, training=False)

    return function_graph(inference, x_spec, layer_names=model_scope_names(model))


@dataclass
class GraphTracer:
    """Traces the training-step graph (when ``y_spec`` is given and the model has an
    optimizer) and the inference graph of ``model`` for ``x_spec`` (unless ``op_graphs`` is
    False), then runs ``jobs`` (``(part, callable)``: e.g. compiling the hook's probe
    passes), on a background thread.

    ``start()`` begins (start it once the model and its optimizer are built: after the
    first training step); ``done`` tells whether it finished; ``result()`` waits for it and
    returns ``{"train": GraphDef, "inference": GraphDef}`` (those traced); ``errors`` holds
    ``(part, exception)`` for each part that failed. ``inference_from``, a callable run first
    and returning a traced forward pass's graph, replaces the inference trace (one trace
    serving both)."""

    model: object
    x_spec: object
    y_spec: object = None
    jobs: list = field(default_factory=list)
    op_graphs: bool = True
    first: list = field(default_factory=list)  # jobs run before the traces
    first_done: threading.Event = field(default_factory=threading.Event)
    inference_from: object = None
    graphs: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    _thread: threading.Thread | None = None

    def start(self, background: bool = True) -> None:
        self._thread = threading.Thread(target=self._trace, name="inspector-graph-trace",
                                        daemon=True)
        if background:
            self._thread.start()
        else:
            self._thread = None
            self._trace()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def result(self) -> dict:
        if self._thread is not None:
            self._thread.join()
        return self.graphs

    def _run(self, part: str, fn):
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - reported by the caller
            self.errors.append((part, err))
            return None

    def _trace(self) -> None:
        model = self.model
        for part, job in self.first:
            self._run(part, job)
        self.first_done.set()
        if not self.op_graphs:
            for part, job in self.jobs:
                self._run(part, job)
            return
        if self.y_spec is not None and getattr(model, "optimizer", None) is not None:
            self.graphs["train"] = self._run(
                "training-step graph", lambda: train_step_graph(model, self.x_spec, self.y_spec))
        graph = None
        if self.inference_from is not None:
            graph = self._run("probe passes", self.inference_from)
        if graph is not None:
            names = model_scope_names(model)
            self.graphs["inference"] = tidy_scopes(graph.as_graph_def(add_shapes=True), names)
        else:
            self.graphs["inference"] = self._run(
                "inference graph", lambda: inference_graph(model, self.x_spec))
        for part, job in self.jobs:
            self._run(part, job)


def tidy_scopes(graph_def, layer_names) -> tf.compat.v1.GraphDef:
    """Name scopes named after the layers that opened them.

    Keras 3 opens a layer's name scope twice per call (once to build, once to call), so in a
    fresh graph a layer ``conv`` runs under ``conv_1`` and the model under ``sequential_1``.
    A scope ``<name>_<n>`` whose ``<name>`` is a layer name becomes ``<name>`` when no other
    scope of that parent already holds that name (the first call of a shared layer wins, the
    others keep their suffix). Node inputs and colocation attributes follow the renaming.
    """
    names = set(layer_names)
    used = set()
    for node in graph_def.node:
        parts = node.name.split("/")
        used.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    new_prefix: dict[str, str] = {}
    claimed: set[str] = set()

    def rename(name: str) -> str:
        parts = name.split("/")
        out = ""
        for i, part in enumerate(parts):
            orig = "/".join(parts[: i + 1])
            if orig not in new_prefix:
                piece = part
                m = _SUFFIX.fullmatch(part)
                if m and i < len(parts) - 1 and m.group(1) in names:
                    sibling = "/".join(parts[:i] + [m.group(1)])
                    target = f"{out}/{m.group(1)}" if out else m.group(1)
                    if sibling not in used and target not in claimed:
                        piece = m.group(1)
                new_prefix[orig] = f"{out}/{piece}" if out else piece
                claimed.add(new_prefix[orig])
            out = new_prefix[orig]
        return out

    renamed = {node.name: rename(node.name) for node in graph_def.node}
    if all(k == v for k, v in renamed.items()):
        return graph_def

    def ref(r: str) -> str:
        control = r.startswith("^")
        name, colon, port = r.lstrip("^").partition(":")
        new = renamed.get(name, name)
        return ("^" if control else "") + new + (colon + port)

    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        node.name = renamed[node.name]
        inputs = [ref(r) for r in node.input]
        del node.input[:]
        node.input.extend(inputs)
        if "_class" in node.attr:
            locs = [b"loc:@" + renamed.get(s[5:].decode(), s[5:].decode()).encode()
                    if s.startswith(b"loc:@") else s for s in node.attr["_class"].list.s]
            del node.attr["_class"].list.s[:]
            node.attr["_class"].list.s.extend(locs)
    return out


# -------------------------------------------------------------------- the layer-level graph


def _shape(shape) -> list | None:
    if shape is None:
        return None
    dims = list(shape)
    return [None] + [None if d is None else int(d) for d in dims[1:]] if dims else []


def _layer_info(layer, shape) -> dict:
    try:
        params = int(layer.count_params())
        trainable = int(sum(math.prod(v.shape) for v in layer.trainable_weights))
    except ValueError:  # an unbuilt layer
        params = trainable = 0
    return {"output_shape": _shape(shape), "param_count": params,
            "trainable_param_count": trainable}


def _first_shapes(calls: list[LayerCall]) -> dict[str, list | None]:
    shapes: dict[str, list | None] = {}
    for call in calls:
        shapes.setdefault(call.path, call.output_shape)
    return shapes


def needs_calls(model) -> bool:
    """True when ``layer_graph_json`` needs traced layer calls: the model's own JSON holds
    no layers (subclassed models)."""
    try:
        return "layers" not in json.loads(model.to_json()).get("config", {})
    except (NotImplementedError, TypeError, ValueError):
        return True


def layer_graph_json(model, calls: list[LayerCall] = (), input_shape=None) -> str:
    """The conceptual graph as Keras model JSON, each layer carrying
    ``"inspector": {"output_shape", "param_count", "trainable_param_count"}``.

    Sequential and Functional models: their own ``to_json()``, annotated. Subclassed models
    (whose JSON holds no layers): a Functional-style JSON built from the layer calls seen
    while tracing (``LayerRecorder.calls``): the model's direct layers in call order, each
    fed by the layers whose outputs it received (by the previous layer where that output
    went through plain tensor ops first). ``input_shape`` is the model input's shape
    (batch dimension first), for the input node of that JSON."""
    paths = layer_paths(model)
    shapes = _first_shapes(calls)
    try:
        config = json.loads(model.to_json())
    except (NotImplementedError, TypeError, ValueError):
        config = None
    if config is None or "layers" not in config.get("config", {}):
        config = _traced_config(model, paths, calls, shapes, input_shape)
    else:
        _annotate(config, "", paths, shapes)
    last = calls[-1].output_shape if calls else None
    config[P.LAYER_INFO_KEY] = _layer_info(model, last)
    return json.dumps(config, default=str)


def _annotate(model_config: dict, prefix: str, paths: dict, shapes: dict) -> None:
    for entry in model_config.get("config", {}).get("layers", []):
        name = entry.get("config", {}).get("name") or entry.get("name")
        path = prefix + str(name)
        layer = paths.get(path)
        if entry.get("class_name") == "InputLayer":
            shape = entry["config"].get("batch_shape") or entry["config"].get("batch_input_shape")
            entry[P.LAYER_INFO_KEY] = {"output_shape": _shape(shape), "param_count": 0,
                                       "trainable_param_count": 0}
            continue
        if layer is None:
            continue
        shape = shapes.get(path)
        if shape is None:
            with contextlib.suppress(AttributeError, ValueError):
                shape = layer.output.shape
        entry[P.LAYER_INFO_KEY] = _layer_info(layer, shape)
        if "layers" in entry.get("config", {}):
            _annotate(entry, path + "/", paths, shapes)


def _serialized(layer) -> dict:
    try:
        out = keras.saving.serialize_keras_object(layer)
        json.dumps(out)
        return out
    except (NotImplementedError, TypeError, ValueError):
        return {"class_name": type(layer).__name__,
                "config": {"name": layer.name, "trainable": bool(layer.trainable)}}


def _tensor_ref(name: str, shape) -> dict:
    return {"class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [name, 0, 0]}}


def _traced_config(model, paths: dict, calls: list[LayerCall], shapes: dict,
                   input_shape) -> dict:
    top = [p for p in paths if "/" not in p]
    input_name = "input" if "input" not in top else "input_0"
    layers: list[dict] = []
    seen: dict[str, dict] = {}
    previous = input_name
    for call in calls:
        if "/" in call.path or call.path in seen:
            continue
        sources = []
        for src in call.inputs:
            src = input_name if src == "input" else src.split("/")[0]
            if src != call.path and src not in sources:
                sources.append(src)
        if not sources:
            sources = [previous]
        args = [_tensor_ref(s, shapes.get(s)) for s in sources]
        entry = _serialized(paths[call.path])
        entry["name"] = call.path
        entry.setdefault("config", {})["name"] = call.path
        entry["inbound_nodes"] = [{"args": args if len(args) == 1 else [args], "kwargs": {}}]
        entry[P.LAYER_INFO_KEY] = _layer_info(paths[call.path], shapes.get(call.path))
        seen[call.path] = entry
        layers.append(entry)
        previous = call.path
    batch_shape = _shape(input_shape)
    inp = {"class_name": "InputLayer", "name": input_name,
           "config": {"name": input_name, "batch_shape": batch_shape, "dtype": "float32"},
           "inbound_nodes": [],
           P.LAYER_INFO_KEY: {"output_shape": batch_shape, "param_count": 0,
                              "trainable_param_count": 0}}
    return {"module": None, "class_name": type(model).__name__,
            "config": {"name": model.name, "trainable": bool(model.trainable),
                       "layers": [inp] + layers,
                       "input_layers": [[input_name, 0, 0]],
                       "output_layers": [[previous, 0, 0]]},
            "registered_name": None}
