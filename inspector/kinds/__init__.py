"""Summary kinds: what the store keeps, and one module per kind that Inspector itself defines.

``Kind`` names every kind of series the store keeps (a decoded value is exactly one of them).
TensorBoard's standard kinds (scalars, histograms, images, text, audio, PR curves, hparams,
graphs) are written by ``inspector.summary_forms`` and decoded by ``inspector.events.decode``,
as TensorBoard defines them. Inspector's own kinds are plain tensors with JSON metadata; each
has one module here, as TensorBoard keeps a plugin in one folder, holding side by side:

- ``PLUGIN_NAME`` and ``KIND``: the plugin name in the event file and the store's kind;
- a frozen metadata dataclass with ``to_content() -> bytes`` and ``parse(bytes)``;
- ``write(writer, ...)``: the write form (the only place that builds its metadata);
- ``decode(array, metadata) -> value``: the store's value for one step, its shape and dtype
  documented in the module;
- ``SPEC = register(KindSpec(...))``, which ``inspector.events.decode`` looks up by plugin name.

A new kind is one new module in this package: it is imported (and so registered) by
``load_all()``, which the decoder calls once. Never imports TensorFlow.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any, TypeVar

import numpy as np


class Kind(str, Enum):
    """The kinds of series the store keeps. A ``str`` enum: ``Kind.SCALARS == "scalars"``."""

    SCALARS = "scalars"  # float64 value per step (columns in the store)
    HISTOGRAMS = "histograms"  # float64 [k, 3]: left edge, right edge, count per bucket
    IMAGES = "images"  # events.decode.ImageValue: width, height, encoded PNG/JPEG bytes
    AUDIO = "audio"  # list[bytes]: encoded clips
    TEXT = "text"  # object/str ndarray of any shape
    TENSORS = "tensors"  # ndarray as written (plugins the store does not know)
    PR_CURVES = "pr_curves"  # float [6, thresholds]: TP, FP, TN, FN, precision, recall
    HPARAMS = "hparams"  # dict parsed from the hparams plugin's data
    GRAPHS = "graphs"  # bytes: a serialized GraphDef (Event.graph_def)
    KERAS_MODEL = "keras_model"  # str: a Keras model's JSON
    RUN_METADATA = "run_metadata"  # bytes: a serialized RunMetadata (trace_export)
    KERNELS = "kernels"  # see inspector.kinds.kernels
    ACTIVATIONS = "activations"  # see inspector.kinds.activations
    CONFUSION = "confusion"  # see inspector.kinds.confusion
    EMBEDDINGS = "embeddings"  # see inspector.kinds.embeddings
    PREDICTIONS = "predictions"  # see inspector.kinds.predictions
    FEATURE_VIS = "feature_vis"  # see inspector.kinds.feature_vis

    def __str__(self) -> str:
        return self.value


class KindMetadataError(ValueError):
    """A kind's metadata content that is not what its module writes (bad JSON, wrong keys)."""


M = TypeVar("M")


def json_content(meta: Any) -> bytes:
    """A metadata dataclass as the JSON bytes stored in ``SummaryMetadata.plugin_data.content``
    (tuples become lists; keys sorted so equal metadata is equal bytes)."""
    return json.dumps(asdict(meta), sort_keys=True).encode()


def parse_json_content(cls: type[M], content: bytes) -> M:
    """The metadata dataclass ``cls`` from JSON ``content``. Unknown keys are ignored (a newer
    writer may add some); missing keys take the dataclass defaults; list fields declared as
    tuples come back as tuples. Raises ``KindMetadataError`` when the content is not a JSON
    object or a key without default is missing."""
    try:
        data = json.loads(content.decode("utf-8")) if content else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise KindMetadataError(f"{cls.__name__}: metadata is not JSON ({err})") from None
    if not isinstance(data, dict):
        raise KindMetadataError(f"{cls.__name__}: metadata is not a JSON object")
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for name, value in data.items():
        if name in known:
            kwargs[name] = tuple(value) if isinstance(value, list) and \
                str(known[name].type).startswith("tuple") else value
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise KindMetadataError(f"{cls.__name__}: {err}") from None


@dataclass(frozen=True)
class KindSpec:
    """What the decoder needs of one of Inspector's own kinds."""

    kind: Kind
    plugin_name: str
    parse_metadata: Callable[[bytes], Any]
    decode: Callable[[np.ndarray, Any], Any]


_REGISTRY: dict[str, KindSpec] = {}
_LOADED = False


def register(spec: KindSpec) -> KindSpec:
    """Make ``spec`` the decoder of its plugin name. Raises ``ValueError`` if another module
    already registered that plugin name."""
    other = _REGISTRY.get(spec.plugin_name)
    if other is not None and other != spec:
        raise ValueError(f"plugin {spec.plugin_name!r} is registered twice")
    _REGISTRY[spec.plugin_name] = spec
    return spec


def load_all() -> dict[str, KindSpec]:
    """Import every module of this package (each registers its kind); plugin name -> spec."""
    global _LOADED
    if not _LOADED:
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True
    return _REGISTRY


def for_plugin(plugin_name: str) -> KindSpec | None:
    """The spec registered for ``plugin_name``, or None (not one of Inspector's kinds)."""
    return load_all().get(plugin_name)
