"""Probe predictions: for each probe input, its true class, the predicted class and the
model's confidence, at one evaluation step; what lets the evaluation view show which probe
examples were misclassified (click a confusion cell).

Written by the hook beside the confusion matrix; the probe inputs themselves are the probe
summaries (``probe/inputs``, named by ``inputs_tag``), in the same order.

- tag: ``evaluation/probe_predictions`` (``TAG``)
- tensor: float32 ``[probes, 3]``: columns true class id, predicted class id, confidence
  (the predicted class's probability, 0..1).
- store value (``Kind.PREDICTIONS``): ``ProbePredictions`` (int64 ``true`` and ``predicted``,
  float32 ``confidence``, each ``[probes]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.kinds import Kind, KindSpec, json_content, parse_json_content, register

PLUGIN_NAME = "inspector_predictions"
KIND = Kind.PREDICTIONS
TAG = "evaluation/probe_predictions"


@dataclass(frozen=True)
class PredictionsMetadata:
    """``labels``: class names by id; ``inputs_tag``: the tag of the probe inputs."""

    labels: tuple[str, ...] = ()
    inputs_tag: str = "probe/inputs"

    def to_content(self) -> bytes:
        return json_content(self)

    @classmethod
    def parse(cls, content: bytes) -> PredictionsMetadata:
        return parse_json_content(cls, content)


@dataclass(frozen=True)
class ProbePredictions:
    true: np.ndarray  # int64 [probes]
    predicted: np.ndarray  # int64 [probes]
    confidence: np.ndarray  # float32 [probes], 0..1

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of the probes whose predicted class is not the true one."""
        return np.flatnonzero(self.true != self.predicted)


def write(writer, true, predicted, confidence, step: int, *, labels=(),
          inputs_tag: str = "probe/inputs", tag: str = TAG,
          wall_time: float | None = None) -> str:
    """Write one row per probe. Raises ``ValueError`` when the three arrays differ in length."""
    t, p, c = (np.asarray(a).reshape(-1) for a in (true, predicted, confidence))
    if not len(t) == len(p) == len(c):
        raise ValueError(f"{len(t)} true, {len(p)} predicted, {len(c)} confidences")
    table = np.stack([t, p, c]).T.astype(np.float32)
    meta = PredictionsMetadata(labels=tuple(str(x) for x in labels), inputs_tag=inputs_tag)
    writer.tensor(tag, table, step, plugin_name=PLUGIN_NAME, plugin_content=meta.to_content(),
                  wall_time=wall_time)
    return tag


def decode(array: np.ndarray, meta: PredictionsMetadata | None) -> ProbePredictions:
    """Raises ``ValueError`` unless the tensor is ``[probes, 3]``."""
    a = np.asarray(array, np.float32)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"probe predictions tensor has shape {a.shape}, expected [n, 3]")
    return ProbePredictions(a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2].copy())


SPEC = register(KindSpec(KIND, PLUGIN_NAME, PredictionsMetadata.parse, decode))
