"""Classification evaluation: confusion matrix, per-class precision, recall and F-score,
accuracy against the random and most-frequent-class baselines, PR curves, and writing all
of it as summaries.

Pure numpy (never imports TensorFlow): the hook passes model outputs in, a custom loop may
do the same. Usage::

    report = log_evaluation(writer, y_val, model.predict(x_val), step=epoch, class_names=names)
    report.accuracy, report.f1
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.events import plugins as P
from inspector.grids import confusion_image
from inspector.kinds import confusion, predictions

EVALUATION_PREFIX = "evaluation/"


def output_tag(tag: str, output: str | None = None) -> str:
    """``tag`` (one of the ``evaluation/...`` tags) for one output of a multi-output model:
    ``evaluation/<output>/...``; unchanged for ``output`` None (single-output models)."""
    if output is None or not tag.startswith(EVALUATION_PREFIX):
        return tag
    return f"{EVALUATION_PREFIX}{output.replace('/', '_')}/{tag[len(EVALUATION_PREFIX):]}"


@dataclass
class ClassificationReport:
    """Scores of one evaluation. Arrays are per class, indexed by class id."""

    confusion: np.ndarray  # [C, C] int64, rows true class, columns predicted class
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray  # true examples per class
    accuracy: float
    baseline_random: float  # expected accuracy of guessing uniformly: 1 / C
    baseline_most_frequent: float  # accuracy of always answering the most frequent class

    @property
    def macro_f1(self) -> float:
        return float(self.f1.mean()) if self.f1.size else 0.0


def class_scores(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(labels [n] int, probabilities [n, C])`` from a classifier's targets and outputs, or
    None when they do not look like classification (e.g. regression targets).

    Targets may be class ids or one-hot rows; outputs softmax rows, logits (rows turned into
    probabilities with a softmax), or one sigmoid unit (or logit) for two classes.
    """
    y_true = np.asarray(y_true)
    out = np.asarray(y_pred, np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or len(out) != len(y_true) or len(out) == 0:
        return None
    if y_true.ndim == 2 and y_true.shape[1] == out.shape[1] > 1:
        if not np.all((y_true == 0) | (y_true == 1)):
            return None
        labels = y_true.argmax(axis=1)
    else:
        flat = y_true.reshape(len(y_true), -1)
        if flat.shape[1] != 1 or not np.all(np.equal(np.mod(flat, 1), 0)):
            return None
        labels = flat[:, 0].astype(np.int64)
    if out.shape[1] == 1:
        p = out[:, 0]
        if p.min() < 0 or p.max() > 1:
            p = 1.0 / (1.0 + np.exp(-p))
        probs = np.stack([1 - p, p], axis=1)
    else:
        probs = out
        if probs.min() < 0 or probs.max() > 1 or not np.allclose(probs.sum(axis=1), 1, atol=1e-3):
            z = np.exp(probs - probs.max(axis=1, keepdims=True))
            probs = z / z.sum(axis=1, keepdims=True)
    if labels.min() < 0 or labels.max() >= probs.shape[1]:
        return None
    return labels, probs


def classification_report(labels: np.ndarray, predicted: np.ndarray,
                          num_classes: int) -> ClassificationReport:
    """Scores of ``predicted`` class ids against true ``labels``. A class never predicted
    has precision 0; one never present has recall 0 (as scikit-learn's zero_division=0)."""
    labels = np.asarray(labels, np.int64)
    predicted = np.asarray(predicted, np.int64)
    cm = np.bincount(labels * num_classes + predicted, minlength=num_classes * num_classes)
    cm = cm.reshape(num_classes, num_classes)
    tp = np.diag(cm).astype(np.float64)
    predicted_count = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = np.divide(tp, predicted_count, out=np.zeros_like(tp), where=predicted_count > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
    n = max(len(labels), 1)
    return ClassificationReport(
        confusion=cm, precision=precision, recall=recall, f1=f1, support=support,
        accuracy=float(tp.sum() / n), baseline_random=1.0 / num_classes,
        baseline_most_frequent=float(support.max() / n) if len(labels) else 0.0,
    )


def class_tag_names(num_classes: int, class_names=None) -> list[str]:
    """Names usable in tags: the given class names (slashes replaced), else the class ids."""
    names = [str(c) for c in class_names] if class_names is not None else []
    if len(names) != num_classes:
        names = [str(i) for i in range(num_classes)]
    return [n.replace("/", "_").strip() or str(i) for i, n in enumerate(names)]


def log_probe_predictions(writer, y_true, y_pred, step: int, class_names=None, *,
                          output: str | None = None) -> bool:
    """Each probe's true class, predicted class and confidence (a PREDICTIONS tensor,
    ``evaluation/probe_predictions``, per output as ``output_tag``), in probe order, so
    that misclassified probes can be shown beside ``probe/inputs``. Returns False (nothing
    written) when the data is not classification."""
    scores = class_scores(y_true, y_pred)
    if scores is None:
        return False
    labels, probs = scores
    names = class_tag_names(probs.shape[1], class_names)
    predictions.write(writer, labels, probs.argmax(axis=1), probs.max(axis=1), step,
                      labels=names, tag=output_tag(predictions.TAG, output))
    return True


def log_evaluation(writer, y_true, y_pred, step: int, class_names=None, *, pr_curves: bool = True,
                   num_thresholds: int = 201, max_class_tags: int = 50,
                   output: str | None = None) -> ClassificationReport | None:
    """Evaluate a classifier's outputs ``y_pred`` against ``y_true`` and write, at ``step``:
    the confusion matrix (CONFUSION tensor and an image), accuracy and both baselines,
    macro F-score and, for the first ``max_class_tags`` classes (a character model has a
    hundred), per-class precision, recall and F-score and (``pr_curves``) one PR curve per
    class against the rest. ``output`` names one output of a multi-output model: its tags
    are ``evaluation/<output>/...`` (``output_tag``). Returns the report, or None (nothing
    written) when the data is not classification."""
    scores = class_scores(y_true, y_pred)
    if scores is None:
        return None
    tag = lambda t: output_tag(t, output)  # noqa: E731
    labels, probs = scores
    num_classes = probs.shape[1]
    report = classification_report(labels, probs.argmax(axis=1), num_classes)
    names = class_tag_names(num_classes, class_names)
    confusion.write(writer, tag(P.TAG_CONFUSION), report.confusion, step, labels=names,
                    description="rows: true class, columns: predicted class")
    writer.image(tag(P.TAG_CONFUSION_IMAGE), confusion_image(report.confusion), step,
                 description="row share: each row reads as its class's recall")
    writer.scalar(tag(P.TAG_ACCURACY), report.accuracy, step)
    writer.scalar(tag(P.TAG_BASELINE_RANDOM), report.baseline_random, step)
    writer.scalar(tag(P.TAG_BASELINE_MOST_FREQUENT), report.baseline_most_frequent, step)
    writer.scalar(tag(P.TAG_MACRO_F1), report.macro_f1, step)
    for c, name in enumerate(names[:max_class_tags]):
        writer.scalar(tag(P.TAG_PRECISION + name), report.precision[c], step)
        writer.scalar(tag(P.TAG_RECALL + name), report.recall[c], step)
        writer.scalar(tag(P.TAG_F1 + name), report.f1[c], step)
        if pr_curves:
            writer.pr_curve(tag(P.TAG_PR_CURVE + name), labels == c,
                            np.clip(probs[:, c], 0, 1), step, num_thresholds=num_thresholds)
    return report
