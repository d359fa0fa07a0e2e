"""The linear and dense trainers, run end to end with --quick through ``inspector train``
in this process (one TensorFlow import for the file), their logdirs read back with the
Store; the perceptron rule against a hand-computed example; sweeps; the shared plumbing."""

import numpy as np
import pytest

from inspector.events import plugins as P
from tests.trainers.quick import train
from trainers import registry
from trainers.common import TrainConfig, make_config, make_optimizer, make_schedule
from trainers.dense import MlpConfig
from trainers.linear import perceptron_rule

# neuron and playground have tests of their own below, which make the same checks.
KERAS_TRAINERS = ("logistic", "softmax", "mlp", "regression", "deep_mlp")


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("INSPECTOR_OFFLINE", "1")


def kinds(store, run):
    return {kind: set(tags) for kind, tags in store.kinds(run).items()}


def test_perceptron_rule_matches_the_hand_computed_updates():
    # Inputs extended by the constant -1, so w = (w1, w2, theta); w starts at 0, eta = 1.
    # Pass 1:
    #   x1 = (1, 1, -1),  y=+1: <x, w> = 0, margin 0 <= 0      -> w = (1, 1, -1)
    #   x2 = (2, -1, -1), y=-1: <x, w> = 2 - 1 + 1 = 2, margin -2 -> w = (1, 1, -1) - x2
    #                                                                = (-1, 2, 0)
    #   x3 = (0, 2, -1),  y=+1: <x, w> = 4, margin 4 > 0        (no update)
    #   x4 = (3, 1, -1),  y=-1: <x, w> = -3 + 2 = -1, margin 1   (no update)
    # Pass 2: margins 1, 4, 4, 1, all > 0: no update, so training stops after 2 passes.
    x = np.array([[1, 1], [2, -1], [0, 2], [3, 1]], np.float32)
    y = np.array([1, -1, 1, -1])
    seen = []
    fit = perceptron_rule(x, y, on_update=lambda n, w, i: seen.append((n, i, w.tolist())))
    assert fit.w.tolist() == [-1.0, 2.0, 0.0]
    assert fit.converged and fit.epochs == 2 and fit.updates == 2
    assert fit.errors_per_epoch == [2, 0]
    assert seen == [(1, 0, [1.0, 1.0, -1.0]), (2, 1, [-1.0, 2.0, 0.0])]
    xa = np.c_[x, -np.ones(4)]
    assert np.all(y * (xa @ fit.w) > 0)  # zero errors with the final weights


def test_perceptron_run_stops_without_errors_and_logs_every_update(tmp_path):
    store = train(tmp_path, "perceptron")
    updates = store.scalars("perceptron/r/train", P.TAG_EPOCH + "updates").values
    assert updates[-1] == 0 and updates[1:-1].min() > 0  # step 0 is before training
    assert store.scalars("perceptron/r/train", P.TAG_EPOCH + "accuracy").values[-1] == 1.0
    w1 = store.scalars("perceptron/r/train", "updates/w1")
    assert len(w1.steps) == updates.sum() and w1.steps.tolist() == list(range(1, len(w1.steps) + 1))
    train_kinds = kinds(store, "perceptron/r/train")
    assert "samples/decision_line" in train_kinds["images"]
    assert "samples/decision_line_equation" in train_kinds["text"]
    assert P.TAG_KERNELS + "perceptron" in train_kinds["kernels"]
    assert P.TAG_WEIGHTS + "perceptron/w" in train_kinds["histograms"]
    assert store.graphs("perceptron/r/train")
    assert store.scalars("perceptron/r", "test/accuracy").values[-1] == 1.0
    assert P.TAG_CONFUSION in kinds(store, "perceptron/r")["confusion"]


def assert_keras_run(store, name, run="r"):
    """Curves in both runs, weight histograms and kernels, both graphs, hparams, the test
    metrics and (classifiers) the evaluation."""
    run = f"{name}/{run}"
    assert {run, f"{run}/train", f"{run}/validation"} <= set(store.runs())
    train_kinds = kinds(store, f"{run}/train")
    for split in ("train", "validation"):
        loss = store.scalars(f"{run}/{split}", P.TAG_EPOCH + "loss")
        assert len(loss.steps) >= 1 and loss.steps.tolist() == list(range(1, len(loss.steps) + 1))
        assert np.all(np.isfinite(loss.values))
    assert any(t.startswith(P.TAG_WEIGHTS) and t.endswith("kernel")
               for t in train_kinds["histograms"])
    assert train_kinds["kernels"]
    assert store.graphs(f"{run}/train") and P.KERAS_MODEL_TAG in train_kinds["keras_model"]
    root = kinds(store, run)
    assert root["hparams"]
    assert "test/loss" in root["scalars"]
    if name != "regression":
        assert 0 <= store.scalars(run, "test/accuracy").values[-1] <= 1
        assert P.TAG_CONFUSION in root["confusion"]
        assert P.TAG_CONFUSION in kinds(store, f"{run}/validation")["confusion"]


@pytest.mark.parametrize("name", KERAS_TRAINERS)
def test_keras_trainer_logs_curves_weights_graph_and_evaluation(tmp_path, name):
    assert_keras_run(train(tmp_path, name), name)


def test_neuron_graph_is_the_small_tanh_graph(tmp_path):
    store = train(tmp_path, "neuron")
    assert_keras_run(store, "neuron")
    [graph] = store.graphs("neuron/r")
    from inspector.events.proto import graph_pb2

    graph_def = graph_pb2.GraphDef.FromString(graph.value) \
        if isinstance(graph.value, bytes) else graph.value
    ops = {node.op for node in graph_def.node}
    assert {"MatMul", "AddV2", "Tanh"} <= ops
    assert len(graph_def.node) < 12  # readable at a glance


def test_playground_logs_the_boundary_and_every_neuron_map_each_epoch(tmp_path):
    store = train(tmp_path, "playground", "--dataset", "xor", "--features", "x1,x2,x1*x2",
                  "--depth", "1", "--width", "3", "--epochs", "3")
    assert_keras_run(store, "playground")
    images = kinds(store, "playground/r/train")["images"]
    boundary = store.series("images", "playground/r/train", "samples/decision_boundary")
    assert [p.step for p in boundary] == [1, 2, 3]
    neurons = store.series("images", "playground/r/train", "samples/neurons/dense1")
    assert len(neurons[-1].value.encoded) == 3  # one map per hidden neuron
    assert len(store.series("images", "playground/r/train", "samples/features")[0]
               .value.encoded) == 3
    assert "samples/neurons/dense2" not in images


def test_sweep_over_three_activations_writes_three_runs_side_by_side(tmp_path):
    store = train(tmp_path, "mlp", "--sweep", "activation=sigmoid,tanh,relu", "--limit", "300",
                  "--epochs", "1", "--width", "8", run="acts")
    runs = [r for r in store.runs() if r.endswith("/train")]
    assert runs == [f"mlp/acts/activation={a}/train" for a in ("relu", "sigmoid", "tanh")]
    for run in runs:
        assert len(store.scalars(run, P.TAG_EPOCH + "loss").values) == 1
    hparams = store.series("hparams", "mlp/acts/activation=tanh",
                           P.HPARAMS_SESSION_START_TAG)
    assert hparams


def test_every_optimizer_and_the_exponential_schedule():
    for name in ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"):
        opt = make_optimizer(TrainConfig(optimizer=name, lr=0.2))
        assert float(np.asarray(opt.learning_rate)) == pytest.approx(0.2)
    assert make_optimizer(TrainConfig(optimizer="nesterov")).nesterov
    schedule = make_schedule(TrainConfig(lr=0.5, lr_decay=100))
    # eta0 * 10^(-n / tau)
    assert float(schedule(100)) == pytest.approx(0.05)
    assert float(schedule(250)) == pytest.approx(0.5 * 10 ** -2.5, rel=1e-5)
    assert make_schedule(TrainConfig(lr=0.5)) == 0.5


def test_l2_and_early_stopping_apply_to_any_trainer(tmp_path):
    store = train(tmp_path, "logistic", "--l2", "0.5", "--early-stopping", "1",
                  "--epochs", "30", "--lr", "1.0")
    epochs = store.scalars("logistic/r/train", P.TAG_EPOCH + "loss").steps
    assert len(epochs) < 30  # a large penalty and a large step stop improving early
    hp = store.series("hparams", "logistic/r", P.HPARAMS_SESSION_START_TAG)
    assert hp


def test_quick_values_yield_to_options_given_explicitly():
    config = make_config(MlpConfig, {"quick": True, "epochs": 5})
    assert (config.epochs, config.width, config.limit) == (5, 32, 1000)
    assert make_config(MlpConfig, {}).width == 100


def test_every_dense_and_linear_trainer_is_in_the_demo_curriculum():
    curriculum = registry.demo_curriculum()
    expected = ["perceptron", "neuron", "logistic", "softmax", "mlp", "playground",
                "regression", "deep_mlp"]
    assert curriculum[: len(expected)] == expected
