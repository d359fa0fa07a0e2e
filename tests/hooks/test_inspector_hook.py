"""The Inspector callback records every item of issue #3 for Sequential, Functional and
subclassed models: each test reads a real training's logdir back with Inspector's Store
(the ``fitted`` fixture trains once per model kind) and checks tags, shapes and steps."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.plugins.graph import keras_util

from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.hooks import Inspector
from inspector.store import Store
from tests.hooks import tiny
from tests.hooks.conftest import EPOCHS, UPDATE_FREQ

EPOCH_STEPS = list(range(1, EPOCHS + 1))
STATE_STEPS = [0, *EPOCH_STEPS]  # step 0: the model before training


def steps(points) -> list[int]:
    return [p.step for p in points]


def meta(fitted, run, tag) -> dict:
    return json.loads(fitted.store.tag_info(run, tag).content)


# ----------------------------------------------------------------------------- 1. curves


def test_epoch_curves_land_in_train_and_validation_runs_at_epoch_steps(fitted):
    s = fitted.store
    for run in ("train", "validation"):
        for metric in ("loss", "accuracy"):
            series = s.scalars(run, P.TAG_EPOCH + metric)
            assert list(series.steps) == EPOCH_STEPS, (run, metric)
    history = fitted.model.history.history
    assert np.allclose(s.scalars("train", "epoch/loss").values, history["loss"], rtol=1e-5)
    assert np.allclose(s.scalars("validation", "epoch/loss").values, history["val_loss"],
                       rtol=1e-5)


def test_batch_curves_every_update_freq_batches_on_the_global_step(fitted):
    total = EPOCHS * fitted.steps_per_epoch
    expected = list(range(UPDATE_FREQ, total + 1, UPDATE_FREQ))
    for name in ("loss", "accuracy", "learning_rate", "steps_per_second"):
        assert list(fitted.store.scalars("train", P.TAG_BATCH + name).steps) == expected, name
    assert np.all(fitted.store.scalars("train", "batch/steps_per_second").values > 0)


def test_learning_rate_gradient_norm_speed_and_hook_time_per_epoch(fitted):
    s = fitted.store
    lr = s.scalars("train", P.TAG_LEARNING_RATE)
    assert list(lr.steps) == EPOCH_STEPS and np.allclose(lr.values, 0.01)
    norm = s.scalars("train", P.TAG_GRADIENT_NORM)
    assert list(norm.steps) == STATE_STEPS and np.all(norm.values > 0)
    assert np.all(s.scalars("train", P.TAG_STEPS_PER_SECOND).values > 0)
    hook_time = s.scalars("train", P.TAG_HOOK_SECONDS)
    assert list(hook_time.steps) == EPOCH_STEPS
    assert np.allclose(hook_time.values, fitted.hook.epoch_hook_seconds, rtol=1e-3)
    assert fitted.hook.hook_seconds >= sum(fitted.hook.epoch_hook_seconds) > 0
    assert fitted.hook.errors == []


# ------------------------------------------------------------------------ 2. distributions


def test_weight_and_gradient_histograms_of_every_variable(fitted):
    s = fitted.store
    for layer in tiny.KERNEL_LAYERS[fitted.kind]:
        for var in ("kernel", "bias"):
            for prefix in (P.TAG_WEIGHTS, P.TAG_GRADIENTS):
                points = s.series(P.KIND_HISTOGRAMS, "train", f"{prefix}{layer}/{var}")
                assert steps(points) == STATE_STEPS, (prefix, layer, var)
                assert points[-1].value.shape == (30, 3)
        kernel = next(v for v in fitted.model.trainable_variables
                      if v.path.endswith(f"{layer}/kernel"))
        counts = s.series(P.KIND_HISTOGRAMS, "train", f"weights/{layer}/kernel")[-1].value[:, 2]
        assert counts.sum() == np.prod(kernel.shape)


def test_activation_histograms_of_every_layer_on_the_probe_batch(fitted):
    tags = fitted.store.kinds("train")[P.KIND_HISTOGRAMS]
    recorded = sorted(t[len(P.TAG_ACTIVATIONS):] for t in tags if t.startswith(P.TAG_ACTIVATIONS))
    assert recorded == sorted(tiny.OUTPUT_LAYERS[fitted.kind])
    conv = fitted.store.series(P.KIND_HISTOGRAMS, "train", "activations/conv")
    assert steps(conv) == STATE_STEPS
    assert conv[-1].value[:, 2].sum() == 32 * 10 * 10 * 5  # probe batch x conv output


# ------------------------------------------------------------------------------ 3. kernels


def test_conv_kernel_raw_with_all_five_output_channels_and_a_grid(fitted):
    s = fitted.store
    points = s.series(P.KIND_KERNELS, "train", "kernels/conv")
    assert steps(points) == STATE_STEPS
    raw = points[-1].value
    assert raw.shape == (3, 3, 1, 5)  # written as float16, decoded as float32
    final = next(v for v in fitted.model.weights if v.path.endswith("conv/kernel"))
    assert np.allclose(raw, np.asarray(final), atol=2e-3)
    assert meta(fitted, "train", "kernels/conv") == {
        "layer": "conv", "shape": [3, 3, 1, 5], "dtype": "float16"}
    grid = s.series(P.KIND_IMAGES, "train", "kernels/conv/grid")
    assert steps(grid) == STATE_STEPS
    assert grid[-1].value.width >= 5 * 3 and len(grid[-1].value.encoded) == 1


def test_dense_weight_matrices_are_logged_as_kernels(fitted):
    tags = fitted.store.kinds("train")[P.KIND_KERNELS]
    assert sorted(tags) == sorted(P.TAG_KERNELS + p for p in tiny.KERNEL_LAYERS[fitted.kind])
    out = fitted.store.series(P.KIND_KERNELS, "train", "kernels/output")[-1].value
    assert out.shape == (8, 3)
    assert "kernels/output/grid" in fitted.store.kinds("train")[P.KIND_IMAGES]


# -------------------------------------------------------------------------- 4. activations


def test_feature_maps_of_conv_pooling_and_dense_layers_for_the_probe_inputs(fitted):
    s = fitted.store
    expected = {"conv": (4, 10, 10, 5), "pool": (4, 5, 5, 5), "output": (4, 3)}
    for layer, shape in expected.items():
        points = s.series(P.KIND_ACTIVATIONS, "train", P.TAG_FEATURE_MAPS + layer)
        assert steps(points) == STATE_STEPS, layer
        assert points[-1].value.shape == shape
        m = meta(fitted, "train", P.TAG_FEATURE_MAPS + layer)
        assert m["layer"] == layer and m["shape"] == list(shape)
        assert m["probe_index"] == 0 and m["inputs_tag"] == P.TAG_PROBE_INPUTS
        assert steps(s.series(P.KIND_IMAGES, "train", f"feature_maps/{layer}/grid")) == \
            STATE_STEPS
    assert "feature_maps/flatten" not in s.kinds("train")[P.KIND_ACTIVATIONS]


def test_probe_inputs_and_labels_are_logged_once_class_stratified(fitted):
    images = fitted.store.series(P.KIND_IMAGES, "train", P.TAG_PROBE_INPUTS)
    assert steps(images) == [0] and len(images[0].value.encoded) == 32
    labels = fitted.store.series(P.KIND_TEXT, "train", P.TAG_PROBE_LABELS)
    rows = str(labels[0].value).splitlines()[2:]
    first_three = [row.split("|")[2].strip() for row in rows[:3]]
    assert sorted(first_three) == sorted(tiny.CLASS_NAMES)


# ------------------------------------------------------------------------------- 5. graphs


def graph_names(fitted, run) -> list[str]:
    graph = GraphDef()
    graph.ParseFromString(fitted.store.graphs(run)[0].value)
    return [n.name for n in graph.node]


def test_training_step_op_graph_has_a_name_scope_per_layer(fitted):
    names = graph_names(fitted, "train")
    model, opt = fitted.model.name, fitted.model.optimizer.name
    for layer in tiny.OUTPUT_LAYERS[fitted.kind]:
        assert any(n.startswith(f"{model}/{layer}/") for n in names), layer
    for layer in tiny.KERNEL_LAYERS[fitted.kind]:
        for scope in (f"gradient_tape/{model}/{layer}/", f"{opt}/{layer}/kernel/"):
            assert any(n.startswith(scope) for n in names), scope
    assert any(n.startswith("metrics/") for n in names)


def test_inference_op_graph_is_forward_only(fitted):
    names = graph_names(fitted, "validation")
    assert any(n.startswith(f"{fitted.model.name}/conv/") for n in names)
    assert not any(n.startswith("gradient_tape/") for n in names)


def test_layer_graph_has_output_shapes_and_parameter_counts(fitted):
    text = fitted.store.series(P.KIND_KERAS_MODEL, "train", P.KERAS_MODEL_TAG)[0].value
    config = json.loads(text)
    layers = {entry["config"]["name"]: entry[P.LAYER_INFO_KEY]
              for entry in config["config"]["layers"] if entry["class_name"] != "InputLayer"}
    conv = layers["conv"]
    assert conv["output_shape"] == [None, 10, 10, 5] and conv["param_count"] == 50
    assert layers["pool"]["output_shape"] == [None, 5, 5, 5]
    assert sum(i["param_count"] for i in layers.values()) == fitted.model.count_params()
    assert config[P.LAYER_INFO_KEY]["param_count"] == fitted.model.count_params()
    graph = keras_util.keras_model_to_graph_def(config)  # TensorBoard's conceptual graph
    inputs = {n.name.split("/")[-1]: [i.split("/")[-1] for i in n.input] for n in graph.node}
    assert inputs["pool"] == ["conv"] and inputs["output"] == ["hidden" if fitted.kind !=
                                                               "subclassed" else "block"]


# --------------------------------------------------------------------------- 6. evaluation


def test_evaluation_each_epoch_on_the_validation_data(fitted):
    s = fitted.store
    cm = s.series(P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)
    assert steps(cm) == EPOCH_STEPS
    matrix = cm[-1].value
    assert matrix.shape == (3, 3) and matrix.sum() == len(fitted.y_val)
    assert np.array_equal(matrix.sum(axis=1), np.bincount(fitted.y_val, minlength=3))
    assert meta(fitted, "validation", P.TAG_CONFUSION) == {"labels": tiny.CLASS_NAMES}
    assert steps(s.series(P.KIND_IMAGES, "validation", P.TAG_CONFUSION_IMAGE)) == EPOCH_STEPS
    accuracy = s.scalars("validation", P.TAG_ACCURACY).values[-1]
    assert accuracy == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-6)
    assert accuracy == pytest.approx(fitted.model.history.history["val_accuracy"][-1], abs=1e-6)
    assert s.scalars("validation", P.TAG_BASELINE_RANDOM).values[-1] == pytest.approx(1 / 3)
    most = np.bincount(fitted.y_val).max() / len(fitted.y_val)
    assert s.scalars("validation", P.TAG_BASELINE_MOST_FREQUENT).values[-1] == \
        pytest.approx(most)
    for name in tiny.CLASS_NAMES:
        for prefix in (P.TAG_PRECISION, P.TAG_RECALL, P.TAG_F1):
            assert list(s.scalars("validation", prefix + name).steps) == EPOCH_STEPS
        pr = s.series(P.KIND_PR_CURVES, "validation", P.TAG_PR_CURVE + name)
        assert steps(pr) == EPOCH_STEPS and pr[-1].value.shape == (6, 201)


# ------------------------------------------------------- 7. hparams, samples, embeddings


def test_hparams_of_the_run_in_the_logdir_itself(fitted):
    points = fitted.store.series(P.KIND_HPARAMS, ".", P.HPARAMS_SESSION_START_TAG)
    values = points[0].value["session_start"]["hparams"]
    assert values["optimizer"] == "Adam" and values["learning_rate"] == pytest.approx(0.01)
    assert values["batch_size"] == 32 and values["parameters"] == fitted.model.count_params()


def test_trainer_samples_and_embeddings_with_labels(fitted):
    s = fitted.store
    assert steps(s.series(P.KIND_TEXT, "train", "samples/note")) == EPOCH_STEPS
    assert steps(s.series(P.KIND_IMAGES, "train", "samples/picture")) == EPOCH_STEPS
    layer = "hidden" if fitted.kind != "subclassed" else "block/inner"
    tag = P.TAG_EMBEDDINGS + layer
    vectors = s.series(P.KIND_EMBEDDINGS, "train", tag)
    assert steps(vectors) == EPOCH_STEPS and vectors[-1].value.shape == (48, 8)
    m = meta(fitted, "train", tag)
    assert m["labels_tag"] == tag + "/labels" and m["label_names"] == tiny.CLASS_NAMES
    labels = s.series(P.KIND_TENSORS, "train", m["labels_tag"])[-1].value
    assert np.array_equal(labels, fitted.y_val)


# ----------------------------------------------------------------------- TensorBoard reads


def test_tensorboard_loader_sees_scalars_histograms_images_and_graph(fitted):
    acc = plugin_event_accumulator.EventAccumulator(
        str(fitted.logdir / "train"),
        size_guidance=dict(plugin_event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE))
    acc.Reload()
    assert "epoch/loss" in acc.PluginTagToContent("scalars")
    assert "weights/conv/kernel" in acc.PluginTagToContent("histograms")
    assert {"kernels/conv/grid", "feature_maps/conv/grid", "probe/inputs"} <= \
        set(acc.PluginTagToContent("images"))
    assert P.KERAS_MODEL_TAG in acc.PluginTagToContent("graph_keras_model")
    assert len(acc.Graph().node) > 100
    assert len(acc.Tensors("epoch/loss")) == EPOCHS


def test_without_validation_data_a_training_sample_is_probed_and_evaluated(tmp_path):
    x, y, _, _ = tiny.data()
    model = tiny.sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    hook = Inspector(tmp_path, update_freq="epoch")
    with pytest.warns(UserWarning, match="no validation data"):
        model.fit(x, y, batch_size=64, epochs=1, callbacks=[hook], verbose=0)
    assert hook.errors == []
    s = Store(tmp_path)
    s.reload()
    kinds = s.kinds("train")
    assert list(s.scalars("train", "epoch/loss").steps) == [1]
    assert not any(t.startswith(P.TAG_BATCH) for t in kinds[P.KIND_SCALARS])
    assert "weights/conv/kernel" in kinds[P.KIND_HISTOGRAMS]
    assert "kernels/conv" in kinds[P.KIND_KERNELS]
    assert P.KERAS_MODEL_TAG in kinds[P.KIND_KERAS_MODEL]
    assert "feature_maps/conv" in kinds[P.KIND_ACTIVATIONS]
    assert s.series(P.KIND_CONFUSION, "train", P.TAG_CONFUSION)[-1].value.sum() == len(x)
    assert P.KIND_CONFUSION not in s.kinds("validation")  # only the inference graph there


@pytest.mark.parametrize("kwargs", [{"update_freq": 0}, {"update_freq": "batch"},
                                    {"histogram_freq": -1}, {"eval_freq": 0.5}])
def test_bad_frequencies_are_refused_with_a_message(tmp_path, kwargs):
    with pytest.raises(InspectorError, match=next(iter(kwargs))):
        Inspector(tmp_path, **kwargs)
