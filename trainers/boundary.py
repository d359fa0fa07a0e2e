"""Pictures of 2-D classifiers, drawn with NumPy alone: the decision map of a model over the
plane with the data points on top, in the TensorFlow Playground's colours (orange for
class 0 / negative, blue for class 1 / positive, white at the boundary).

Used by the perceptron, neuron, logistic and playground trainers; never imports TensorFlow.
"""

import numpy as np

from trainers.toysets import PLAYGROUND_EXTENT

ORANGE = np.array([245, 147, 34], dtype=np.float64)  # the Playground's class-0 colour
BLUE = np.array([8, 119, 189], dtype=np.float64)     # its class-1 colour
WHITE = np.array([255, 255, 255], dtype=np.float64)
GRID = 64  # map resolution; an image is GRID * SCALE pixels square
SCALE = 3


def grid_points(extent: float = PLAYGROUND_EXTENT, n: int = GRID) -> np.ndarray:
    """[n*n, 2] float32 points covering [-extent, extent]^2, row-major from the top-left
    (x1 grows to the right, x2 grows upwards as in a plot)."""
    axis = np.linspace(-extent, extent, n, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def decision_image(
    values: np.ndarray,
    *,
    low: float = 0.0,
    high: float = 1.0,
    points: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    extent: float = PLAYGROUND_EXTENT,
) -> np.ndarray:
    """[H, W, 3] uint8: ``values`` (one per ``grid_points`` point, in [low, high]) coloured
    orange at ``low``, white half-way and blue at ``high``; then ``points`` (x1, x2) drawn as
    dots of their class colour with a dark rim (``labels``: > 0 / >= 0.5 means class 1)."""
    n = int(round(np.sqrt(values.size)))
    t = np.clip((values.reshape(n, n).astype(np.float64) - low) / (high - low), 0.0, 1.0)
    t = t[..., None]
    rgb = np.where(t < 0.5, ORANGE + (WHITE - ORANGE) * (t * 2),
                   WHITE + (BLUE - WHITE) * ((t - 0.5) * 2))
    # Fade the background so the dots stand out, as the Playground does.
    rgb = WHITE + (rgb - WHITE) * 0.6
    image = np.repeat(np.repeat(rgb, SCALE, axis=0), SCALE, axis=1)
    if points is not None and labels is not None:
        size = n * SCALE
        cols = np.round((points[:, 0] + extent) / (2 * extent) * (size - 1)).astype(int)
        rows = np.round((extent - points[:, 1]) / (2 * extent) * (size - 1)).astype(int)
        positive = labels > (0.5 if labels.min() >= 0 else 0)
        for dr in range(-2, 3):
            for dc in range(-2, 3):
                r, c = np.clip(rows + dr, 0, size - 1), np.clip(cols + dc, 0, size - 1)
                rim = max(abs(dr), abs(dc)) == 2
                image[r, c] = 60.0 if rim else np.where(positive[:, None], BLUE, ORANGE)
    return image.astype(np.uint8)


def output_maps(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """[k, H, W, 3] uint8 maps of k units' outputs (``values`` [n*n, k]) without points."""
    return np.stack([decision_image(values[:, j], low=low, high=high)
                     for j in range(values.shape[1])])
