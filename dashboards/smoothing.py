"""TensorBoard's debiased exponential moving average, the Python twin of ``ema`` in
``assets/curves.js``.

The browser smooths what it draws (so the slider needs no server round trip); this twin
smooths the downloads and is what the tests hold both to. With ``counts`` (points per
bucket of a decimated series, each bucket given by its mean) the average advances by
``weight ** count`` per bucket, so a decimated line is smoothed with the same time constant,
in steps, as the full series; with every count 1 it is exactly TensorBoard's algorithm.
"""

from __future__ import annotations

import math

import numpy as np


def debiased_ema(values, weight: float, counts=None) -> np.ndarray:
    """Smooth ``values`` as TensorBoard's scalar dashboard does.

    Non-finite values pass through unsmoothed and do not advance the average; a constant
    series is returned unchanged (TensorBoard #786); ``weight`` is clamped to [0, 1].
    """
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    if not len(values):
        return out
    weight = 0.0 if not math.isfinite(weight) else min(max(float(weight), 0.0), 1.0)
    if np.all(values == values[0]):
        return out
    last, accumulated = 0.0, 0.0
    for i, value in enumerate(values.tolist()):
        if not math.isfinite(value):
            continue
        n = 1.0 if counts is None else float(counts[i])
        if n <= 0:
            continue
        decay = weight ** n
        last = last * decay + (1.0 - decay) * value
        accumulated += n
        debias = 1.0 if weight == 1.0 else 1.0 - weight ** accumulated
        out[i] = last / debias
    return out
