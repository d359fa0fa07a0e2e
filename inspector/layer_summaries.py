"""The low-level logging calls: what ``inspector.probes`` sees inside a model, written as
summaries (histograms, Inspector's own raw tensors and the pictures beside them).

The hook uses exactly these; a custom ``tf.GradientTape`` loop can too::

    probe = select_probe(x_val, y_val, size=32)
    recorder = LayerRecorder(model, loss_fn=loss_fn)
    ...
    seen = recorder.record(probe.x, probe.y)    # layer outputs, loss, gradients
    log_weights(writer, model, step)
    log_kernels(writer, model, step)
    log_layer_outputs(writer, model, seen.outputs, step)
    log_gradients(writer, model, seen.gradients, step)

``writer`` is an ``inspector.summary.SummaryWriter``; tags are the TAG_* constants of
``inspector.events.plugins``. Imports TensorFlow (through ``inspector.probes``).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from inspector import recurrent
from inspector.events import plugins as P
from inspector.grids import (
    as_images,
    feature_map_grid,
    image_like,
    kernel_grid,
    matrix_image,
    templates_grid,
)
from inspector.kinds import activations, kernels
from inspector.probes import Probe, integer_labels, layer_paths, layer_role, variable_paths


def log_weights(writer, model, step: int, buckets: int = 30) -> int:
    """A histogram of every variable, ``weights/<layer path>/<variable>``. Returns the count."""
    pairs = variable_paths(model)
    for path, v in pairs:
        writer.histogram(P.TAG_WEIGHTS + path, np.asarray(v), step, buckets=buckets)
    return len(pairs)


def log_gradients(writer, model, gradients, step: int, buckets: int = 30) -> float:
    """A histogram per trainable variable, ``gradients/<layer path>/<variable>``, and the
    global norm (``gradients/global_norm``). ``gradients`` follow
    ``model.trainable_variables``. Returns the global norm."""
    by_id = {id(v): path for path, v in variable_paths(model, trainable_only=True)}
    total = 0.0
    variables = model.trainable_variables
    if len(gradients) != len(variables):
        raise ValueError(f"{len(gradients)} gradients for {len(variables)} trainable variables")
    for v, g in zip(variables, gradients, strict=True):
        g = np.asarray(g, np.float64)
        total += float(np.sum(g * g))
        writer.histogram(P.TAG_GRADIENTS + by_id.get(id(v), v.path), g, step, buckets=buckets)
    norm = total ** 0.5
    writer.scalar(P.TAG_GRADIENT_NORM, norm, step)
    return norm


def _kernels(model):
    layers = layer_paths(model)
    for path, v in variable_paths(model, trainable_only=False):
        layer_path, _, name = path.rpartition("/")
        layer = layers.get(layer_path) if "kernel" in name else None
        role = layer_role(layer) if layer is not None else None
        ndim = len(v.shape)
        if (role == "conv" and 3 <= ndim <= 5) or (role == "dense" and ndim == 2):
            tag = layer_path if name == "kernel" else path
            yield tag, role, v


def log_kernels(writer, model, step: int, max_values: int = 1 << 21,
                input_shape: tuple[int, ...] | None = None) -> int:
    """Every convolution kernel and dense weight matrix: the raw values (all channels) as a
    float16 KERNELS tensor ``kernels/<layer path>`` when it holds at most ``max_values``
    numbers, and always a picture ``kernels/<layer path>/grid``. A dense layer reading an
    image of ``input_shape`` (H, W, C) is drawn as one template per unit. Returns the count."""
    count = 0
    for tag, role, v in _kernels(model):
        k = np.asarray(v, np.float32)
        if k.size <= max_values:
            kernels.write(writer, tag, k, step)
        if role == "conv":
            picture = kernel_grid(k)
        elif input_shape is not None and image_like(input_shape) and \
                k.shape[0] == int(np.prod(input_shape)):
            picture = templates_grid(k, tuple(input_shape))
        else:
            picture = matrix_image(k)
        writer.image(P.TAG_KERNELS + tag + P.TAG_GRID_SUFFIX, picture, step)
        count += 1
    return count


def log_layer_outputs(writer, model, outputs: dict[str, np.ndarray], step: int, *,
                      histograms: bool = True, feature_map_probes: int = 4,
                      max_values: int = 1 << 20, buckets: int = 30) -> int:
    """From ``outputs`` (a ``LayerRecorder``'s result on the probe batch): with
    ``histograms`` a histogram of every layer's output, ``activations/<layer path>``; for
    conv, pooling and dense layers the outputs of the first ``feature_map_probes`` probes
    as a float16 ACTIVATIONS tensor ``feature_maps/<layer path>`` (``[probes, ...]``;
    channels cut only beyond ``max_values`` numbers, the metadata keeps the full count) and
    a picture ``.../grid``. Returns the number of feature-map summaries."""
    layers = layer_paths(model)
    count = 0
    for path, out in outputs.items():
        if histograms:
            writer.histogram(P.TAG_ACTIVATIONS + path, out, step, buckets=buckets)
        role = layer_role(layers.get(path))
        if feature_map_probes <= 0 or role in (None, "recurrent") or out.ndim not in (2, 3, 4):
            continue
        maps = out[:feature_map_probes]
        channels = maps.shape[-1]
        per_channel = max(1, maps[..., 0].size)
        if maps.size > max_values and maps.ndim > 2:
            maps = maps[..., : max(1, max_values // per_channel)]
        activations.write(writer, path, maps, step, channels=channels,
                          inputs_tag=P.TAG_PROBE_INPUTS)
        writer.image(P.TAG_FEATURE_MAPS + path + P.TAG_GRID_SUFFIX, feature_map_grid(maps), step)
        count += 1
    return count


def log_recurrent_states(writer, model, inputs: dict[str, np.ndarray], step: int, *,
                         feature_map_probes: int = 4) -> int:
    """For each recurrent layer whose input on the probe batch is in ``inputs`` (a
    ``Recording``'s ``recurrent_inputs``), replayed on the first ``feature_map_probes``
    probe sequences (``inspector.recurrent.states``): the hidden state at every step as the
    layer's feature maps ``feature_maps/<layer path>`` ``[probes, steps, units]``, and for
    LSTM the gates (``.../gates/input``, ``forget``, ``output``) and the cell state
    (``.../cell``), for GRU the ``update`` and ``reset`` gates, each as an ACTIVATIONS tensor
    of the same shape with a picture. Returns the number of layers."""
    layers = layer_paths(model)
    count = 0
    for path, x in inputs.items():
        layer = layers.get(path)
        if layer is None or feature_map_probes <= 0 or np.ndim(x) != 3:
            continue
        seen = recurrent.states(layer, x[:feature_map_probes])
        for name, maps in seen.items():
            tag = P.TAG_FEATURE_MAPS + path + ("" if name == "hidden" else "/" + name)
            activations.write(writer, path, maps, step, inputs_tag=P.TAG_PROBE_INPUTS, tag=tag)
            writer.image(tag + P.TAG_GRID_SUFFIX, feature_map_grid(maps), step)
        count += 1
    return count


def log_probe(writer, probe: Probe, step: int, class_names=None) -> None:
    """The probe inputs (``probe/inputs``: images when they look like images, else a text
    table of their first values) and their labels (``probe/labels``, a text table)."""
    x = probe.x if not isinstance(probe.x, (list, tuple, dict)) else tf.nest.flatten(probe.x)[0]
    x = np.asarray(x)
    if image_like(x.shape[1:]):
        writer.image(P.TAG_PROBE_INPUTS, as_images(x), step, max_outputs=len(x))
    else:
        flat = x.reshape(len(x), -1)[:, :8]
        rows = ["| probe | inputs |", "|---|---|"] + [
            f"| {i} | {', '.join(f'{v:.4g}' for v in row)} |" for i, row in enumerate(flat)]
        writer.text(P.TAG_PROBE_INPUTS, "\n".join(rows), step)
    if probe.y is not None:
        y = tf.nest.flatten(probe.y)[0]
        labels = integer_labels(y)
        names = list(class_names) if class_names is not None else None
        if labels is not None:
            shown = [names[c] if names and c < len(names) else str(c) for c in labels]
        else:
            shown = [np.array2string(np.asarray(v), precision=4) for v in y]
        rows = ["| probe | label |", "|---|---|"] + [f"| {i} | {s} |" for i, s in enumerate(shown)]
        writer.text(P.TAG_PROBE_LABELS, "\n".join(rows), step)
