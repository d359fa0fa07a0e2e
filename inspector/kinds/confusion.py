"""Confusion matrices: counts of (true class, predicted class) on the evaluation data.

Written by ``inspector.evaluation.log_classification`` (the hook, the trainers); read by the
evaluation view. The hook writes a picture beside it for TensorBoard users.

- tag: ``evaluation/confusion_matrix`` (``plugins.TAG_CONFUSION``)
- tensor: int32 ``[classes, classes]``, rows the true class, columns the predicted one.
- store value (``Kind.CONFUSION``): that matrix as int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.kinds import Kind, KindSpec, json_content, parse_json_content, register

PLUGIN_NAME = "inspector_confusion"
KIND = Kind.CONFUSION


@dataclass(frozen=True)
class ConfusionMetadata:
    """``labels``: the class names, in row (and column) order."""

    labels: tuple[str, ...] = ()

    def to_content(self) -> bytes:
        return json_content(self)

    @classmethod
    def parse(cls, content: bytes) -> ConfusionMetadata:
        return parse_json_content(cls, content)


def write(writer, tag: str, matrix, step: int, *, labels=(), description: str | None = None,
          wall_time: float | None = None) -> str:
    """Write the ``[classes, classes]`` count ``matrix`` under ``tag``. Raises ``ValueError``
    for a matrix that is not square or whose ``labels`` do not match its size."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {m.shape}")
    if labels and len(labels) != m.shape[0]:
        raise ValueError(f"{len(labels)} class names for {m.shape[0]} classes")
    meta = ConfusionMetadata(labels=tuple(str(x) for x in labels))
    writer.tensor(tag, m.astype(np.int32), step, plugin_name=PLUGIN_NAME,
                  plugin_content=meta.to_content(), description=description,
                  wall_time=wall_time)
    return tag


def decode(array: np.ndarray, meta: ConfusionMetadata | None) -> np.ndarray:
    """The matrix as int64 ``[classes, classes]``. Raises ``ValueError`` if not square."""
    m = np.asarray(array, np.int64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"confusion tensor has shape {m.shape}, expected square")
    return m


SPEC = register(KindSpec(KIND, PLUGIN_NAME, ConfusionMetadata.parse, decode))
