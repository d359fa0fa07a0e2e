"""A flat graph (``inspector.graph_sources``) as a collapsible name-scope hierarchy: groups by
scope, repeated siblings (``block_1`` … ``block_n``) folded into one series, utility nodes
(constants, NoOps, summaries, very high-degree nodes) set aside in a box per group, and the
edges between whatever is visible bundled with counts and tensor shapes.

Built once per graph; each view (a set of expanded items) costs one pass over the visible
items and a few vectorised passes over the edges, so expanding one group of a 16,500-node
graph takes milliseconds. Never imports TensorFlow.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from inspector.graph_sources import Graph, scope_label

SERIES_MIN = 5  # siblings needed to fold a series (TensorBoard's threshold too)
HIGH_DEGREE = 40  # a node with more edges than this is set aside (a learning rate, a counter)
_UTILITY_OPS = re.compile(r"^(Const|NoOp|prim::Constant|prim::ListConstruct|.*Summary.*|"
                          r"Assert)$")
_SUFFIX = re.compile(r"^(.*?)_(\d+)$")
ROOT = "g:"


@dataclass
class Item:
    """One thing the view can show. ``kind``: "group" (a scope), "series" (folded
    siblings), "utility" (the set-aside nodes of a group), "node" (one op or layer).
    ``lo:hi`` is its range of leaves in hierarchy order; ``count`` their number."""

    id: str
    kind: str
    label: str
    parent: str | None
    depth: int
    op: str = ""
    path: str = ""  # the scope path (groups), node name (nodes), base path (series)
    children: list[str] = field(default_factory=list)
    lo: int = 0
    hi: int = 0
    leaf: int = -1  # node index in the Graph (nodes only)

    @property
    def count(self) -> int:
        return self.hi - self.lo

    @property
    def container(self) -> bool:
        return self.kind != "node"


@dataclass
class Bundle:
    """The edges from one visible item to another: ``count`` edges, ``control`` when all
    are control edges; ``label`` the tensor of the one data edge, or "n tensors"."""

    source: str
    target: str
    count: int
    control: bool
    label: str


@dataclass
class View:
    """What is drawn for one set of expanded items: ``items`` in hierarchy order (expanded
    containers too: they are drawn as boxes around their children), ``bundles``, and
    ``atoms`` (the ids drawn as single nodes)."""

    items: list[Item]
    bundles: list[Bundle]
    atoms: set[str]


def _utility(graph: Graph) -> np.ndarray:
    out = np.fromiter((bool(_UTILITY_OPS.match(op)) for op in graph.ops), bool, len(graph))
    if graph.resource is not None:
        out |= graph.resource
    if graph.kind == "op":
        degree = np.bincount(graph.src, minlength=len(graph)) + \
            np.bincount(graph.dst, minlength=len(graph))
        out |= degree > HIGH_DEGREE
    return out


class Hierarchy:
    """The hierarchy of ``graph``. ``fold_series``: fold runs of ``SERIES_MIN`` or more
    similar siblings; ``set_aside``: put utility nodes in a box per group."""

    def __init__(self, graph: Graph, *, fold_series: bool = True, set_aside: bool = True):
        self.graph = graph
        self.items: dict[str, Item] = {}
        self.utility = _utility(graph) if set_aside else np.zeros(len(graph), bool)
        groups: dict[str, tuple[list[str], list[int], list[int]]] = {"": ([], [], [])}
        scopes = set()
        for name in graph.names:
            parts = name.split("/")
            for k in range(1, len(parts)):
                scopes.add("/".join(parts[:k]))
        for path in sorted(scopes):
            groups[path] = ([], [], [])
            parent = path.rpartition("/")[0]
            groups[parent][0].append(path)
        for i, name in enumerate(graph.names):
            parent = name if name in scopes else name.rpartition("/")[0]
            groups[parent][2 if self.utility[i] else 1].append(i)
        self._groups = groups
        self._fold = fold_series
        self.order: list[int] = []
        self._build_group("", None, 0)
        self.position = np.empty(len(graph), np.int64)
        self.position[np.asarray(self.order, np.int64)] = np.arange(len(self.order))
        self.leaf_item = {i: self.items[f"n:{graph.names[i]}"] for i in range(len(graph))}

    # -------------------------------------------------------------- building
    def _add(self, item: Item) -> Item:
        self.items[item.id] = item
        if item.parent is not None:
            self.items[item.parent].children.append(item.id)
        return item

    def _leaf(self, i: int, parent: str, depth: int) -> None:
        name = self.graph.names[i]
        label = scope_label(name.rpartition("/")[2])[0]
        if name in self._groups:
            label = f"({label})"  # an op named like the scope it opens, as TensorBoard shows
        lo = len(self.order)
        self.order.append(i)
        self._add(Item(f"n:{name}", "node", label, parent, depth, self.graph.ops[i], name,
                       lo=lo, hi=lo + 1, leaf=i))

    def _signature(self, entry) -> tuple:
        if isinstance(entry, int):
            return ("node", self.graph.ops[entry])
        subgroups, leaves, _ = self._groups[entry]
        return ("group", tuple(sorted({_base(s.rpartition("/")[2]) for s in subgroups})),
                tuple(sorted({self.graph.ops[i] for i in leaves})))

    def _entry_name(self, entry) -> str:
        return (self.graph.names[entry] if isinstance(entry, int) else entry).rpartition("/")[2]

    def _build_group(self, path: str, parent: str | None, depth: int) -> Item:
        name = path.rpartition("/")[2]
        label, cls = scope_label(name)
        item = self._add(Item(f"g:{path}", "group", label or "(root)", parent, depth, cls, path,
                              lo=len(self.order)))
        subgroups, leaves, utility = self._groups[path]
        entries: list = list(subgroups) + list(leaves)
        series: dict[tuple, list] = {}
        if self._fold:
            for e in entries:
                series.setdefault((_base(self._entry_name(e)), self._signature(e)), []).append(e)
        folded = {id(e) for members in series.values() if len(members) >= SERIES_MIN
                  for e in members}
        done = set()
        for e in entries:
            if id(e) in folded:
                key = (_base(self._entry_name(e)), self._signature(e))
                if key in done:
                    continue
                done.add(key)
                self._build_series(path, item.id, depth + 1, key[0], series[key])
            else:
                self._build_entry(e, item.id, depth + 1)
        if utility:
            box = self._add(Item(f"u:{path}", "utility", f"{len(utility)} set aside", item.id,
                                 depth + 1, "", path, lo=len(self.order)))
            for i in utility:
                self._leaf(i, box.id, depth + 2)
            box.hi = len(self.order)
        item.hi = len(self.order)
        return item

    def _build_entry(self, entry, parent: str, depth: int) -> None:
        if isinstance(entry, int):
            self._leaf(entry, parent, depth)
        else:
            self._build_group(entry, parent, depth)

    def _build_series(self, path: str, parent: str, depth: int, base: str, members) -> None:
        numbers = [int(m.group(2)) if (m := _SUFFIX.match(self._entry_name(e))) else 0
                   for e in members]
        ranked = sorted(range(len(members)), key=lambda k: numbers[k])
        members = [members[k] for k in ranked]
        op = self.graph.ops[members[0]] if isinstance(members[0], int) else ""
        full = f"{path}/{base}" if path else base
        label = f"{scope_label(base)[0]}_[{min(numbers)}-{max(numbers)}]"
        item = self._add(Item(f"s:{full}", "series", label, parent, depth, op, full,
                              lo=len(self.order)))
        for e in members:
            self._build_entry(e, item.id, depth + 1)
        item.hi = len(self.order)

    # -------------------------------------------------------------- views
    def view(self, expanded: set[str] | frozenset[str] = frozenset()) -> View:
        """The items shown when ``expanded`` (item ids) are open; the root always is.
        Ids that do not exist are ignored."""
        shown: list[Item] = []
        atoms: list[Item] = []
        stack = [ROOT]
        while stack:
            item = self.items[stack.pop()]
            for cid in reversed(item.children):
                child = self.items[cid]
                shown.append(child)
                if child.container and cid in expanded and child.children:
                    stack.append(cid)
                else:
                    atoms.append(child)
        shown.sort(key=lambda it: (it.lo, -it.hi))
        return View(shown, self._bundles(atoms), {a.id for a in atoms})

    def _bundles(self, atoms: list[Item]) -> list[Bundle]:
        g = self.graph
        rep = np.full(len(self.order), -1, np.int64)
        alone = np.zeros(len(self.order), bool)  # the leaf is drawn as itself
        for k, a in enumerate(atoms):
            rep[a.lo:a.hi] = k
            alone[a.lo:a.hi] = a.kind == "node"
        sp, dp = self.position[g.src], self.position[g.dst]
        rs, rd = rep[sp], rep[dp]
        util_s, util_d = self.utility[g.src], self.utility[g.dst]
        keep = (rs != rd) & (rs >= 0) & (rd >= 0) & (~util_s | alone[sp]) & (~util_d | alone[dp])
        idx = np.nonzero(keep)[0]
        if not len(idx):
            return []
        key = rs[idx] * len(atoms) + rd[idx]
        pairs, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True,
                                                  return_counts=True)
        data = ~g.control[idx]
        tensors = np.bincount(inverse, weights=data, minlength=len(pairs)).astype(int)
        first_data = dict(zip(*np.unique(key[data], return_index=True), strict=True))
        data_idx = idx[data]
        out = []
        for j, (f, c) in enumerate(zip(first, counts, strict=True)):
            k = idx[f]
            n = int(tensors[j])
            label = "" if n == 0 else f"{n} tensors" if n > 1 else \
                g.edge_label(data_idx[first_data[pairs[j]]])
            out.append(Bundle(atoms[rs[k]].id, atoms[rd[k]].id, int(c), n == 0, label))
        return out

    # -------------------------------------------------------------- navigation
    def ancestors(self, item_id: str) -> list[str]:
        """The containers holding ``item_id``, outermost first (without the root)."""
        out = []
        parent = self.items[item_id].parent
        while parent is not None and parent != ROOT:
            out.append(parent)
            parent = self.items[parent].parent
        return out[::-1]

    def search(self, pattern: str, limit: int = 200) -> list[str]:
        """Node ids whose name or op type matches the regex ``pattern`` (case-insensitive),
        at most ``limit``. Raises ``re.error`` on a bad pattern."""
        rx = re.compile(pattern, re.IGNORECASE)
        out = []
        for i, (name, op) in enumerate(zip(self.graph.names, self.graph.ops, strict=True)):
            if rx.search(name) or rx.fullmatch(op):
                out.append(self.leaf_item[i].id)
                if len(out) >= limit:
                    break
        return out

    def reveal(self, item_ids: list[str], limit: int = 20) -> set[str]:
        """The containers to open so that the first ``limit`` of ``item_ids`` are drawn."""
        out: set[str] = set()
        for iid in item_ids[:limit]:
            out.update(self.ancestors(iid))
        return out

    def expand_to_depth(self, depth: int, budget: int = 400) -> set[str]:
        """Containers (groups and series, not utility boxes) down to ``depth`` (1: the
        top-level ones) to open,
        shallowest first, while the view stays under ``budget`` drawn items."""
        out: set[str] = set()
        shown = len(self.items[ROOT].children)
        frontier = [self.items[c] for c in self.items[ROOT].children]
        while frontier:
            nxt = []
            for item in sorted(frontier, key=lambda it: it.lo):
                if item.kind in ("group", "series") and item.depth <= depth and item.children:
                    if shown + len(item.children) > budget:
                        return out
                    out.add(item.id)
                    shown += len(item.children)
                    nxt.extend(self.items[c] for c in item.children)
            frontier = nxt
        return out

    def initial_expansion(self, prefer: tuple[str, ...] = ()) -> set[str]:
        """What a graph opens with: scopes that are alone at their level opened (a model
        scope around everything), and the top-level scopes named in ``prefer`` (the model's
        name: the training step then opens on the model's layers)."""
        out: set[str] = set()
        item = self.items[ROOT]
        while True:
            groups = [self.items[c] for c in item.children if self.items[c].kind == "group"]
            if len(groups) != 1:
                break
            item = groups[0]
            out.add(item.id)
        for g in (self.items[c] for c in item.children):
            if g.kind == "group" and g.path.rpartition("/")[2] in prefer:
                out.add(g.id)
        return out

    def op_counts(self, item_id: str, top: int = 12) -> list[tuple[str, int]]:
        """The most common op types under ``item_id``."""
        item = self.items[item_id]
        return Counter(self.graph.ops[i] for i in self.order[item.lo:item.hi]).most_common(top)

    def device(self, item_id: str) -> str:
        """The most common device under ``item_id`` ("" when none is set)."""
        item = self.items[item_id]
        devices = Counter(self.graph.devices[i] for i in self.order[item.lo:item.hi])
        return devices.most_common(1)[0][0] if devices else ""


def _base(name: str) -> str:
    m = _SUFFIX.match(name)
    return m.group(1) if m else name
