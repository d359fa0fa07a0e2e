"""The one JSON policy for numbers: every JSON Inspector writes is valid JSON (RFC 8259).

NaN and infinities are kept as the strings "NaN", "Infinity" and "-Infinity", as TensorBoard's
own JSON does (``tensorboard/backend/json_util.Cleanse``), so a diverged run's values survive
an export and any parser reads the file. Every JSON writer (``inspector export``, the
dashboard's downloads) goes through ``dumps`` or ``json_number``; ``parse_number`` reads them
back. Never imports TensorFlow.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

NAN, INFINITY, NEG_INFINITY = "NaN", "Infinity", "-Infinity"
_BACK = {NAN: math.nan, INFINITY: math.inf, NEG_INFINITY: -math.inf}


def json_number(x: float) -> float | str:
    """``x`` if finite, else its JSON string ("NaN", "Infinity", "-Infinity")."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return NAN
    return INFINITY if x > 0 else NEG_INFINITY


def json_numbers(values) -> list[float | str]:
    """A float sequence or array as a JSON-ready list (non-finite values as strings)."""
    arr = np.asarray(values, dtype=np.float64)
    out = arr.tolist()
    if not np.isfinite(arr).all():
        out = [json_number(v) for v in out]
    return out


def clean(obj: Any) -> Any:
    """``obj`` with every non-finite float (Python or numpy, at any depth of dicts, lists,
    tuples and arrays) replaced by its JSON string; numpy scalars and arrays become plain
    Python values."""
    if isinstance(obj, float | np.floating):
        return json_number(float(obj))
    if isinstance(obj, np.integer | np.bool_):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` of ``clean(obj)``; never writes bare NaN or Infinity."""
    return json.dumps(clean(obj), allow_nan=False, **kwargs)


def parse_number(x: float | int | str | None) -> float:
    """A number written by this module back as a float (None reads as NaN)."""
    if x is None:
        return math.nan
    if isinstance(x, str):
        return _BACK[x] if x in _BACK else float(x)
    return float(x)
