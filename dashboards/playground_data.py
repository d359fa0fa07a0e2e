"""What the playground page shows for a 2-D model at one epoch: the decision boundary with the
data points, each input feature's map and each hidden neuron's output map, and the losses,
as the playground trainer logs them (``trainers/dense.py``, ``playground_samples``):

- ``samples/decision_boundary``: one picture per epoch (the boundary and the points);
- ``samples/features``: one picture per input feature (logged once, at the first epochs);
- ``samples/neurons/<layer>``: one picture per neuron of the layer, every epoch.

Any run that logs ``samples/decision_boundary`` is shown. Never imports Dash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboards.evaluation_data import last_at_or_before, points_of, scalars_of
from dashboards.security import safe_image_uri
from inspector.events import plugins as P
from inspector.kinds import Kind
from inspector.store import Store

BOUNDARY_TAG = P.TAG_SAMPLES + "decision_boundary"
FEATURES_TAG = P.TAG_SAMPLES + "features"
NEURONS_PREFIX = P.TAG_SAMPLES + "neurons/"


@dataclass
class Frame:
    """One epoch of a playground run: picture URIs (None when refused or missing)."""

    step: int
    boundary: str | None
    features: list[str] = field(default_factory=list)
    layers: list[tuple[str, list[str]]] = field(default_factory=list)  # (layer, neuron maps)
    losses: dict[str, float] = field(default_factory=dict)  # "train"/"validation" -> loss


def playground_runs(store: Store, runs: list[str]) -> list[str]:
    """Those of ``runs`` that log a decision boundary, in the given order."""
    have = store.tags(Kind.IMAGES)
    return [r for r in runs if BOUNDARY_TAG in have.get(r, [])]


def steps(store: Store, run: str) -> list[int]:
    """The epochs whose decision boundary ``run`` logged."""
    return [p.step for p in points_of(store, Kind.IMAGES, run, BOUNDARY_TAG)]


def _uris(store: Store, run: str, tag: str, step: int) -> list[str]:
    point = last_at_or_before(points_of(store, Kind.IMAGES, run, tag), step)
    if point is None:
        return []
    return [u for u in (safe_image_uri(b)[0] for b in point.value.encoded) if u]


def _loss(store: Store, run: str, step: int) -> float | None:
    s = scalars_of(store, run, P.TAG_EPOCH + "loss")
    hits = [float(v) for st, v in zip(s.steps, s.values, strict=True) if st <= step]
    return hits[-1] if hits else None


def frame(store: Store, run: str, step: int) -> Frame:
    """The pictures of ``run`` at ``step`` (each at its last logged step at or before it) and
    the epoch losses of the run and of its ``validation`` sibling."""
    boundary = _uris(store, run, BOUNDARY_TAG, step)
    out = Frame(step, boundary[0] if boundary else None, _uris(store, run, FEATURES_TAG, step))
    layer_tags = sorted(t for t in store.tags(Kind.IMAGES, run).get(run, [])
                        if t.startswith(NEURONS_PREFIX))
    out.layers = [(t[len(NEURONS_PREFIX):], _uris(store, run, t, step)) for t in layer_tags]
    parent = run.rpartition("/")[0]
    for name, where in (("train", run), ("validation", f"{parent}/validation" if parent
                                         else "validation")):
        loss = _loss(store, where, step)
        if loss is not None:
            out.losses[name] = loss
    return out
