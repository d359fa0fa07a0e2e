"""Feature visualization: for each filter of a layer, the input that maximises the filter's mean
activation, found by regularised gradient ascent from noise (Erhan et al. 2009; Olah et al.
2017, "Feature Visualization"): normalised gradient steps, L2 decay towards the input mean,
random jitter (a shifted input each step) and a blur every few steps, so the picture shows
patterns rather than high-frequency noise.

``visualize`` computes; ``log_feature_vis`` writes the ``FEATURE_VIS`` kind (and a picture
for TensorBoard). Used by the hook (``Inspector(feature_vis_freq=..., feature_vis_layers=...)``)
and by ``inspector visualize`` on a saved model. Imports TensorFlow.

Cost: ``iterations`` forward and backward passes of a batch of (at most ``max_filters``)
inputs through the model up to the layer; for LeNet-5 on 28x28 digits, well under a second
per layer on a CPU. Off by default in the hook: for large models, visualize few layers rarely.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from inspector.errors import InspectorError
from inspector.grids import tile
from inspector.kinds import feature_vis
from inspector.probes import layer_paths, layer_role

_BLUR = np.outer([1, 2, 1], [1, 2, 1]).astype(np.float32) / 16


def default_layers(model) -> list[str]:
    """Every conv layer's path (what ``feature_vis_layers=None`` visualizes)."""
    return [path for path, layer in layer_paths(model).items() if layer_role(layer) == "conv"
            and len(getattr(layer.output, "shape", ())) == 4]


def _sub_model(model, layers: list[str]):
    import keras

    found = layer_paths(model)
    missing = [name for name in layers if name not in found]
    if missing:
        raise InspectorError(f"no layer {', '.join(missing)} in the model; choose among "
                             f"{', '.join(found)}")
    try:
        return keras.Model(model.inputs, [found[name].output for name in layers])
    except (AttributeError, ValueError) as err:
        raise InspectorError(f"cannot reach layer {', '.join(layers)} from the model's inputs "
                             f"({err}); visualize layers of the top-level model") from None


def visualize(model, layers: list[str] | None = None, *, iterations: int = 64,
              step_size: float = 0.05, l2: float = 0.02, blur_every: int = 4, jitter: int = 2,
              max_filters: int = 64, value_range: tuple[float, float] | None = None,
              clip: bool = False, objective: str = "mean",
              seed: int = 0) -> dict[str, tuple[np.ndarray, list[int]]]:
    """For each layer path in ``layers`` (default: every conv layer), the inputs maximising
    the mean activation of its first ``max_filters`` filters (channels; units of a dense
    layer): ``{layer: (images float32 [filters, *input_shape], filter indices)}``.

    ``objective``: "mean" (the filter's mean activation over its map less an eighth at
    each border, where zero padding would be the pattern) or "centre" (its
    activation at the map's centre: a pattern the size of its receptive field; for a
    saturating activation such as tanh the mean objective favours flat inputs). Gradients are
    made zero-mean per image, so brightness alone never excites a filter.
    ``value_range`` (lo, hi): the data's range (default -1, 1); noise starts at its middle,
    +- 0.1 of its span, steps are ``step_size`` of its span and the L2 decay pulls towards its
    middle. ``clip`` keeps the inputs inside it (off: a filter with a positive sum would
    just saturate the whole input). Raises ``InspectorError`` for a layer
    that is not in the model or not reachable from its (single) input."""
    if objective not in ("mean", "centre"):
        raise InspectorError(f"objective must be 'mean' or 'centre', not {objective!r}")
    layers = list(layers) if layers else default_layers(model)
    if not layers:
        return {}
    if len(model.inputs) != 1:
        raise InspectorError("feature visualization needs a model with a single input")
    sub = _sub_model(model, layers)
    outputs = sub.outputs
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    lo, hi = value_range if value_range is not None else (-1.0, 1.0)
    centre, span = (lo + hi) / 2, (hi - lo) or 1.0
    rng = np.random.default_rng(seed)
    result = {}
    for k, name in enumerate(layers):
        channels = int(outputs[k].shape[-1])
        chosen = list(range(min(channels, max_filters)))
        x0 = centre + rng.normal(0, 0.1 * span, (len(chosen), *shape)).astype(np.float32)
        images = _ascend(sub, k, x0, np.eye(channels, dtype=np.float32)[chosen], iterations,
                         step_size * span, l2, blur_every, jitter,
                         (lo, hi) if clip else None, centre, seed, objective)
        result[name] = (images, chosen)
    return result


def _ascend(sub, k, x0, mask, iterations, step_size, l2, blur_every, jitter, value_range,
            centre, seed, objective) -> np.ndarray:
    x = tf.Variable(x0)
    mask = tf.constant(mask)
    spatial = len(x0.shape) == 4
    blur = tf.constant(np.tile(_BLUR[:, :, None, None], (1, 1, x0.shape[-1], 1))) \
        if spatial else None
    rng = np.random.default_rng(seed)

    @tf.function(reduce_retracing=True)
    def step(dy, dx):
        with tf.GradientTape() as tape:
            shifted = tf.roll(x, shift=[dy, dx], axis=[1, 2]) if spatial else x
            out = sub(shifted, training=False)
            act = out[k] if isinstance(out, (list, tuple)) else out
            if len(act.shape) == 4:
                h, w = act.shape[1], act.shape[2]
                if objective == "centre":
                    act = act[:, h // 2, w // 2]
                else:  # away from the borders, where zero padding would be the pattern
                    act = act[:, h // 8:h - h // 8, w // 8:w - w // 8]
            act = tf.reshape(act, (tf.shape(act)[0], -1, act.shape[-1]))
            score = tf.reduce_sum(tf.reduce_mean(act, axis=1) * mask)
        grad = tape.gradient(score, x)
        if spatial:  # no brightness change: a filter must be excited by a pattern, not by DC
            grad = grad - tf.reduce_mean(grad, axis=[1, 2], keepdims=True)
        grad = grad / (tf.math.reduce_std(grad, axis=list(range(1, len(x0.shape))),
                                          keepdims=True) + 1e-8)
        x.assign(centre + (x + step_size * grad - centre) * (1.0 - l2))

    for it in range(iterations):
        dy, dx = (int(v) for v in rng.integers(-jitter, jitter + 1, 2)) if jitter else (0, 0)
        step(tf.constant(dy), tf.constant(dx))
        if spatial and blur_every and (it + 1) % blur_every == 0 and it + 1 < iterations:
            # reflected borders: zero padding would darken the edges at every blur
            padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
            x.assign(tf.nn.depthwise_conv2d(padded, blur, [1, 1, 1, 1], "VALID"))
        if value_range is not None:
            x.assign(tf.clip_by_value(x, value_range[0], value_range[1]))
    return x.numpy()


def picture(images: np.ndarray) -> np.ndarray:
    """Feature visualizations ``[n, h, w, c]`` as one uint8 RGB grid, each scaled to its own
    range (for TensorBoard's Images dashboard)."""
    a = np.asarray(images, np.float32)
    if a.ndim == 3:
        a = a[..., None]
    a = a[..., :3] if a.shape[-1] >= 3 else np.repeat(a[..., :1], 3, axis=-1)
    lo = a.min(axis=(1, 2, 3), keepdims=True)
    hi = a.max(axis=(1, 2, 3), keepdims=True)
    a = ((a - lo) / np.where(hi > lo, hi - lo, 1.0) * 255 + 0.5).astype(np.uint8)
    n = len(a)
    cols = max(1, int(np.ceil(np.sqrt(n))))
    rows = -(-n // cols)
    grid = np.zeros((rows * cols, *a.shape[1:]), np.uint8)
    grid[:n] = a
    return tile(grid.reshape(rows, cols, *a.shape[1:]))


def log_feature_vis(writer, model, step: int, layers: list[str] | None = None, *,
                    value_range: tuple[float, float] | None = None, **options) -> int:
    """Visualize ``layers`` (default: every conv layer) and write each as a FEATURE_VIS tensor
    ``feature_vis/<layer>`` plus a picture ``feature_vis/<layer>/grid`` at ``step`` with
    ``writer`` (an ``inspector.summary.SummaryWriter``). ``options`` go to ``visualize``.
    Returns the number of layers written."""
    results = visualize(model, layers, value_range=value_range, **options)
    for name, (images, chosen) in results.items():
        if images.ndim != 4:  # inputs that are not images: the tensor alone
            feature_vis.write(writer, name, images.reshape(len(images), 1, -1, 1), step,
                              filters=chosen, iterations=options.get("iterations", 64))
            continue
        feature_vis.write(writer, name, images, step, filters=chosen,
                          iterations=options.get("iterations", 64))
        writer.image(feature_vis.TAG_PREFIX + name + "/grid", picture(images), step)
    return len(results)
