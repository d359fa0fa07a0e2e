"""What the evaluation page shows, as pure functions of the store: the confusion matrix of a
step as an annotated heatmap, per-class scores computed from that matrix, accuracy against
its baselines, PR curves per class, and the misclassified probe examples of one cell.

Scores are computed from the logged confusion matrix (every class, every step), as
``inspector.evaluation.classification_report`` computes them from predictions: a class never
predicted has precision 0, one never present recall 0. Never imports Dash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from dashboards.security import safe_image_uri
from inspector.events import plugins as P
from inspector.kinds import Kind
from inspector.kinds import predictions as predictions_kind
from inspector.store import Point, ScalarSeries, Store

MAX_ANNOTATED_CLASSES = 30  # beyond this many classes the cells carry no numbers
EVALUATION = "evaluation/"  # the prefix of a single-output model's evaluation tags
CONFUSION_LEAF = P.TAG_CONFUSION[len(EVALUATION):]  # "confusion_matrix"


def points_of(store: Store, kind: str, run: str, tag: str) -> list[Point]:
    """Every point of a series, or [] when the run does not hold it (the store raises)."""
    return store.series(kind, run, tag) if store.has(kind, run, tag) else []


def scalars_of(store: Store, run: str, tag: str, **query) -> ScalarSeries:
    """A scalar series, or an empty one when the run does not hold it."""
    if store.has(Kind.SCALARS, run, tag):
        return store.scalars(run, tag, **query)
    e = np.empty(0)
    return ScalarSeries(e.astype(np.int64), e, e)


def tag_for(prefix: str, tag: str) -> str:
    """``tag`` (one of the ``evaluation/...`` tags) under ``prefix``: a multi-output model
    logs each output's evaluation under ``evaluation/<output>/``."""
    return prefix + tag[len(EVALUATION):] if tag.startswith(EVALUATION) else tag


@dataclass
class ClassScores:
    """Per-class scores of one confusion matrix; arrays ``[classes]`` float64 (support int64)."""

    labels: list[str]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    accuracy: float
    baseline_random: float
    baseline_most_frequent: float

    def rows(self) -> list[dict]:
        """One dict per class for a table: class, precision, recall, f1, support."""
        return [{"class": name, "precision": round(float(p), 6), "recall": round(float(r), 6),
                 "f1": round(float(f), 6), "support": int(s)}
                for name, p, r, f, s in zip(self.labels, self.precision, self.recall, self.f1,
                                            self.support, strict=True)]


def evaluation_sets(store: Store, runs: list[str]) -> list[tuple[str, str]]:
    """(run, tag prefix) of every evaluation of ``runs`` (a confusion matrix under
    ``evaluation/``, or ``evaluation/<output>/`` for each output of a multi-output model),
    in the given run order."""
    have = store.tags(Kind.CONFUSION)
    out = []
    for run in runs:
        for tag in have.get(run, []):
            if tag.startswith(EVALUATION) and tag.endswith(CONFUSION_LEAF):
                out.append((run, tag[: -len(CONFUSION_LEAF)]))
    return out


def evaluation_runs(store: Store, runs: list[str]) -> list[str]:
    """Those of ``runs`` that hold an evaluation, in the given order."""
    found = {run for run, _ in evaluation_sets(store, runs)}
    return [r for r in runs if r in found]


def class_labels(store: Store, run: str, size: int, prefix: str = EVALUATION) -> list[str]:
    """The run's class names (confusion metadata), or the class ids when absent or wrong."""
    info = store.tag_info(run, prefix + CONFUSION_LEAF)
    names = list(getattr(getattr(info, "metadata", None), "labels", ()) or ())
    return names if len(names) == size else [str(i) for i in range(size)]


def confusion_points(store: Store, run: str, prefix: str = EVALUATION) -> list[Point]:
    """Every logged confusion matrix of ``run`` (int64 ``[C, C]``), in step order."""
    return points_of(store, Kind.CONFUSION, run, prefix + CONFUSION_LEAF)


def scores(matrix: np.ndarray, labels: list[str]) -> ClassScores:
    """Per-class precision, recall, F-score and support, accuracy and both baselines of a
    ``[C, C]`` count matrix (rows true class, columns predicted)."""
    cm = np.asarray(matrix, np.float64)
    tp = np.diag(cm)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
    n = cm.sum()
    return ClassScores(labels, precision, recall, f1, support.astype(np.int64),
                       accuracy=float(tp.sum() / n) if n else 0.0,
                       baseline_random=1.0 / len(cm) if len(cm) else 0.0,
                       baseline_most_frequent=float(support.max() / n) if n else 0.0)


def row_share(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (a row reads as its class's recall); empty rows stay 0."""
    m = np.asarray(matrix, np.float64)
    sums = m.sum(axis=1, keepdims=True)
    return np.divide(m, sums, out=np.zeros_like(m), where=sums > 0)


def confusion_figure(matrix: np.ndarray, labels: list[str], *, normalised: bool,
                     step: int | None = None) -> go.Figure:
    """The matrix as a heatmap: true class down, predicted across, class names on both axes,
    each cell annotated with its count or row share (up to ``MAX_ANNOTATED_CLASSES``).
    Colour is always the row share, so a large class does not wash out the others; a
    cell's ``customdata`` is ``[true id, predicted id, count]`` for click handlers."""
    m = np.asarray(matrix, np.int64)
    share = row_share(m)
    c = len(m)
    ids = np.indices((c, c))
    custom = np.stack([ids[0], ids[1], m], axis=-1).tolist()  # a plain list reaches clickData
    text = np.char.mod("%.2f", share) if normalised else m.astype(str)
    heat = go.Heatmap(
        z=share, x=labels, y=labels, customdata=custom, colorscale="Blues", zmin=0, zmax=1,
        text=text, texttemplate="%{text}" if c <= MAX_ANNOTATED_CLASSES else None,
        hovertemplate="true %{y}<br>predicted %{x}<br>count %{customdata[2]}"
                      "<br>row share %{z:.3f}<extra></extra>",
        colorbar={"title": {"text": "row share"}, "thickness": 12}, xgap=1, ygap=1)
    fig = go.Figure(heat)
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=460,
        title={"text": f"step {step}" if step is not None else "", "font": {"size": 12}},
        xaxis={"title": "predicted class", "type": "category", "side": "bottom",
               "tickangle": -45 if c > 10 else 0},
        yaxis={"title": "true class", "type": "category", "autorange": "reversed"},
        plot_bgcolor="white")
    return fig


def last_at_or_before(points: list[Point], step: int) -> Point | None:
    """The last of ``points`` (step order) at or before ``step``, else the first."""
    if not points:
        return None
    steps = [p.step for p in points]
    i = int(np.searchsorted(steps, step, side="right")) - 1
    return points[max(i, 0)]


def accuracy_figure(store: Store, run: str, prefix: str = EVALUATION) -> go.Figure:
    """Accuracy over steps with the random and most-frequent-class baselines."""
    fig = go.Figure()
    for tag, name, dash in ((P.TAG_ACCURACY, "accuracy", "solid"),
                            (P.TAG_BASELINE_MOST_FREQUENT, "most frequent class", "dash"),
                            (P.TAG_BASELINE_RANDOM, "random guess", "dot")):
        s = scalars_of(store, run, tag_for(prefix, tag))
        if len(s.steps):
            fig.add_trace(go.Scatter(x=s.steps, y=s.values, name=name, mode="lines+markers",
                                     line={"dash": dash}))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=300,
                      xaxis={"title": "step"}, yaxis={"title": "accuracy", "range": [0, 1.02]},
                      legend={"orientation": "h", "y": -0.25}, plot_bgcolor="white")
    return fig


def class_curves_figure(store: Store, run: str, metric: str, classes: list[str],
                        prefix: str = EVALUATION) -> go.Figure:
    """``metric`` ("precision", "recall" or "f1") of each of ``classes`` over steps, from the
    per-class scalars the evaluation logs (``evaluation/<metric>/<class>``)."""
    base = tag_for(prefix, {"precision": P.TAG_PRECISION, "recall": P.TAG_RECALL,
                            "f1": P.TAG_F1}[metric])
    fig = go.Figure()
    for name in classes:
        s = scalars_of(store, run, base + name.replace("/", "_"))
        if len(s.steps):
            fig.add_trace(go.Scatter(x=s.steps, y=s.values, name=name, mode="lines+markers"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=320,
                      xaxis={"title": "step"}, yaxis={"title": metric, "range": [0, 1.02]},
                      plot_bgcolor="white")
    return fig


def pr_tags(store: Store, run: str, classes: list[str] | None = None,
            prefix: str = EVALUATION) -> list[str]:
    """The run's per-class PR curve tags (``evaluation/pr/<class>``), in the order of
    ``classes`` when given (tags of other names last)."""
    base = tag_for(prefix, P.TAG_PR_CURVE)
    tags = [t for t in store.tags(Kind.PR_CURVES, run).get(run, []) if t.startswith(base)]
    order = {base + c.replace("/", "_").strip(): i for i, c in enumerate(classes or [])}
    return sorted(tags, key=lambda t: (order.get(t, len(order)), t))


def pr_figure(store: Store, run: str, step: int, classes: list[str] | None = None,
              prefix: str = EVALUATION) -> go.Figure:
    """Precision against recall of every class (one against the rest), each at its last
    logged step at or before ``step``. A curve's value is ``[6, thresholds]`` (TP, FP, TN,
    FN, precision, recall); thresholds where nothing was predicted positive are left out."""
    fig = go.Figure()
    base = tag_for(prefix, P.TAG_PR_CURVE)
    for tag in pr_tags(store, run, classes, prefix):
        point = last_at_or_before(points_of(store, Kind.PR_CURVES, run, tag), step)
        if point is None:
            continue
        v = np.asarray(point.value, np.float64)
        tp, fp, precision, recall = v[0], v[1], v[4], v[5]
        keep = (tp + fp) > 0
        thresholds = np.linspace(0, 1, v.shape[1])
        fig.add_trace(go.Scatter(
            x=recall[keep], y=precision[keep], mode="lines", name=tag[len(base):],
            customdata=thresholds[keep],
            hovertemplate="recall %{x:.3f}<br>precision %{y:.3f}<br>threshold %{customdata:.2f}"))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, height=360,
                      xaxis={"title": "recall", "range": [0, 1.02]},
                      yaxis={"title": "precision", "range": [0, 1.02]}, plot_bgcolor="white")
    return fig


@dataclass
class ProbeExample:
    """One misclassified probe: its index, picture (data URI or None) and what was predicted."""

    index: int
    image: str | None
    true: str
    predicted: str
    confidence: float


def _neighbour_runs(run: str, runs: list[str]) -> list[str]:
    """``run`` itself, then its siblings, then its parent: the hook logs predictions in the
    validation run and the probe inputs in the train run beside it."""
    parent = run.rpartition("/")[0]
    siblings = [r for r in runs if r != run and r.rpartition("/")[0] == parent]
    return [run, *siblings, *([parent] if parent in runs else [])]


def probe_predictions(store: Store, run: str, step: int, prefix: str = EVALUATION):
    """(``ProbePredictions``, metadata) of ``run`` at the last step at or before ``step``, or
    None when the run logged none (older logs, non-classifiers)."""
    tag = tag_for(prefix, predictions_kind.TAG)
    point = last_at_or_before(points_of(store, Kind.PREDICTIONS, run, tag), step)
    if point is None:
        return None
    info = store.tag_info(run, tag)
    return point.value, getattr(info, "metadata", None)


def misclassified(store: Store, run: str, step: int, true_id: int, predicted_id: int,
                  labels: list[str], limit: int = 48,
                  prefix: str = EVALUATION) -> list[ProbeExample] | None:
    """The probe examples of class ``true_id`` predicted as ``predicted_id`` at ``step``
    (at most ``limit``), with their pictures when the probe inputs are images. None when
    the run has no probe predictions."""
    found = probe_predictions(store, run, step, prefix)
    if found is None:
        return None
    preds, meta = found
    inputs_tag = getattr(meta, "inputs_tag", "") or P.TAG_PROBE_INPUTS
    names = list(getattr(meta, "labels", ()) or ()) or labels
    images: list[bytes] = []
    for candidate in _neighbour_runs(run, store.runs()):
        point = last_at_or_before(points_of(store, Kind.IMAGES, candidate, inputs_tag),
                                  step)
        if point is not None:
            images = list(point.value.encoded)
            break
    hits = np.flatnonzero((preds.true == true_id) & (preds.predicted == predicted_id))

    def name(c: int) -> str:
        return names[c] if 0 <= c < len(names) else str(c)

    out = []
    for i in hits[:limit].tolist():
        uri = safe_image_uri(images[i])[0] if i < len(images) else None
        out.append(ProbeExample(i, uri, name(int(preds.true[i])), name(int(preds.predicted[i])),
                                float(preds.confidence[i])))
    return out
