"""Recurrent layers on the probe sequences: hidden states of SimpleRNN, GRU and LSTM, the
LSTM's input, forget and output gates and cell state, the GRU's update and reset gates,
written as feature maps by the drop-in hook and equal to what the layers compute."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from inspector.events import plugins as P
from inspector.hooks import Inspector
from inspector.probes import select_probe
from inspector.store import Store

STEPS, FEATURES = 6, 2


def sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class = which third of the sequence holds a bump."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.1, (n, STEPS, FEATURES)).astype(np.float32)
    for i, c in enumerate(y):
        x[i, 2 * c:2 * c + 2, 0] += 1.0
    return x, y.astype(np.int64)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    keras.utils.set_random_seed(0)
    x, y = sequences(96, 1)
    xv, yv = sequences(24, 2)
    model = keras.Sequential([
        keras.Input((STEPS, FEATURES)),
        keras.layers.SimpleRNN(3, return_sequences=True, name="rnn"),
        keras.layers.GRU(4, return_sequences=True, name="gru"),
        keras.layers.LSTM(5, name="lstm"),
        keras.layers.Dense(3, activation="softmax", name="output"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    logdir = tmp_path_factory.mktemp("rnn")
    hook = Inspector(logdir, update_freq="epoch")
    model.fit(x, y, validation_data=(xv, yv), epochs=1, callbacks=[hook], verbose=0)
    store = Store(logdir)
    store.reload()
    return model, store, select_probe(xv, yv).head(4), hook


def maps(store, tag) -> np.ndarray:
    points = store.series(P.KIND_ACTIVATIONS, "train", P.TAG_FEATURE_MAPS + tag)
    assert [p.step for p in points] == [0, 1], tag
    return points[-1].value


def test_lstm_logs_gates_cell_and_hidden_states_on_the_probe_sequences(fitted):
    model, store, probes, hook = fitted
    assert hook.errors == []
    hidden = maps(store, "lstm")
    assert hidden.shape == (4, STEPS, 5)
    for gate in ("input", "forget", "output"):
        values = maps(store, f"lstm/gates/{gate}")
        assert values.shape == (4, STEPS, 5) and values.min() >= 0 and values.max() <= 1
    assert maps(store, "lstm/cell").shape == (4, STEPS, 5)
    last = keras.Model(model.inputs[0], model.get_layer("lstm").output)(probes)
    assert np.allclose(hidden[:, -1], np.asarray(last), atol=3e-3)
    assert "feature_maps/lstm/gates/forget/grid" in store.kinds("train")[P.KIND_IMAGES]


def test_simple_rnn_and_gru_hidden_states_equal_their_output_sequences(fitted):
    model, store, probes, _ = fitted
    for name in ("rnn", "gru"):
        expected = keras.Model(model.inputs[0], model.get_layer(name).output)(probes)
        assert np.allclose(maps(store, name), np.asarray(expected), atol=3e-3), name
    for gate in ("update", "reset"):
        assert maps(store, f"gru/gates/{gate}").shape == (4, STEPS, 4)
    activations = [t for t in store.kinds("train")[P.KIND_HISTOGRAMS]
                   if t.startswith(P.TAG_ACTIVATIONS)]
    assert {"activations/rnn", "activations/gru", "activations/lstm"} <= set(activations)
    assert not any("cell" in t for t in activations)  # cells run inside the layers' loops
