"""Feature maps: a layer's outputs on the first few probe inputs at one step.

Written by the hook (``inspector.layer_summaries.log_layer_outputs``) for conv, pooling, dense
and recurrent layers; read by the activations view, which shows the probe inputs beside
(``probe/inputs``, named by ``inputs_tag``).

- tag: ``feature_maps/<layer path>`` (``plugins.TAG_FEATURE_MAPS``)
- tensor: float16 ``[probes, h, w, channels]`` (2-D conv/pooling), ``[probes, steps,
  channels]`` (1-D conv, recurrent sequences), ``[probes, units]`` (dense); channels beyond a
  size budget are cut, ``channels`` keeps the layer's full count.
- recurrent layers (SimpleRNN, GRU, LSTM): ``feature_maps/<layer path>`` holds the hidden
  state at every step of the probe sequences, ``[probes, steps, units]``, whether or not the
  layer returns sequences; beside it, same shape, the LSTM's gate activations
  ``feature_maps/<layer path>/gates/input``, ``.../gates/forget``, ``.../gates/output``
  (0..1) and its cell state ``.../cell``, the GRU's ``.../gates/update`` and
  ``.../gates/reset``; ``layer`` in their metadata is the recurrent layer's path
  (``inspector.recurrent`` replays them from the layer's weights).
- store value (``Kind.ACTIVATIONS``): that array as float32, same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.kinds import Kind, KindSpec, json_content, parse_json_content, register

PLUGIN_NAME = "inspector_activations"
KIND = Kind.ACTIVATIONS
TAG_PREFIX = "feature_maps/"


@dataclass(frozen=True)
class ActivationsMetadata:
    """``layer``: the layer's path; ``shape``: the logged shape; ``probe_index``: index of the
    first probe in the tensor within the probe batch; ``inputs_tag``: the tag of the probe
    inputs; ``channels``: the layer's full channel count (0: not recorded)."""

    layer: str
    shape: tuple[int, ...] = ()
    probe_index: int = 0
    inputs_tag: str = "probe/inputs"
    channels: int = 0

    def to_content(self) -> bytes:
        return json_content(self)

    @classmethod
    def parse(cls, content: bytes) -> ActivationsMetadata:
        return parse_json_content(cls, content)


def write(writer, layer: str, maps, step: int, *, channels: int = 0, probe_index: int = 0,
          inputs_tag: str = "probe/inputs", tag: str | None = None,
          wall_time: float | None = None) -> str:
    """Write ``maps`` (``[probes, ...]``) of ``layer`` at ``step``. Returns the tag
    (``feature_maps/<layer>`` unless ``tag`` is given)."""
    m = np.asarray(maps, np.float32)
    meta = ActivationsMetadata(layer=layer, shape=tuple(int(d) for d in m.shape),
                               probe_index=probe_index, inputs_tag=inputs_tag,
                               channels=int(channels or (m.shape[-1] if m.ndim else 0)))
    tag = tag or TAG_PREFIX + layer
    writer.tensor(tag, m.astype(np.float16), step, plugin_name=PLUGIN_NAME,
                  plugin_content=meta.to_content(), wall_time=wall_time)
    return tag


def decode(array: np.ndarray, meta: ActivationsMetadata | None) -> np.ndarray:
    """The maps as float32, in the shape they were written."""
    return np.asarray(array, np.float32)


SPEC = register(KindSpec(KIND, PLUGIN_NAME, ActivationsMetadata.parse, decode))
