"""Feature visualizations: for each of a layer's filters, the input that maximises the filter's
mean activation (regularised gradient ascent from noise, ``inspector.feature_vis``).

Written by the hook every ``feature_vis_freq`` epochs for ``feature_vis_layers``, and by
``inspector visualize`` on a saved model; read by the kernels view, which draws them beside the
kernels of the same layer. A picture of them is written beside (``feature_vis/<layer>/grid``)
for TensorBoard.

- tag: ``feature_vis/<layer path>``
- tensor: float16 ``[filters, h, w, channels]`` in the model's input space (same scale as
  its inputs; not clipped), one image per visualized filter.
- store value (``Kind.FEATURE_VIS``): that array as float32, same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.kinds import Kind, KindSpec, json_content, parse_json_content, register

PLUGIN_NAME = "inspector_feature_vis"
KIND = Kind.FEATURE_VIS
TAG_PREFIX = "feature_vis/"


@dataclass(frozen=True)
class FeatureVisMetadata:
    """``layer``: the layer's path; ``shape``: the logged shape; ``filters``: the filter (or
    unit) index of each image; ``iterations``: gradient-ascent steps; ``objective``: what was
    maximised."""

    layer: str
    shape: tuple[int, ...] = ()
    filters: tuple[int, ...] = ()
    iterations: int = 0
    objective: str = "mean activation"

    def to_content(self) -> bytes:
        return json_content(self)

    @classmethod
    def parse(cls, content: bytes) -> FeatureVisMetadata:
        return parse_json_content(cls, content)


def write(writer, layer: str, images, step: int, *, filters=None, iterations: int = 0,
          wall_time: float | None = None) -> str:
    """Write ``images`` (``[filters, h, w, channels]``) of ``layer`` at ``step``; ``filters``
    defaults to 0..n-1. Returns the tag."""
    a = np.asarray(images, np.float32)
    chosen = tuple(int(f) for f in (range(len(a)) if filters is None else filters))
    meta = FeatureVisMetadata(layer=layer, shape=tuple(int(d) for d in a.shape),
                              filters=chosen, iterations=int(iterations))
    tag = TAG_PREFIX + layer
    writer.tensor(tag, a.astype(np.float16), step, plugin_name=PLUGIN_NAME,
                  plugin_content=meta.to_content(), wall_time=wall_time)
    return tag


def decode(array: np.ndarray, meta: FeatureVisMetadata | None) -> np.ndarray:
    """The images as float32, in the shape they were written."""
    return np.asarray(array, np.float32)


SPEC = register(KindSpec(KIND, PLUGIN_NAME, FeatureVisMetadata.parse, decode))
