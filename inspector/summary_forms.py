"""The TF2 summary forms: user data in, ``(TensorProto, SummaryMetadata)`` out.

Each function computes exactly what ``tf.summary`` / TensorBoard's own summary code computes
for the same input (histogram bucketing, PR-curve counts, image conversion, hparams
messages), so a file written by ``inspector.summary`` reads the same as one written by
TensorFlow. Pure functions: no file I/O, and never an import of TensorFlow.
"""

import hashlib
import io
import json
import numbers

import numpy as np
from PIL import Image

from inspector.errors import InspectorError
from inspector.events import plugins
from inspector.events.proto import plugins_pb2, summary_pb2, tensor_pb2
from inspector.events.tensors import from_numpy

# Plugin data of scalars, histograms, images and text: a version-0 message (serializes to b"").
_VERSION_0 = plugins_pb2.VersionedPluginData(version=0).SerializeToString()
# tensorboard.plugins.pr_curve.summary: denominators never go below this.
_PR_MINIMUM_COUNT = 1e-7


def metadata(
    plugin_name: str = "",
    content: bytes = b"",
    description: str | None = None,
    display_name: str | None = None,
) -> summary_pb2.SummaryMetadata:
    """SummaryMetadata naming ``plugin_name`` (no plugin_data at all if it is empty).

    ``data_class`` is left unset, as ``tf.summary`` leaves it: TensorBoard fills it in on read.
    """
    meta = summary_pb2.SummaryMetadata(
        summary_description=description or "", display_name=display_name or ""
    )
    if plugin_name:
        meta.plugin_data.plugin_name = plugin_name
        meta.plugin_data.content = content
    return meta


def scalar_form(value, description=None):
    """A rank-0 float32 tensor, plugin ``scalars`` (``tf.summary.scalar``)."""
    arr = np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in "biuf":
        raise InspectorError(
            f"a scalar must be one real number, got {type(value).__name__} of shape {arr.shape}"
        )
    return from_numpy(arr.astype(np.float32)), metadata(plugins.SCALARS, _VERSION_0, description)


def bucketize(values, bucket_count: int = 30) -> np.ndarray:
    """``[k, 3]`` float64 rows ``(left, right, count)``, as ``tf.summary.histogram`` makes them.

    ``k`` equal-width buckets from min to max, each closed-open except the last (closed). The
    edge cases follow TensorFlow 2.21 (``summary_v2._buckets``), not its docstring: empty
    input gives ``k`` all-zero rows, ``bucket_count=0`` gives shape ``[0, 3]``, and
    all-equal input gives ``k`` rows whose edges are all that value with the whole count in
    the last one. Values must be finite.
    """
    k = int(bucket_count)
    if k < 0:
        raise InspectorError(f"histogram bucket count must be >= 0, got {bucket_count}")
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if k == 0 or data.size == 0:
        return np.zeros((k, 3))
    lo, hi = data.min(), data.max()
    out = np.zeros((k, 3))
    if hi == lo:
        out[:, :2] = hi
        out[-1, 2] = data.size
        return out
    # Same float64 operations in the same order as TensorFlow's graph, so equal bits.
    width = (hi - lo) / k
    index = np.minimum(np.floor((data - lo) / width), k - 1).astype(np.int64)
    out[:, 2] = np.bincount(index, minlength=k)[:k]
    edges = np.empty(k + 1)
    edges[0], edges[k] = lo, hi
    edges[1:k] = lo + width * np.arange(1, k, dtype=np.float64)  # tf.linspace's formula
    out[:, 0], out[:, 1] = edges[:-1], edges[1:]
    return out


def histogram_form(buckets, description=None):
    """A ``[k, 3]`` float64 tensor of already-bucketed data, plugin ``histograms``."""
    arr = np.asarray(buckets, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise InspectorError(f"histogram buckets must have shape [k, 3], got {arr.shape}")
    return from_numpy(arr), metadata(plugins.HISTOGRAMS, _VERSION_0, description)


def image_batch(images) -> np.ndarray:
    """``[N, H, W, C]`` uint8 from uint8 or float ``[N,H,W,C]``, ``[H,W,C]`` or ``[H,W]``.

    Floats convert as ``tf.image.convert_image_dtype(saturate=True)`` does: ``x * 255.5``,
    clipped to [0, 255] and truncated. C is 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).
    """
    arr = np.asarray(images)
    if arr.ndim == 2:
        arr = arr[None, :, :, None]
    elif arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[-1] not in (1, 2, 3, 4):
        raise InspectorError(
            f"images must be [N, H, W, C], [H, W, C] or [H, W] with C in 1..4, got {arr.shape}"
        )
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind != "f":
        raise InspectorError(f"images must be uint8 or float in [0, 1], got dtype {arr.dtype}")
    scaled = np.nan_to_num(arr * arr.dtype.type(255.5), nan=0.0)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def png_encode(array) -> bytes:
    """PNG bytes of one image: uint8 or float in [0, 1], ``[H, W]`` or ``[H, W, C]``."""
    arr = image_batch(array)
    if arr.shape[0] != 1:
        raise InspectorError(f"png_encode takes one image, got a batch of {arr.shape[0]}")
    pixels = arr[0, :, :, 0] if arr.shape[-1] == 1 else arr[0]
    out = io.BytesIO()
    # Level 1: about twice as fast as Pillow's default at a similar size; images are logged
    # every epoch, so encoding speed is part of the hook's cost.
    Image.fromarray(np.ascontiguousarray(pixels)).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def image_form(images, max_outputs: int = 3, description=None):
    """A string tensor ``[width, height, png...]``, at most ``max_outputs`` PNGs, plugin ``images``.

    Width and height are those of the whole batch, as ``tf.summary.image`` writes them.
    """
    batch = image_batch(images)
    if max_outputs < 0:
        raise InspectorError(f"max_outputs must be >= 0, got {max_outputs}")
    _, height, width, _ = batch.shape
    pngs = [png_encode(img) for img in batch[:max_outputs]]
    strings = np.array([str(width).encode(), str(height).encode(), *pngs], dtype=object)
    return from_numpy(strings), metadata(plugins.IMAGES, _VERSION_0, description)


def text_form(text, description=None):
    """A string tensor of the same shape as ``text`` (a str: rank 0), plugin ``text``."""
    arr = np.asarray(text, dtype=object) if not isinstance(text, str) else np.asarray(text)
    if arr.size and not all(isinstance(s, (str, bytes)) for s in arr.reshape(-1)):
        raise InspectorError("text must be a str or an array of str")
    return from_numpy(arr), metadata(plugins.TEXT, _VERSION_0, description)


def pr_curve_data(labels, predictions, num_thresholds: int = 201, weights=None) -> np.ndarray:
    """``[6, num_thresholds]`` float32 rows TP, FP, TN, FN, precision, recall.

    Computed as ``tensorboard.plugins.pr_curve.summary.pb`` does: threshold ``i`` counts the
    predictions ``>= i / (num_thresholds - 1)``; predictions outside [0, 1] are dropped.
    """
    if num_thresholds < 2:
        raise InspectorError(f"num_thresholds must be >= 2, got {num_thresholds}")
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise InspectorError(
            f"labels {labels.shape} and predictions {predictions.shape} differ in shape"
        )
    weights = 1.0 if weights is None else np.asarray(weights)
    bucket_indices = np.int32(np.floor(predictions * (num_thresholds - 1)))
    float_labels = labels.astype(float)
    span = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(
        bucket_indices, bins=num_thresholds, range=span, weights=float_labels * weights
    )
    fp_buckets, _ = np.histogram(
        bucket_indices, bins=num_thresholds, range=span, weights=(1.0 - float_labels) * weights
    )
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(_PR_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_PR_MINIMUM_COUNT, tp + fn)
    return np.float32(np.stack((tp, fp, tn, fn, precision, recall)))


def pr_curve_form(labels, predictions, num_thresholds=201, weights=None, description=None):
    """The ``[6, num_thresholds]`` tensor, plugin ``pr_curves`` with PrCurvePluginData."""
    data = pr_curve_data(labels, predictions, num_thresholds, weights)
    content = plugins_pb2.PrCurvePluginData(version=0, num_thresholds=num_thresholds)
    return from_numpy(data), metadata(plugins.PR_CURVES, content.SerializeToString(), description)


def keras_model_form(model_json: str):
    """A rank-0 string tensor of the model's JSON, plugin ``graph_keras_model`` (as Keras)."""
    try:
        json.loads(model_json)
    except (TypeError, ValueError) as err:
        raise InspectorError(
            f"keras_model needs the model's JSON (model.to_json()), not valid JSON: {err}"
        ) from err
    return from_numpy(np.asarray(model_json)), metadata(
        plugins.GRAPH_KERAS_MODEL, plugins.GRAPH_KERAS_MODEL_CONTENT
    )


def _hparam_value(name, value):
    value = value.item() if isinstance(value, np.generic) else value
    if not isinstance(value, (bool, numbers.Real, str)):
        raise InspectorError(f"hparam {name!r} = {value!r}: values must be bool, int, float or str")
    return value


def hparams_forms(hparams: dict, metrics=(), trial_id=None, start_time_secs=None, now=None):
    """``[(tag, tensor, metadata), ...]``: the hparams plugin's session start info, preceded
    by an experiment summary when ``metrics`` are given.

    Session start info as ``tensorboard.plugins.hparams.summary_v2.hparams_pb`` builds it
    (group name = ``trial_id`` or the sha256 of the sorted hparams as JSON). The experiment
    is what ``hparams_config_pb`` builds, with one HParamInfo per hparam (type from its
    value, no domain) and one MetricInfo per metric: a tag, or a ``(tag, group)`` pair where
    group is the run subdirectory (e.g. ``"validation"``). Without metrics no experiment is
    written, because TensorBoard takes an experiment's metric list as complete and would
    then show no metric columns; it infers both lists from the runs instead.
    """
    values = {str(name): _hparam_value(name, v) for name, v in hparams.items()}
    if trial_id is None:
        dumped = json.dumps(values, sort_keys=True, separators=(",", ":"))
        trial_id = hashlib.sha256(dumped.encode("utf-8")).hexdigest()
    start = plugins_pb2.SessionStartInfo(
        group_name=str(trial_id),
        start_time_secs=now if start_time_secs is None else float(start_time_secs),
    )
    infos = []
    for name in sorted(values):
        value = values[name]
        if isinstance(value, bool):
            start.hparams[name].bool_value = value
            kind = plugins_pb2.DATA_TYPE_BOOL
        elif isinstance(value, str):
            start.hparams[name].string_value = value
            kind = plugins_pb2.DATA_TYPE_STRING
        else:
            start.hparams[name].number_value = value
            kind = plugins_pb2.DATA_TYPE_FLOAT64  # TensorBoard has no int type either
        infos.append(plugins_pb2.HParamInfo(name=name, type=kind))
    forms = []
    if metrics:
        experiment = plugins_pb2.Experiment(hparam_infos=infos)
        for metric in metrics:
            tag, group = (metric, "") if isinstance(metric, str) else metric
            experiment.metric_infos.add().name.CopyFrom(
                plugins_pb2.MetricName(group=group, tag=tag)
            )
        forms.append(
            (
                plugins.HPARAMS_EXPERIMENT_TAG,
                plugins_pb2.HParamsPluginData(version=0, experiment=experiment),
            )
        )
    forms.append(
        (
            plugins.HPARAMS_SESSION_START_TAG,
            plugins_pb2.HParamsPluginData(version=0, session_start_info=start),
        )
    )
    return [
        (tag, _null_tensor(), metadata(plugins.HPARAMS, data.SerializeToString()))
        for tag, data in forms
    ]


def _null_tensor() -> tensor_pb2.TensorProto:
    # The hparams plugin's NULL_TENSOR: float32 of shape [0]; the data is all in the metadata.
    return from_numpy(np.zeros(0, dtype=np.float32))
