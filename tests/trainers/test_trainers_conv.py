"""The convolutional family: cnn, lenet5, convnet, resnet, inception, transfer.

Shapes and parameter counts are checked on built models; convolution mechanics through the
hook's own layer-output path (``inspector.probes``) and back out of the logdir; every
trainer end to end with ``--quick`` through ``inspector train``.
"""

import os

import numpy as np
import pytest

from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.store import Store

os.environ["INSPECTOR_OFFLINE"] = "1"
keras = pytest.importorskip("keras")

from inspector import cli, probes  # noqa: E402  (probes imports TensorFlow)
from inspector.layer_summaries import log_layer_outputs  # noqa: E402
from inspector.summary import SummaryWriter  # noqa: E402
from trainers import conv, data, inception, resnet, transfer  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return data.load("mnist5k", limit=200)


@pytest.fixture(scope="module")
def shapes():
    return data.load("shapes", limit=200, size=400)


# ----- cnn, lenet5, convnet ---------------------------------------------------------------


def test_mnist_cnn_has_the_stated_kernel_shapes_and_strides(digits):
    model = conv.build_cnn(conv.CnnConfig(), digits)
    shapes = {name: tuple(model.get_layer(name).kernel.shape) for name in
              ("conv1", "conv2", "conv3", "fc4", "output")}
    assert shapes == {"conv1": (3, 3, 1, 12), "conv2": (6, 6, 12, 24),
                      "conv3": (6, 6, 24, 32), "fc4": (1568, 200), "output": (200, 10)}
    strides = [model.get_layer(n).strides for n in ("conv1", "conv2", "conv3")]
    assert strides == [(1, 1), (2, 2), (2, 2)]
    assert model.get_layer("conv3").output.shape[1:] == (7, 7, 32)


def test_lenet5_is_conv_pool_twice_then_fully_connected(digits):
    model = conv.build_lenet5(conv.LeNet5Config(), digits)
    names = [layer.name for layer in model.layers[1:]]
    assert names == ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "output"]
    assert [model.get_layer(n).output.shape[1:] for n in ("conv1", "pool1", "conv2", "pool2")] \
        == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16)]


def test_convnet_recipe_builds_the_example_layer(digits):
    # The recipe's example: Conv2D(128, 5, strides 2, same) then MaxPooling2D(2).
    config = conv.ConvNetConfig(blocks=1, convs=1, filters=128, kernel_size=5, strides=2,
                                padding="same", pool="max", pool_size=2)
    model = conv.build_convnet(config, digits)
    layer = model.get_layer("block1_conv1")
    assert tuple(layer.kernel.shape) == (5, 5, 1, 128) and layer.strides == (2, 2)
    assert layer.output.shape[1:] == (14, 14, 128)
    assert model.get_layer("block1_pool").output.shape[1:] == (7, 7, 128)


def test_two_3x3_convolutions_see_as_far_as_one_5x5(digits):
    def field(kernel_size, convs):
        config = conv.ConvNetConfig(blocks=1, convs=convs, kernel_size=kernel_size,
                                    pool="none", filters=4)
        return conv.receptive_field(conv.build_convnet(config, digits))

    assert field(3, 2) == field(5, 1) == 5


def test_convnet_names_the_layer_where_valid_padding_runs_out_of_image(digits):
    config = conv.ConvNetConfig(blocks=3, convs=3, kernel_size=5, padding="valid")
    with pytest.raises(InspectorError, match="block2_conv"):
        conv.build_convnet(config, digits)


def test_convolution_and_max_pooling_reproduce_the_worked_example(tmp_path):
    """Cross-correlation, valid padding, stride 1, computed by the hook's own layer-output
    recorder (inspector.probes), logged as feature maps by the hook's own call
    (inspector.layer_summaries), and read back from the logdir by the store."""
    image = np.array([[0.4, 0.9, 0.1], [0.7, 0.2, 0.6], [0.8, 0.3, 0.5]], np.float32)
    weights = np.array([[5.7, 2.4], [3.1, 0.9]], np.float32)
    # The material prints 7.67 bottom left, but its own products give 7.22:
    # 0.7*5.7 + 0.2*2.4 + 0.8*3.1 + 0.3*0.9 = 3.99 + 0.48 + 2.48 + 0.27. (7.67 takes 0.8
    # instead of 0.3 in the last product.) The other three entries match the material.
    expected = np.array([[6.79, 6.53], [7.22, 3.96]], np.float32)
    by_hand = [[np.sum(image[i:i + 2, j:j + 2] * weights) for j in range(2)] for i in range(2)]
    np.testing.assert_allclose(by_hand, expected, atol=1e-6)

    inputs = keras.Input((3, 3, 1))
    x = keras.layers.Conv2D(1, 2, padding="valid", use_bias=False, name="conv")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    model = keras.Model(inputs, x)
    model.get_layer("conv").kernel.assign(weights[:, :, None, None])

    outputs = probes.LayerRecorder(model)(image[None, :, :, None])
    np.testing.assert_allclose(outputs["conv"][0, :, :, 0], expected, atol=1e-5)
    assert outputs["pool"][0, 0, 0, 0] == pytest.approx(7.22, abs=1e-5)  # the window's max

    with SummaryWriter(tmp_path / "run") as writer:
        log_layer_outputs(writer, model, outputs, step=0)
    store = Store(tmp_path)
    store.reload()
    [logged] = store.series(P.KIND_ACTIVATIONS, "run", P.TAG_FEATURE_MAPS + "conv")
    np.testing.assert_allclose(logged.value[0, :, :, 0], expected, atol=0.01)  # float16

    # Max pooling 2x2 keeps the maximum of each window.
    grid = np.arange(16, dtype=np.float32).reshape(4, 4)[::-1] * np.array([1, -1, 1, -1])
    inputs = keras.Input((4, 4, 1))
    pool = keras.Model(inputs, keras.layers.MaxPooling2D(2, name="pool")(inputs))
    pooled = probes.LayerRecorder(pool)(grid[None, :, :, None])["pool"][0, :, :, 0]
    windows = grid.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(2, 2, 4)
    np.testing.assert_array_equal(pooled, windows.max(axis=-1))


# ----- resnet -----------------------------------------------------------------------------


def resnet_parameters(n: int, plain: bool, channels: int = 3, classes: int = 10) -> int:
    """The 6n+2 design counted by hand: a 3x3 convolution (16), three stages of n blocks of
    two 3x3 convolutions (16, 32, 64 filters), each followed by batch normalization (4
    numbers per channel: gamma, beta, moving mean and variance), convolutions without bias;
    a 1x1 projection (+ BN) where a stage widens, unless plain; a dense softmax on 64."""
    def conv_bn(k, c_in, c_out):
        return k * k * c_in * c_out + 4 * c_out

    total, c_in = conv_bn(3, channels, 16), 16
    for filters in (16, 32, 64):
        for _ in range(n):
            total += conv_bn(3, c_in, filters) + conv_bn(3, filters, filters)
            if not plain and c_in != filters:
                total += conv_bn(1, c_in, filters)
            c_in = filters
    return total + 64 * classes + classes


@pytest.mark.parametrize("depth, paper_millions", [(20, 0.27), (32, 0.46)])
def test_resnet_parameter_count_matches_the_6n_plus_2_design(shapes, depth, paper_millions):
    n = (depth - 2) // 6
    for plain in (False, True):
        model = resnet.build(resnet.ResNetConfig(depth=depth, plain=plain), shapes)
        assert model.count_params() == resnet_parameters(n, plain)
        weighted = [layer for layer in probes.layer_paths(model).values()
                    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
                    and not layer.name.startswith("shortcut")]
        assert len(weighted) == depth  # the depth counts 3x3 convolutions and the dense layer
    assert model.count_params() / 1e6 == pytest.approx(paper_millions, rel=0.03)


def test_resnet_blocks_nest_their_layers_and_plain_drops_the_shortcuts(shapes):
    residual = probes.layer_paths(resnet.build(resnet.ResNetConfig(depth=8), shapes))
    plain = probes.layer_paths(resnet.build(resnet.ResNetConfig(depth=8, plain=True), shapes))
    assert {"stage1_block1/conv1", "stage1_block1/add", "stage2_block1/shortcut"} <= set(residual)
    assert not [p for p in plain if p.endswith(("/add", "/shortcut"))]


def test_resnet_refuses_a_depth_that_is_not_6n_plus_2():
    with pytest.raises(InspectorError, match="6n\\+2"):
        resnet.blocks_per_stage(21)


# ----- inception --------------------------------------------------------------------------


def test_inception_modules_concatenate_four_branches_and_heads_branch_off(shapes):
    model = inception.build(inception.InceptionConfig(width=0.125), shapes)
    paths = probes.layer_paths(model)
    branches = ["branch_1x1", "branch_3x3", "branch_5x5", "branch_pool_proj"]
    module = paths["inception_3a"]
    assert module.output.shape[-1] == sum(paths[f"inception_3a/{b}"].filters for b in branches)
    assert tuple(paths["inception_3a/branch_5x5"].kernel.shape[:2]) == (5, 5)
    assert {"aux1/output", "aux2/output"} <= set(paths)  # after 4a and after 4d
    assert model.output_shape == (None, 10)  # the heads are for training only


def test_inception_auxiliary_heads_add_their_loss_while_training(shapes):
    # The untrained head's loss depends on its initial weights (2.6 to 3.4 over seeds 0-5):
    # seeded, so the test does not depend on what ran before it.
    keras.utils.set_random_seed(0)
    config = inception.InceptionConfig(modules=3, width=0.125)
    model = inception.build(config, shapes)
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = shapes.x_train[:32], shapes.y_train[:32]
    predictions = model(x, training=True)
    with_heads = float(model.compute_loss(x, y, predictions, training=True))
    main_only = float(model.compute_loss(x, y, predictions, training=False))
    # One untrained head over 10 classes: cross-entropy near ln 10, weighted 0.3.
    assert (with_heads - main_only) / config.aux_weight == pytest.approx(np.log(10), abs=0.7)

    main, _ = model.with_heads(x, training=False)  # inference leaves the heads out
    np.testing.assert_allclose(model(x, training=False), main, atol=1e-6)


def test_keras_inceptionv3_builds_without_weights_for_graph_inspection(shapes):
    model = inception.build(inception.InceptionConfig(keras_inceptionv3=True), shapes)
    names = {layer.name for layer in model.layers}
    assert {f"mixed{i}" for i in range(11)} <= names
    assert 300 < len(model.layers) < 330  # 313 here
    assert model.count_params() == pytest.approx(21.8e6, rel=0.01)


# ----- transfer ---------------------------------------------------------------------------


def test_transfer_tasks_split_the_classes(digits):
    first = transfer.task(digits, range(0, 5))
    second = transfer.task(digits, range(5, 10))
    assert set(first.y_train) == set(second.y_train) == set(range(5))
    assert second.class_names == ["5", "6", "7", "8", "9"]
    assert len(first.x_train) + len(second.x_train) == len(digits.x_train)


def test_transfer_loads_a_users_application_weights_and_trains_only_the_head(tmp_path, shapes):
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3),
                                    pooling="avg")
    path = tmp_path / "vgg16_notop.weights.h5"
    base.save_weights(path)
    saved = [np.array(w) for w in base.get_weights()]
    config = transfer.TransferConfig(application="VGG16", weights=str(path), units=8)
    model, prepared = transfer.build_application(config, shapes)
    frozen = model.get_layer("vgg16")
    assert all(np.array_equal(a, b) for a, b in zip(saved, frozen.get_weights(), strict=True))
    head = model.get_layer("head")
    before = [np.array(w) for w in head.get_weights()]
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(prepared.x_train[:16], prepared.y_train[:16], epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(saved, frozen.get_weights(), strict=True))
    assert not np.allclose(before[0], head.get_weights()[0])


def test_transfer_without_weights_says_what_to_give(shapes):
    config = transfer.TransferConfig(application="VGG16")
    with pytest.raises(InspectorError, match="--weights"):
        transfer.build_application(config, shapes)


# ----- every trainer end to end -----------------------------------------------------------


def train_quick(name, logdir, *options) -> Store:
    assert cli.main(["train", name, "--quick", "--logdir", str(logdir), "--no-progress",
                     *options]) == 0
    store = Store(logdir)
    store.reload()
    return store


def kernel_tags(store, run_suffix):
    [run] = [r for r in store.runs() if r.endswith(run_suffix)]
    return run, set(store.tags(P.KIND_KERNELS, run)[run])


@pytest.mark.parametrize("name, kernels", [
    ("cnn", {"conv1", "conv2", "conv3", "fc4", "output"}),
    ("lenet5", {"conv1", "conv2", "fc1", "fc2", "output"}),
    ("convnet", {"block1_conv1", "fc1", "output"}),
    ("resnet", {"conv1", "stage1_block1/conv2", "stage3_block1/shortcut", "output"}),
    ("inception", {"conv1", "inception_3a/branch_5x5", "inception_4a/branch_pool_proj",
                   "aux1/fc", "output"}),
])
def test_each_trainer_runs_quick_and_logs_kernels_by_layer_name(tmp_path, name, kernels):
    store = train_quick(name, tmp_path)
    run, tags = kernel_tags(store, "/train")
    assert {P.TAG_KERNELS + k for k in kernels} <= tags
    assert any(r.endswith("/validation") for r in store.runs())
    for layer in kernels:  # every layer learns, the auxiliary head too
        first, *_, last = store.series(P.KIND_KERNELS, run, P.TAG_KERNELS + layer)
        assert not np.array_equal(first.value, last.value), layer


def test_transfer_logs_show_the_frozen_base_still_and_the_head_moving(tmp_path):
    store = train_quick("transfer", tmp_path)

    def first_and_last(run, layer):
        points = store.series(P.KIND_KERNELS, run, P.TAG_KERNELS + layer)
        assert len(points) >= 2, f"{run}: {layer} logged {len(points)} times"
        return points[0].value, points[-1].value

    pretrain, _ = kernel_tags(store, "pretrain/train")
    finetune, _ = kernel_tags(store, "finetune/train")
    start, end = first_and_last(pretrain, "base/conv1")
    assert not np.array_equal(start, end)  # the base learns on digits 0-4
    tuned_start, tuned_end = first_and_last(finetune, "base/conv1")
    np.testing.assert_array_equal(tuned_start, end)  # ... is handed over as it was
    np.testing.assert_array_equal(tuned_end, tuned_start)  # ... and stays frozen on 5-9
    for layer in ("base/conv2",):
        np.testing.assert_array_equal(*first_and_last(finetune, layer))
    for layer in ("head/fc", "head/output"):
        assert not np.array_equal(*first_and_last(finetune, layer))
