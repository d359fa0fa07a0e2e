"""Decoding of Event payloads into typed items, for every summary form TensorBoard reads.

Works on bytes only (no files, no TensorFlow). Plain scalar events never reach this module:
the compiled scanner pulls them out; everything else (histograms, images, text, tensors,
graphs, hparams, legacy TF1 forms, and any record the scanner did not fully understand) is
parsed here with protobuf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from inspector.events import plugins as P
from inspector.events.proto import event_pb2, plugins_pb2, summary_pb2, tensor_pb2
from inspector.events.tensors import TensorDecodeError, check_tensor, to_numpy
from inspector.kinds import Kind, KindMetadataError, for_plugin


@dataclass(slots=True)
class Item:
    """One decoded value: a point of one series (``kind``, ``tag``) at ``step``."""

    kind: str
    tag: str
    step: int
    wall_time: float
    value: Any
    record_offset: int = 0


@dataclass(slots=True)
class TagInfo:
    """What the first metadata seen for a tag says (later events may omit it). For one of
    Inspector's own kinds (``inspector.kinds``), ``metadata`` is its parsed metadata dataclass
    (e.g. ``KernelsMetadata``); otherwise None."""

    plugin: str
    content: bytes = b""
    display_name: str = ""
    description: str = ""
    metadata: Any = None


@dataclass(slots=True)
class ImageValue:
    width: int
    height: int
    encoded: list[bytes] = field(default_factory=list)


@dataclass(slots=True)
class Decoded:
    """What one Event held: its items, and what the store needs to find restarts (the event's
    step and wall time, whether it is a ``SessionLog.START``)."""

    items: list[Item]
    file_version: str | None = None
    errors: list[str] = field(default_factory=list)
    step: int = 0
    wall_time: float = 0.0
    session_start: bool = False


class Deferred:
    """A value decoded on first use: the tensor of a histogram, PR curve or generic tensor,
    already checked (``check_tensor``) so that decoding it later cannot fail. Indexing a
    logdir then costs a protobuf parse per event, not a numpy conversion."""

    __slots__ = ("_proto", "_convert", "_value")

    def __init__(self, proto, convert) -> None:
        self._proto, self._convert, self._value = proto, convert, None

    def resolve(self) -> Any:
        """The decoded value (computed once)."""
        if self._proto is not None:
            proto = self._proto
            if isinstance(proto, bytes):  # indexed by the scanner, never parsed yet
                proto = tensor_pb2.TensorProto.FromString(proto)
            self._value = self._convert(to_numpy(proto))
            self._proto = self._convert = None
        return self._value


class UndecodableEvent(ValueError):
    """A CRC-valid record whose bytes are not an Event."""


def decode_event(payload: bytes, tag_info: dict[str, TagInfo], record_offset: int = 0,
                 by_plugin: dict[tuple[str, str], TagInfo] | None = None) -> Decoded:
    """Decode one Event. ``tag_info`` maps each tag to its *first* metadata (what decides the
    kind of a later value that carries none, as TF1's FileWriter writes); ``by_plugin`` keeps
    the latest metadata per (tag, plugin), so a value that carries its own metadata is decoded
    as that metadata says (a scalar and a histogram may share a tag). New tags are added to
    both. Raises ``UndecodableEvent`` when the bytes are not an Event."""
    event = event_pb2.Event()
    try:
        event.ParseFromString(payload)
    except (DecodeError, RuntimeError) as err:
        raise UndecodableEvent(str(err)) from None
    step, wall = int(event.step), float(event.wall_time)
    out = Decoded(items=[], step=step, wall_time=wall)
    by_plugin = {} if by_plugin is None else by_plugin
    what = event.WhichOneof("what")
    if what == "file_version":
        out.file_version = event.file_version
    elif what == "session_log":
        out.session_start = event.session_log.status == event_pb2.SessionLog.START
    elif what == "graph_def":
        out.items.append(Item(P.KIND_GRAPHS, "", step, wall, bytes(event.graph_def), record_offset))
    elif what == "tagged_run_metadata":
        tag = event.tagged_run_metadata.tag
        tag_info.setdefault(tag, TagInfo(P.GRAPH_RUN_METADATA))
        out.items.append(Item(P.KIND_RUN_METADATA, tag, step, wall,
                              bytes(event.tagged_run_metadata.run_metadata), record_offset))
    elif what == "summary":
        for value in event.summary.value:
            try:
                item = _decode_value(value, step, wall, tag_info, by_plugin)
            except (TensorDecodeError, DecodeError, ValueError) as err:
                out.errors.append(f"tag {value.tag!r} at step {step}: {err}")
                continue
            if item is not None:
                item.record_offset = record_offset
                out.items.append(item)
    return out


def _remember(tag: str, value: summary_pb2.Summary.Value, tag_info: dict[str, TagInfo],
              by_plugin: dict[tuple[str, str], TagInfo]) -> TagInfo:
    """The metadata that decides this value's kind: its own when it carries some (parsed once
    per tag, plugin and content), else the tag's first."""
    meta = value.metadata if value.HasField("metadata") else None
    plugin = meta.plugin_data.plugin_name if meta is not None else ""
    if not plugin:
        return tag_info.get(tag) or TagInfo("")
    content = meta.plugin_data.content
    info = by_plugin.get((tag, plugin))
    if info is None or info.content != content:
        info = TagInfo(plugin=plugin, content=bytes(content), display_name=meta.display_name,
                       description=meta.summary_description)
        by_plugin[(tag, plugin)] = info
    tag_info.setdefault(tag, info)
    return info


def _decode_value(value, step: int, wall: float, tag_info: dict[str, TagInfo],
                  by_plugin: dict[tuple[str, str], TagInfo]) -> Item | None:
    tag = value.tag or value.node_name
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        tag_info.setdefault(tag, TagInfo(P.SCALARS))
        return Item(P.KIND_SCALARS, tag, step, wall, float(value.simple_value))
    if kind == "histo":
        tag_info.setdefault(tag, TagInfo(P.HISTOGRAMS))
        return Item(P.KIND_HISTOGRAMS, tag, step, wall, legacy_histogram_buckets(value.histo))
    if kind == "image":
        tag_info.setdefault(tag, TagInfo(P.IMAGES))
        img = value.image
        return Item(P.KIND_IMAGES, tag, step, wall,
                    ImageValue(img.width, img.height, [bytes(img.encoded_image_string)]))
    if kind == "audio":
        tag_info.setdefault(tag, TagInfo(P.AUDIO))
        return Item(P.KIND_AUDIO, tag, step, wall, [bytes(value.audio.encoded_audio_string)])
    if kind is None and value.metadata.plugin_data.plugin_name == P.HPARAMS:
        kind = "tensor"  # tensorboardX and PyTorch put hparams in the metadata alone
    if kind != "tensor":
        return None
    info = _remember(tag, value, tag_info, by_plugin)
    return _decode_tensor(tag, info, value.tensor, step, wall)


# Inspector's own kinds whose decode only converts the dtype of a non-empty numeric tensor
# (it cannot fail once ``check_tensor`` passed), so it may wait until the value is shown.
_CONVERSION_ONLY = (Kind.KERNELS, Kind.ACTIVATIONS, Kind.EMBEDDINGS)


def _histogram_buckets(array: np.ndarray) -> np.ndarray:
    buckets = np.asarray(array, dtype=np.float64)
    return buckets.reshape(0, 3) if buckets.size == 0 else buckets


def indexed_route(plugin: str, info: TagInfo, rank: int, dim1: int,
                  elements: int) -> tuple[Kind, Any] | None:
    """(kind, conversion) of a tensor the scanner indexed without decoding (numeric, its
    shape matching its content), when its plugin lets the value wait until it is shown; None
    when the event must go through ``decode_event`` (which also reports what is wrong)."""
    if plugin == P.HISTOGRAMS:
        if elements and (rank != 2 or dim1 != 3):
            return None
        return Kind.HISTOGRAMS, _histogram_buckets
    if plugin == P.PR_CURVES:
        return Kind.PR_CURVES, _as_is
    spec = for_plugin(plugin)
    if spec is not None:
        if spec.kind not in _CONVERSION_ONLY or not elements or info.metadata is None:
            return None
        meta, decode = info.metadata, spec.decode
        return spec.kind, lambda a: decode(a, meta)
    if plugin and plugin not in P.PLUGIN_KIND:
        return Kind.TENSORS, _as_is
    return None


def _deferrable(proto) -> tuple[int, ...] | None:
    """The shape of a numeric tensor whose decoding can wait, or None."""
    if proto.dtype in (tensor_pb2.DT_STRING, tensor_pb2.DT_BFLOAT16):
        return None
    return check_tensor(proto)


def _decode_tensor(tag: str, info: TagInfo, proto, step: int, wall: float) -> Item | None:
    plugin = info.plugin
    if plugin == P.HPARAMS:
        return Item(P.KIND_HPARAMS, tag, step, wall, parse_hparams(info.content))
    kind = P.PLUGIN_KIND.get(plugin, P.KIND_TENSORS)
    if plugin in (P.HISTOGRAMS, P.PR_CURVES) or (kind == P.KIND_TENSORS and
                                                  for_plugin(plugin) is None):
        shape = _deferrable(proto)
        if shape is not None:
            size = math.prod(shape)
            if plugin == P.HISTOGRAMS:
                if size and (len(shape) != 2 or shape[1] != 3):
                    raise ValueError(f"histogram tensor has shape {shape}, expected [k, 3]")
                return Item(kind, tag, step, wall, Deferred(proto, _histogram_buckets))
            return Item(kind, tag, step, wall, Deferred(proto, _as_is))
    spec = for_plugin(plugin)
    if spec is not None and spec.kind in _CONVERSION_ONLY:
        shape = _deferrable(proto)
        if shape and math.prod(shape):
            if info.metadata is None:
                try:
                    info.metadata = spec.parse_metadata(info.content)
                except KindMetadataError as err:
                    raise ValueError(str(err)) from None
            meta, decode = info.metadata, spec.decode
            return Item(spec.kind, tag, step, wall,
                        Deferred(proto, lambda a: decode(a, meta)))
    if plugin == P.IMAGES and proto.dtype == tensor_pb2.DT_STRING:
        shape = check_tensor(proto)
        flat = list(proto.string_val)
        if len(flat) == math.prod(shape):
            if len(flat) < 2:
                raise ValueError("image tensor needs width, height and at least zero images")
            return Item(P.KIND_IMAGES, tag, step, wall,
                        ImageValue(_int(flat[0]), _int(flat[1]), flat[2:]))
    array = to_numpy(proto)
    if plugin == P.SCALARS:
        if array.size != 1:
            raise ValueError(f"scalar summary holds {array.size} values")
        return Item(P.KIND_SCALARS, tag, step, wall, float(array.reshape(-1)[0]))
    if plugin == P.HISTOGRAMS:
        buckets = np.asarray(array, dtype=np.float64)
        if buckets.size == 0:
            buckets = buckets.reshape(0, 3)
        if buckets.ndim != 2 or buckets.shape[1] != 3:
            raise ValueError(f"histogram tensor has shape {array.shape}, expected [k, 3]")
        return Item(P.KIND_HISTOGRAMS, tag, step, wall, buckets)
    if plugin == P.IMAGES:
        flat = list(array.reshape(-1))
        if len(flat) < 2:
            raise ValueError("image tensor needs width, height and at least zero images")
        return Item(P.KIND_IMAGES, tag, step, wall,
                    ImageValue(_int(flat[0]), _int(flat[1]), [bytes(b) for b in flat[2:]]))
    if plugin == P.AUDIO:
        # [k, 2] string tensor: encoded audio and label per clip.
        clips = [bytes(b) for b in array.reshape(-1, array.shape[-1])[:, 0]] if array.size else []
        return Item(P.KIND_AUDIO, tag, step, wall, clips)
    if plugin == P.TEXT:
        return Item(P.KIND_TEXT, tag, step, wall, _as_text(array))
    if plugin == P.GRAPH_KERAS_MODEL:
        text = _as_text(array).reshape(-1)
        return Item(P.KIND_KERAS_MODEL, tag, step, wall, str(text[0]) if text.size else "")
    if plugin in (P.GRAPH_RUN_METADATA, P.GRAPH_RUN_METADATA_GRAPH):
        # tf.summary.trace_export: a string tensor holding a serialized RunMetadata.
        flat = array.reshape(-1)
        return Item(P.KIND_RUN_METADATA, tag, step, wall, bytes(flat[0]) if flat.size else b"")
    spec = for_plugin(plugin)
    if spec is not None:
        if info.metadata is None:
            try:
                info.metadata = spec.parse_metadata(info.content)
            except KindMetadataError as err:
                raise ValueError(str(err)) from None
        return Item(spec.kind, tag, step, wall, spec.decode(array, info.metadata))
    return Item(P.PLUGIN_KIND.get(plugin, P.KIND_TENSORS), tag, step, wall, array)


def _as_is(array: np.ndarray) -> np.ndarray:
    return array


def _int(b) -> int:
    try:
        return int(b)
    except (TypeError, ValueError):
        return 0


def _as_text(array: np.ndarray) -> np.ndarray:
    """String tensors hold bytes; decode them as utf-8 (replacing what is not)."""
    if array.dtype != object:
        return array.astype(str)
    flat = [b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)
            for b in array.reshape(-1)]
    return np.array(flat, dtype=object).reshape(array.shape)


def legacy_histogram_buckets(histo: summary_pb2.HistogramProto) -> np.ndarray:
    """A TF1 HistogramProto as [k, 3] (left, right, count), the way TensorBoard converts it:
    empty buckets at both ends are dropped (their limits may be +-DBL_MAX), and the outer
    edges become the recorded min and max."""
    counts = list(histo.bucket)
    limits = list(histo.bucket_limit)
    n = min(len(counts), len(limits))
    counts, limits = counts[:n], limits[:n]
    nonzero = [i for i, c in enumerate(counts) if c > 0]
    if not nonzero:
        return np.zeros((0, 3))
    start, end = nonzero[0], nonzero[-1]
    inner = limits[start:end]
    lefts = [histo.min] + inner
    rights = inner + [histo.max]
    return np.array([lefts, rights, counts[start : end + 1]], dtype=np.float64).T.copy()


def parse_hparams(content: bytes) -> dict:
    """The hparams plugin's data: {"experiment"|"session_start"|"session_end": {...}}."""
    data = plugins_pb2.HParamsPluginData()
    data.ParseFromString(content)
    which = data.WhichOneof("data")
    if which == "session_start_info":
        info = data.session_start_info
        values = {}
        for name, v in info.hparams.items():
            k = v.WhichOneof("kind")
            values[name] = {"number_value": v.number_value, "string_value": v.string_value,
                            "bool_value": v.bool_value}.get(k)
        return {"session_start": {"hparams": values, "group_name": info.group_name,
                                  "start_time_secs": info.start_time_secs}}
    if which == "experiment":
        exp = data.experiment
        return {"experiment": {
            "hparams": [h.name for h in exp.hparam_infos],
            "metrics": [m.name.tag for m in exp.metric_infos],
        }}
    if which == "session_end_info":
        return {"session_end": {"status": data.session_end_info.status,
                                "end_time_secs": data.session_end_info.end_time_secs}}
    return {}
