"""Flat graphs read from what writers log: a GraphDef (``Event.graph_def``: Inspector's hook,
``tf.summary.graph``, the stock Keras callback, PyTorch's ``add_graph``), a RunMetadata
(``tf.summary.trace_export``) and Keras model JSON (the layer graph). ``inspector.graphs``
turns any of them into a collapsible hierarchy.

Parses with the project's own protos; never imports TensorFlow or Keras.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.events.proto import graph_pb2

# tensorflow/core/framework/types.proto, the values graphs carry.
_DTYPES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
           7: "string", 8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16",
           17: "uint16", 19: "float16", 20: "resource", 21: "variant", 22: "uint32",
           23: "uint64"}
_RESOURCE = 20
_ATTR_CHARS = 120  # attribute values longer than this are abbreviated in details


@dataclass
class Graph:
    """A flat graph: ``names[i]`` ("/"-separated scope path), ``ops[i]`` (op type or layer
    class), ``devices[i]``; edges ``src[k] -> dst[k]`` (int32 node indices) with
    ``control[k]`` (bool) and the source's output ``port[k]``. ``details(i)`` gives the
    node's attributes and output shapes on demand (large graphs are never fully expanded
    into Python dicts). ``kind`` is "op" or "layer"."""

    names: list[str]
    ops: list[str]
    devices: list[str]
    src: np.ndarray
    dst: np.ndarray
    control: np.ndarray
    port: np.ndarray
    kind: str = "op"
    output_shapes: Callable[[int], list[tuple[str, str]]] = field(default=lambda i: [],
                                                                 repr=False)
    attributes: Callable[[int], dict[str, str]] = field(default=lambda i: {}, repr=False)
    layer_info: dict[str, dict] = field(default_factory=dict)  # layer graph: name -> info
    resource: np.ndarray | None = None  # bool per node: a variable handle (set aside)

    def __len__(self) -> int:
        return len(self.names)

    def edge_label(self, k: int) -> str:
        """The tensor on edge ``k``: "dtype shape" of the source's output port, or ""."""
        shapes = self.output_shapes(int(self.src[k]))
        port = int(self.port[k])
        if self.control[k] or port >= len(shapes):
            return ""
        dtype, shape = shapes[port]
        return f"{dtype} {shape}".strip()


def _edges(names: list[str], inputs: list[list[str]]):
    index = {n: i for i, n in enumerate(names)}
    src, dst, ctrl, port = [], [], [], []
    for i, refs in enumerate(inputs):
        for ref in refs:
            control = ref.startswith("^")
            name, _, p = ref.lstrip("^").partition(":")
            j = index.get(name)
            if j is None or j == i:  # PyTorch names inputs it never defines; skip them
                continue
            src.append(j)
            dst.append(i)
            ctrl.append(control)
            port.append(int(p) if p.isdigit() else 0)
    return (np.asarray(src, np.int32), np.asarray(dst, np.int32), np.asarray(ctrl, bool),
            np.asarray(port, np.int32))


def _dim_text(shape) -> str:
    if shape.unknown_rank:
        return "?"
    return "[" + ", ".join("?" if d.size < 0 else str(d.size) for d in shape.dim) + "]"


def _attr_text(value) -> str:
    which = value.WhichOneof("value")
    if which is None:
        return ""
    if which == "s":
        text = value.s.decode("utf-8", "replace")
    elif which == "type":
        text = _DTYPES.get(value.type, str(value.type))
    elif which == "shape":
        text = _dim_text(value.shape)
    elif which == "tensor":
        t = value.tensor
        text = f"tensor {_DTYPES.get(t.dtype, t.dtype)} {_dim_text(t.tensor_shape)}"
    elif which == "list":
        lv = value.list
        parts = ([s.decode("utf-8", "replace") for s in lv.s] + [str(i) for i in lv.i]
                 + [f"{f:g}" for f in lv.f] + [str(b) for b in lv.b]
                 + [_DTYPES.get(t, str(t)) for t in lv.type] + [_dim_text(s) for s in lv.shape]
                 + [f.name for f in lv.func])
        text = "[" + ", ".join(parts) + "]"
    elif which == "func":
        text = value.func.name
    else:
        text = str(getattr(value, which))
    return text if len(text) <= _ATTR_CHARS else text[:_ATTR_CHARS] + f"… ({len(text)} chars)"


def graph_from_graph_def(graph_def: graph_pb2.GraphDef) -> Graph:
    """A parsed GraphDef as a flat graph (TensorFlow's or PyTorch's scope names as they are)."""
    nodes = graph_def.node
    names = [n.name for n in nodes]
    ops = [n.op for n in nodes]
    devices = [n.device for n in nodes]
    src, dst, ctrl, port = _edges(names, [list(n.input) for n in nodes])
    cache: dict[int, list[tuple[str, str]]] = {}

    def output_shapes(i: int) -> list[tuple[str, str]]:
        if i not in cache:
            attr = nodes[i].attr
            shapes = [_dim_text(s) for s in attr["_output_shapes"].list.shape] \
                if "_output_shapes" in attr else []
            dtype = ""
            for key in ("T", "dtype", "DstT", "out_type"):
                if key in attr and attr[key].WhichOneof("value") == "type":
                    dtype = _DTYPES.get(attr[key].type, "")
                    break
            types = [_DTYPES.get(t, "") for t in attr["_output_types"].list.type] \
                if "_output_types" in attr else []
            cache[i] = [(types[k] if k < len(types) else dtype, s) for k, s in enumerate(shapes)] \
                or ([(dtype, "")] if dtype else [])
        return cache[i]

    def attributes(i: int) -> dict[str, str]:
        return {k: _attr_text(v) for k, v in sorted(nodes[i].attr.items())
                if k != "_output_shapes"}

    resource = np.fromiter((op in ("Placeholder", "VarHandleOp") and "dtype" in n.attr
                            and n.attr["dtype"].type == _RESOURCE for op, n in zip(ops, nodes,
                                                                                 strict=True)),
                           bool, len(nodes))
    return Graph(names, ops, devices, src, dst, ctrl, port, "op", output_shapes, attributes,
                 resource=resource)


def parse_graph_def(data: bytes) -> Graph:
    """A serialized GraphDef (``Event.graph_def``). Raises InspectorError if it does not parse."""
    graph_def = graph_pb2.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except Exception as err:  # noqa: BLE001 - protobuf raises its own DecodeError
        raise InspectorError(f"this graph could not be parsed as a GraphDef ({err}); "
                             "was it written by a TensorFlow-compatible writer?") from err
    return graph_from_graph_def(graph_def)


def parse_run_metadata(data: bytes) -> Graph:
    """The op graph inside a serialized RunMetadata (``tf.summary.trace_export``): each traced
    function's pre-optimization graph (partition graphs where none is given), under a scope
    ``function_<i>`` when there are several."""
    meta = graph_pb2.RunMetadata()
    try:
        meta.ParseFromString(data)
    except Exception as err:  # noqa: BLE001
        raise InspectorError(f"this run metadata could not be parsed ({err})") from err
    graphs = [fg.pre_optimization_graph for fg in meta.function_graphs
              if len(fg.pre_optimization_graph.node)] or list(meta.partition_graphs)
    if not graphs:
        raise InspectorError("this run metadata holds no graph (was it traced with graph=True?)")
    if len(graphs) == 1:
        return graph_from_graph_def(graphs[0])
    merged = graph_pb2.GraphDef()
    for i, g in enumerate(graphs):
        for node in g.node:
            copy = merged.node.add()
            copy.CopyFrom(node)
            copy.name = f"function_{i}/{node.name}"
            del copy.input[:]
            copy.input.extend(("^" if r.startswith("^") else "") + f"function_{i}/"
                              + r.lstrip("^") for r in node.input)
    return graph_from_graph_def(merged)


# ---------------------------------------------------------------- Keras model JSON


def _inbound_names(entry: dict) -> list[str]:
    """The layers feeding ``entry`` in Keras 3 (``__keras_tensor__`` histories) or Keras 2
    (``[[name, node, tensor, kwargs], ...]``) form."""
    out: list[str] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            history = obj.get("config", {}).get("keras_history") \
                if obj.get("class_name") == "__keras_tensor__" else None
            if history:
                out.append(str(history[0]))
                return
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            if len(obj) >= 3 and isinstance(obj[0], str) and isinstance(obj[1], int):
                out.append(obj[0])
                return
            for v in obj:
                walk(v)

    walk(entry.get("inbound_nodes", []))
    return list(dict.fromkeys(out))


def parse_keras_json(text: str) -> Graph:
    """The layer graph of a Keras model JSON (``model.to_json()``; the hook's carries
    ``"inspector": {output_shape, param_count, trainable_param_count}`` per layer). Layers of
    nested models are named ``<model>/<layer>``. Raises InspectorError on other JSON."""
    try:
        config = json.loads(text)
    except ValueError as err:
        raise InspectorError(f"this Keras model JSON does not parse ({err})") from err
    if not isinstance(config, dict) or "layers" not in config.get("config", {}):
        raise InspectorError("this Keras model JSON lists no layers (a subclassed model "
                             "logged by the stock callback); log it with Inspector's hook")
    names: list[str] = []
    ops: list[str] = []
    info: dict[str, dict] = {}
    entries: list[dict] = []
    inputs: list[list[str]] = []
    position: dict[str, int] = {}

    def add_model(model: dict, prefix: str) -> tuple[list[str], list[str]]:
        layers = model.get("config", {}).get("layers", [])
        sequential = all("inbound_nodes" not in e for e in layers)
        local: dict[str, str] = {}
        firsts: list[str] = []
        previous: list[str] = []
        for entry in layers:
            name = str(entry.get("config", {}).get("name") or entry.get("name"))
            path = prefix + name
            if "layers" in entry.get("config", {}):
                ins, outs = add_model(entry, path + "/")
            else:
                position[path] = len(names)
                names.append(path)
                ops.append(str(entry.get("class_name", "")))
                entries.append(entry)
                info[path] = dict(entry.get(P.LAYER_INFO_KEY) or {})
                inputs.append([])
                ins = outs = [path]
            sources = previous if sequential else [local.get(s, prefix + s)
                                                   for s in _inbound_names(entry)]
            if not sources and not firsts:
                firsts = ins
            for target in ins:
                inputs[position[target]].extend(sources)
            local[name] = outs[-1] if outs else path
            previous = outs
        declared = [str(o[0]) for o in model.get("config", {}).get("output_layers", [])
                    if isinstance(o, list) and o]
        lasts = [local[n] for n in declared if n in local] or previous
        return firsts, lasts

    add_model(config, "")
    src, dst, ctrl, port = _edges(names, inputs)

    def output_shapes(i: int) -> list[tuple[str, str]]:
        shape = info[names[i]].get("output_shape")
        if shape is None:
            return []
        text = "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]" \
            if isinstance(shape, list) and all(not isinstance(d, list) for d in shape) \
            else str(shape)
        return [("", text)]

    def attributes(i: int) -> dict[str, str]:
        out = {k: str(v) for k, v in info[names[i]].items()}
        for k, v in sorted(entries[i].get("config", {}).items()):
            text = json.dumps(v, default=str) if not isinstance(v, str) else v
            out[k] = text if len(text) <= _ATTR_CHARS else text[:_ATTR_CHARS] + "…"
        return out

    return Graph(names, ops, [""] * len(names), src, dst, ctrl, port, "layer", output_shapes,
                 attributes, info)


_TORCH_SCOPE = re.compile(r"^(\w+)\[(.+)\]$")


def scope_label(part: str) -> tuple[str, str]:
    """A scope's display name and the class it names: PyTorch's ``Conv2d[conv]`` is
    ("conv", "Conv2d"); TensorFlow's ``conv1`` is ("conv1", "")."""
    m = _TORCH_SCOPE.match(part)
    return (m.group(2), m.group(1)) if m else (part, "")
