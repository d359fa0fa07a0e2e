"""What the graphs page draws: which graphs a run holds, their hierarchies (built once, kept
in a small cache), the cytoscape elements of one view with colours, search matches and a
traced path, the details of one item, and per-layer statistics from the store.

Pure functions of the store's query results; knows nothing of Dash callbacks.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from dashboards import graph_layout
from inspector import graph_sources
from inspector.events import plugins as P
from inspector.graph_sources import scope_label
from inspector.graphs import Hierarchy, View
from inspector.store import Store

CACHE_SIZE = 6  # hierarchies kept (an InceptionV3 training step is ~30 MB of Python objects)
NEUTRAL = "#c9d3e0"
EDGE_LABELS_MAX = 150  # more edges are drawn without their tensor labels (slow to draw)
PALETTE_SEQ = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")  # Blues, low to high


@dataclass(frozen=True)
class Source:
    """One graph of a run: ``key`` is "op", "layer:<tag>" or "meta:<tag>"."""

    key: str
    label: str


def graph_runs(store: Store) -> list[str]:
    """Runs that hold any graph, in the store's order."""
    kinds = (P.KIND_GRAPHS, P.KIND_KERAS_MODEL, P.KIND_RUN_METADATA)
    have = set()
    for kind in kinds:
        have.update(r for r, tags in store.tags(kind).items() if tags)
    return [r for r in store.runs() if r in have]


def sources(store: Store, run: str) -> list[Source]:
    """The graphs of ``run``: the op graph (named for what the hook writes there: the
    training step in ``train``, inference in ``validation``), layer graphs, traces."""
    kinds = store.kinds(run)
    out = []
    if kinds.get(P.KIND_GRAPHS):
        leaf = run.rpartition("/")[2]
        what = {"train": "training step", "validation": "inference"}.get(leaf, "")
        out.append(Source("op", f"Op graph · {what}" if what else "Op graph"))
    for tag in kinds.get(P.KIND_KERAS_MODEL, []):
        out.append(Source(f"layer:{tag}", "Layer graph" + (f" · {tag}" if tag != "keras" else "")))
    for tag in kinds.get(P.KIND_RUN_METADATA, []):
        out.append(Source(f"meta:{tag}", f"Traced graph · {tag}"))
    return out


_cache: OrderedDict[tuple, Hierarchy] = OrderedDict()
_cache_lock = threading.Lock()


def hierarchy(store: Store, run: str, source: str, fold_series: bool = True) -> Hierarchy | None:
    """The hierarchy of ``run``'s graph ``source`` (its latest logged version), or None when
    the run holds no such graph. Raises InspectorError on a graph that does not parse."""
    kind, _, tag = source.partition(":")
    points = {"op": lambda: store.graphs(run),
              "layer": lambda: store.series(P.KIND_KERAS_MODEL, run, tag),
              "meta": lambda: store.series(P.KIND_RUN_METADATA, run, tag)}[kind]()
    if not points:
        return None
    point = points[-1]
    key = (id(store), run, source, fold_series, len(points), point.step, point.wall_time)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    parse = {"op": graph_sources.parse_graph_def, "layer": graph_sources.parse_keras_json,
             "meta": graph_sources.parse_run_metadata}[kind]
    built = Hierarchy(parse(point.value), fold_series=fold_series)
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def model_names(store: Store, run: str) -> tuple[str, ...]:
    """Names of the Keras models logged with ``run`` or its sibling runs (their scopes are
    opened first in op graphs)."""
    parent = run.rpartition("/")[0]
    names = []
    for r in [run] + [x for x in store.runs() if x.rpartition("/")[0] == parent and x != run]:
        for tag in store.kinds(r).get(P.KIND_KERAS_MODEL, []):
            points = store.series(P.KIND_KERAS_MODEL, r, tag)
            try:
                names.append(str(json.loads(points[-1].value)["config"]["name"]))
            except (ValueError, KeyError, TypeError, IndexError):
                continue
    return tuple(dict.fromkeys(names))


# ------------------------------------------------------------------------------ layers


def layer_paths(store: Store, run: str) -> set[str]:
    """Layer paths the run (or its sibling runs) logged data for: ``weights/<layer>/<var>``,
    ``gradients/<layer>/<var>``, ``kernels/<layer>``, ``activations/<layer>``."""
    parent = run.rpartition("/")[0]
    out: set[str] = set()
    for r in store.runs():
        if r != run and r.rpartition("/")[0] != parent:
            continue
        kinds = store.kinds(r)
        for tag in kinds.get(P.KIND_HISTOGRAMS, []):
            for prefix in (P.TAG_WEIGHTS, P.TAG_GRADIENTS):
                if tag.startswith(prefix) and tag.count("/") >= 2:
                    out.add(tag[len(prefix):].rpartition("/")[0])
        for kind, prefix in ((P.KIND_KERNELS, P.TAG_KERNELS),
                             (P.KIND_ACTIVATIONS, P.TAG_FEATURE_MAPS)):
            out.update(t[len(prefix):] for t in kinds.get(kind, []) if t.startswith(prefix))
    return out


def layer_of(h: Hierarchy, item_id: str, layers: set[str]) -> str | None:
    """The layer an item stands for: the longest tail of its scope path that is a known
    layer path (``lenet5/conv1`` -> ``conv1``; PyTorch's ``Net/Conv2d[conv]`` -> ``conv``)."""
    item = h.items.get(item_id)
    if item is None or item.kind not in ("group", "node"):
        return None
    if h.graph.kind == "layer" and item.kind == "node":
        return item.path
    parts = [scope_label(p)[0] for p in item.path.split("/")]
    for k in range(len(parts)):
        tail = "/".join(parts[k:])
        if tail in layers:
            return tail
    return None


def gradient_norms(store: Store, run: str, step: int | None) -> dict[str, float]:
    """Per layer, the L2 norm of its gradients at ``step`` (the last logged step at or
    before it; the latest when None), from the ``gradients/<layer>/<var>`` histograms
    (each bucket's count at its centre: an estimate)."""
    sums: dict[str, float] = {}
    for tag in store.tags(P.KIND_HISTOGRAMS).get(run, []):
        if not tag.startswith(P.TAG_GRADIENTS) or tag.count("/") < 2:
            continue
        points = store.series(P.KIND_HISTOGRAMS, run, tag)
        chosen = [p for p in points if step is None or p.step <= step]
        if not chosen:
            continue
        hist = np.asarray(chosen[-1].value, np.float64).reshape(-1, 3)
        centres = (hist[:, 0] + hist[:, 1]) / 2
        layer = tag[len(P.TAG_GRADIENTS):].rpartition("/")[0]
        sums[layer] = sums.get(layer, 0.0) + float(np.sum(hist[:, 2] * centres ** 2))
    return {k: math.sqrt(v) for k, v in sums.items()}


def param_counts(store: Store, run: str) -> dict[str, float]:
    """Per layer path, its parameter count from the hook's layer-graph JSON."""
    out: dict[str, float] = {}
    for r in [run] + [x for x in store.runs() if x.rpartition("/")[0] == run.rpartition("/")[0]]:
        for tag in store.kinds(r).get(P.KIND_KERAS_MODEL, []):
            h = hierarchy(store, r, f"layer:{tag}")
            if h is not None:
                for name, info in h.graph.layer_info.items():
                    if isinstance(info.get("param_count"), int):
                        out.setdefault(name, float(info["param_count"]))
    return out


# ------------------------------------------------------------------------------ colours


def category_color(key: str) -> str:
    """A stable, readable colour for a category (op type, device)."""
    if not key:
        return NEUTRAL
    h = int(hashlib.md5(key.encode()).hexdigest()[:6], 16)
    r, g, b = colorsys.hls_to_rgb((h % 360) / 360, 0.72, 0.55)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def scale_color(value: float, top: float) -> str:
    """``value`` in [0, top] on a log scale of blues."""
    if top <= 0 or value <= 0:
        return PALETTE_SEQ[0]
    t = math.log1p(value) / math.log1p(top)
    return PALETTE_SEQ[min(int(t * (len(PALETTE_SEQ) - 1) + 0.5), len(PALETTE_SEQ) - 1)]


# ------------------------------------------------------------------------------ elements


def traced(view: View, start: str, direction: str) -> set[str]:
    """Drawn items reachable from ``start`` along the drawn edges: "inputs" (upstream),
    "outputs" (downstream) or "both"."""
    out: set[str] = set()
    for forward in ((True,) if direction == "outputs" else (False,) if direction == "inputs"
                    else (True, False)):
        nxt: dict[str, list[str]] = {}
        for b in view.bundles:
            a, z = (b.source, b.target) if forward else (b.target, b.source)
            nxt.setdefault(a, []).append(z)
        stack = [start]
        while stack:
            for z in nxt.get(stack.pop(), []):
                if z not in out:
                    out.add(z)
                    stack.append(z)
    out.discard(start)
    return out


def elements(h: Hierarchy, view: View, *, color_by: str = "op",
             stats: dict[str, float] | None = None, layers: set[str] = frozenset(),
             matches: list[str] = (), trace: set[str] = frozenset(),
             selected: str | None = None) -> list[dict]:
    """Cytoscape elements of ``view``: drawn items (expanded containers as compound parents)
    and bundled edges. ``color_by``: "op", "device" or "stat" (``stats``: layer -> value,
    coloured on a log scale); ``matches`` (node ids) are highlighted, and collapsed items
    holding one are marked; ``trace`` items and ``selected`` are highlighted."""
    matched = set(matches)
    placed = graph_layout.positions(view, {i.id: node_label(i, False) for i in view.items
                                           if i.id in view.atoms})
    holding = {a for m in matches if m in h.items for a in h.ancestors(m)}
    top = max(stats.values(), default=0.0) if stats else 0.0
    out = []
    for item in view.items:
        expanded = item.id not in view.atoms
        data = {"id": item.id, "label": node_label(item, expanded), "kind": item.kind,
                "count": item.count}
        if item.parent and item.parent != "g:":
            data["parent"] = item.parent
        if color_by == "device":
            data["color"] = category_color(h.device(item.id))
        elif color_by == "stat":
            layer = layer_of(h, item.id, layers) if stats else None
            data["color"] = scale_color(stats.get(layer, 0.0), top) if layer else "#ffffff"
        else:
            data["color"] = category_color(item.op) if item.kind == "node" or item.op \
                else NEUTRAL
        classes = [item.kind, "expanded" if expanded else "collapsed"]
        if item.id in matched:
            classes.append("match")
        elif item.id in holding and not expanded:
            classes.append("holds-match")
        if item.id in trace:
            classes.append("traced")
        if item.id == selected:
            classes.append("selected")
        element = {"data": data, "classes": " ".join(classes)}
        if item.id in placed:
            x, y, width, height = placed[item.id]
            element["position"] = {"x": round(x, 1), "y": round(y, 1)}
            data.update(w=round(width, 1), h=round(height, 1))
        out.append(element)
    labelled = len(view.bundles) <= EDGE_LABELS_MAX
    for k, b in enumerate(view.bundles):
        out.append({"data": {"id": f"e{k}", "source": b.source, "target": b.target,
                             "label": b.label if labelled else "", "count": b.count,
                             "width": round(1 + math.log2(b.count), 2)},
                    "classes": "control" if b.control else "data"})
    return out


def node_label(item, expanded: bool) -> str:
    """The text drawn in an item: its name; a closed container also its op count."""
    if item.kind == "node":
        return item.label
    if expanded:
        return item.label
    what = "op" if item.count == 1 else "ops"
    suffix = f" ({item.op})" if item.op and item.kind == "group" else ""
    return f"{item.label}{suffix}\n{item.count} {what}"


def details(h: Hierarchy, item_id: str, limit: int = 25) -> dict:
    """What the side panel shows for ``item_id``: name, kind, op, device, count; for a node
    its attributes and its inputs and outputs (name, "dtype shape"); for a container the
    most common op types. Lists are cut at ``limit`` (with the total)."""
    item = h.items[item_id]
    g = h.graph
    out = {"id": item.id, "name": item.path or "(root)", "kind": item.kind, "op": item.op,
           "count": item.count, "device": h.device(item_id)}
    if item.kind != "node":
        out["op_counts"] = h.op_counts(item_id)
        return out
    i = item.leaf
    shapes = g.output_shapes(i)
    ins = [(g.names[int(g.src[k])], "control" if g.control[k] else g.edge_label(k))
           for k in np.nonzero(g.dst == i)[0]]
    outs = [(g.names[int(g.dst[k])], "control" if g.control[k] else g.edge_label(k))
            for k in np.nonzero(g.src == i)[0]]
    out.update(attributes=g.attributes(i), outputs_shapes=[f"{d} {s}".strip() for d, s in shapes],
               inputs=ins[:limit], inputs_total=len(ins), outputs=outs[:limit],
               outputs_total=len(outs))
    return out
