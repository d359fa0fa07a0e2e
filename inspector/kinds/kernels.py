"""Raw kernels: the learned weights of a conv or dense layer at one step, every channel.

Written by the hook (``inspector.layer_summaries.log_kernels``) and by custom loops (the
perceptron); read by the kernels view. TensorBoard loads the tensor but shows it nowhere, so
the hook writes a picture beside it (``kernels/<layer>/grid``).

- tag: ``kernels/<layer path>`` (``plugins.TAG_KERNELS``)
- tensor: float16, ``[kh, kw, in, out]`` for a 2-D conv (Keras' layout), ``[k, in, out]`` for
  a 1-D conv, ``[in, out]`` for a dense layer.
- store value (``Kind.KERNELS``): that array as float32, same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.kinds import Kind, KindSpec, json_content, parse_json_content, register

PLUGIN_NAME = "inspector_kernels"
KIND = Kind.KERNELS
TAG_PREFIX = "kernels/"


@dataclass(frozen=True)
class KernelsMetadata:
    """``layer``: the layer's path in the model (``conv1``, ``base/conv2``); ``shape``: the
    kernel's shape as logged; ``dtype``: the stored dtype."""

    layer: str
    shape: tuple[int, ...] = ()
    dtype: str = "float16"

    def to_content(self) -> bytes:
        return json_content(self)

    @classmethod
    def parse(cls, content: bytes) -> KernelsMetadata:
        return parse_json_content(cls, content)


def write(writer, layer: str, kernel, step: int, *, wall_time: float | None = None) -> str:
    """Write ``kernel`` (any float array in one of the layouts above) of ``layer`` at ``step``
    with ``writer`` (an ``inspector.summary.SummaryWriter``). Returns the tag."""
    k = np.asarray(kernel, np.float32)
    meta = KernelsMetadata(layer=layer, shape=tuple(int(d) for d in k.shape))
    tag = TAG_PREFIX + layer
    writer.tensor(tag, k.astype(np.float16), step, plugin_name=PLUGIN_NAME,
                  plugin_content=meta.to_content(), wall_time=wall_time)
    return tag


def decode(array: np.ndarray, meta: KernelsMetadata | None) -> np.ndarray:
    """The kernel as float32, in the shape it was written."""
    return np.asarray(array, np.float32)


SPEC = register(KindSpec(KIND, PLUGIN_NAME, KernelsMetadata.parse, decode))
