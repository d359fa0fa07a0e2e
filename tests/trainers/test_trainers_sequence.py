"""The sequence family: rnn on the adding problem (beats the trivial baseline; --bptt really
cuts the gradient) and the character-level lstm (text samples per temperature every epoch,
falling loss, perplexity), run end to end with --quick through ``inspector train``."""

import os

import numpy as np
import pytest

from inspector.events import plugins as P
from inspector.kinds import Kind

os.environ["INSPECTOR_OFFLINE"] = "1"
keras = pytest.importorskip("keras")

from tests.trainers.quick import train  # noqa: E402
from trainers import data, lstm, rnn  # noqa: E402


def test_adding_problem_marks_one_value_per_half_and_sums_them():
    x, y = data.adding_problem(500, 20, np.random.default_rng(0))
    assert x.shape == (500, 20, 2) and y.shape == (500,)
    markers = x[:, :, 1]
    assert np.all(markers[:, :10].sum(axis=1) == 1) and np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * markers).sum(axis=1), rtol=1e-6)
    ds = data.load("adding", seq_len=20, size=3000)
    assert ds.task == "regression" and ds.input_shape == (20, 2)
    assert 0.13 < ds.extras["baseline_mse"] < 0.2  # always answering the mean: about 1/6


def test_truncated_bptt_gives_early_steps_no_gradient():
    import tensorflow as tf

    ds = data.load("adding", seq_len=12, size=50)
    x = tf.constant(ds.x_train[:4])
    for bptt, early_gradient in ((None, True), (4, False)):
        model = rnn.build(rnn.RnnConfig(seq_len=12, units=8, bptt=bptt), ds)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = tf.reduce_sum(model(x))
        grad = np.abs(tape.gradient(out, x).numpy())
        assert (grad[:, :8].sum() > 0) == early_gradient  # the first 12 - 4 steps
        assert grad[:, 8:].sum() > 0


def test_rnn_beats_the_trivial_baseline_of_the_adding_problem(tmp_path):
    store = train(tmp_path, "rnn")
    test_loss = store.scalars("rnn/r", "test/loss").values[-1]
    baseline = store.scalars("rnn/r", "test/baseline_loss").values[-1]
    assert test_loss < 0.8 * baseline
    flat = store.scalars("rnn/r/baseline", P.TAG_EPOCH + "loss")
    assert flat.steps.tolist() == list(range(5)) and np.all(flat.values == baseline)
    assert "samples/predictions" in store.kinds("rnn/r/train")[Kind.TEXT]


def test_lstm_logs_text_samples_per_temperature_and_its_loss_falls(tmp_path):
    store = train(tmp_path, "lstm", "--epochs", "2", "--sample-length", "40")
    run = "lstm/r/train"
    for t in ("0.2", "0.5", "1.0"):
        points = store.series(Kind.TEXT, run, f"{P.TAG_SAMPLES}text/t={t}")
        assert [p.step for p in points] == [1, 2]
        text = str(np.asarray(points[-1].value).reshape(-1)[0])
        assert text.startswith("```python\ndef ")
        assert len(text) == len("```python\ndef ") + 40 + len("\n```")
    for split in ("train", "validation"):
        loss = store.scalars(f"lstm/r/{split}", P.TAG_EPOCH + "loss").values
        assert loss[-1] < loss[0]
    perplexity = store.scalars("lstm/r", "test/perplexity").values[-1]
    loss = store.scalars("lstm/r", "test/loss").values[-1]
    assert perplexity == pytest.approx(np.exp(loss), rel=1e-3)


def test_lstm_targets_are_the_windows_shifted_by_one_character():
    ds = lstm.next_character_task(data.load("code", seq_len=16, limit=50))
    np.testing.assert_array_equal(ds.y_train[:, :-1], ds.x_train[:, 1:])
    model = lstm.build(lstm.LstmConfig(units=8, embedding=4), ds)
    assert model.output.shape[1:] == (None, ds.num_classes)
    assert model.get_layer("lstm").cell.units == 8


def test_the_four_unsupervised_and_sequence_trainers_are_in_the_demo_curriculum():
    from trainers import registry

    curriculum = registry.demo_curriculum()
    assert curriculum[-4:] == ["autoencoder", "rbm", "rnn", "lstm"]
