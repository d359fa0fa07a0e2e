"""Inside a recurrent layer on the probe sequences: the hidden state at every time step and,
for LSTM and GRU, the gate activations, replayed from the layer's weights and its input.

Keras' recurrent layers return the last hidden state (or the sequence of them) and nothing
of their gates, and run their cells inside a loop no layer wrapper sees. So the hook keeps
the layer's input on the probe batch and replays the cell's equations here, in numpy, with
the layer's own weights and activation functions: the same numbers as the layer (masks,
initial states and dropout aside, as the probe pass runs in inference mode on full
sequences). Never changes the layer.
"""

from __future__ import annotations

import numpy as np


def _act(fn, z: np.ndarray) -> np.ndarray:
    return np.asarray(fn(z.astype(np.float32)), np.float32)


def _weights(cell):
    kernel = np.asarray(cell.kernel, np.float32)
    recurrent = np.asarray(cell.recurrent_kernel, np.float32)
    bias = np.asarray(cell.bias, np.float32) if getattr(cell, "use_bias", True) and \
        cell.bias is not None else None
    return kernel, recurrent, bias


def states(layer, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """What ``layer`` (SimpleRNN, LSTM or GRU) computes at each step of ``inputs``
    ``[n, steps, features]``, each ``[n, steps, units]`` float32 in processing order:

    - ``"hidden"``: the hidden state (what the layer outputs at that step);
    - LSTM: ``"gates/input"``, ``"gates/forget"``, ``"gates/output"`` and ``"cell"`` (the
      cell state); GRU: ``"gates/update"`` and ``"gates/reset"``.

    Raises ``ValueError`` for another kind of recurrent cell."""
    cell = layer.cell
    kind = type(cell).__name__
    x = np.asarray(inputs, np.float32)
    if getattr(layer, "go_backwards", False):
        x = x[:, ::-1]
    n, steps, _ = x.shape
    kernel, rec, bias = _weights(cell)
    units = rec.shape[0]
    h = np.zeros((n, units), np.float32)
    c = np.zeros((n, units), np.float32)
    out: dict[str, list[np.ndarray]] = {}

    def keep(name, value):
        out.setdefault(name, []).append(value)

    for t in range(steps):
        xt = x[:, t]
        if kind == "LSTMCell":
            z = xt @ kernel + h @ rec + (bias if bias is not None else 0.0)
            zi, zf, zc, zo = np.split(z, 4, axis=1)
            i = _act(cell.recurrent_activation, zi)
            f = _act(cell.recurrent_activation, zf)
            o = _act(cell.recurrent_activation, zo)
            c = f * c + i * _act(cell.activation, zc)
            h = o * _act(cell.activation, c)
            keep("gates/input", i)
            keep("gates/forget", f)
            keep("gates/output", o)
            keep("cell", c)
        elif kind == "GRUCell":
            reset_after = getattr(cell, "reset_after", True)
            b_in = b_rec = 0.0
            if bias is not None:
                b_in, b_rec = (bias[0], bias[1]) if bias.ndim == 2 else (bias, 0.0)
            mx = xt @ kernel + b_in
            xz, xr, xh = np.split(mx, 3, axis=1)
            if reset_after:
                mh = h @ rec + b_rec
                hz, hr, hh = np.split(mh, 3, axis=1)
                zg = _act(cell.recurrent_activation, xz + hz)
                r = _act(cell.recurrent_activation, xr + hr)
                cand = _act(cell.activation, xh + r * hh)
            else:
                hz, hr = np.split(h @ rec[:, : 2 * units], 2, axis=1)
                zg = _act(cell.recurrent_activation, xz + hz)
                r = _act(cell.recurrent_activation, xr + hr)
                cand = _act(cell.activation, xh + (r * h) @ rec[:, 2 * units:])
            h = zg * h + (1 - zg) * cand
            keep("gates/update", zg)
            keep("gates/reset", r)
        elif kind == "SimpleRNNCell":
            h = _act(cell.activation, xt @ kernel + h @ rec +
                     (bias if bias is not None else 0.0))
        else:
            raise ValueError(f"no replay for recurrent cell {kind}")
        keep("hidden", h)
    return {name: np.stack(values, axis=1) for name, values in out.items()}
