"""Embeddings: one vector per sample (probe inputs, a code layer), with class ids beside.

Written by ``inspector.model_logger.ModelLogger.log_embeddings``; read by the projector view.

- tag: ``embeddings/<layer path>`` (``plugins.TAG_EMBEDDINGS``), the class ids under
  ``<tag>/labels`` (plugin ``inspector_embedding_labels``, int32 ``[n]``; a plain tensor).
- tensor: float16 ``[n, d]``.
- store value (``Kind.EMBEDDINGS``): float32 ``[n, d]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.kinds import Kind, KindSpec, json_content, parse_json_content, register

PLUGIN_NAME = "inspector_embeddings"
LABELS_PLUGIN_NAME = "inspector_embedding_labels"
KIND = Kind.EMBEDDINGS
TAG_PREFIX = "embeddings/"
LABELS_SUFFIX = "/labels"


@dataclass(frozen=True)
class EmbeddingsMetadata:
    """``layer``: the layer the vectors come from; ``labels_tag``: the tag of the class ids
    ("" when the samples have none); ``label_names``: class names by id."""

    layer: str = ""
    labels_tag: str = ""
    label_names: tuple[str, ...] = ()

    def to_content(self) -> bytes:
        return json_content(self)

    @classmethod
    def parse(cls, content: bytes) -> EmbeddingsMetadata:
        return parse_json_content(cls, content)


def write(writer, layer: str, vectors, step: int, *, labels=None, label_names=(),
          wall_time: float | None = None) -> str:
    """Write ``vectors`` (one row per sample, flattened to ``[n, d]``) of ``layer`` and, when
    given, the samples' integer class ids ``labels`` (``[n]``). Returns the vectors' tag.
    Raises ``ValueError`` when ``labels`` does not hold one id per vector."""
    v = np.asarray(vectors, np.float32)
    v = v.reshape(len(v), -1)
    tag = TAG_PREFIX + layer
    labels_tag = ""
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(v):
            raise ValueError(f"{len(labels)} labels for {len(v)} vectors")
        labels_tag = tag + LABELS_SUFFIX
    meta = EmbeddingsMetadata(layer=layer, labels_tag=labels_tag,
                              label_names=tuple(str(n) for n in label_names))
    writer.tensor(tag, v.astype(np.float16), step, plugin_name=PLUGIN_NAME,
                  plugin_content=meta.to_content(), wall_time=wall_time)
    if labels is not None:
        writer.tensor(labels_tag, labels.astype(np.int32), step,
                      plugin_name=LABELS_PLUGIN_NAME, wall_time=wall_time)
    return tag


def decode(array: np.ndarray, meta: EmbeddingsMetadata | None) -> np.ndarray:
    """The vectors as float32 ``[n, d]``."""
    a = np.asarray(array, np.float32)
    return a.reshape(len(a), -1) if a.ndim != 2 else a


SPEC = register(KindSpec(KIND, PLUGIN_NAME, EmbeddingsMetadata.parse, decode))
