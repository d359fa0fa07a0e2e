"""Residual networks for 32x32 colour images (He et al. 2015, section 4.2) and their plain twins.

ResNet-(6n+2): a 3x3 convolution with 16 filters, three stages of n residual blocks (two 3x3
convolutions each) with 16, 32 and 64 filters on 32x32, 16x16 and 8x8 maps, global average
pooling and a softmax. ``--plain`` builds the same convolutions without shortcuts, to see the
paper's finding: deeper plain nets train worse, deeper residual nets better. The paper
trained with SGD, momentum 0.9, learning rate 0.1 and weight decay 1e-4 (``--optimizer
momentum --lr 0.1 --l2 1e-4``); the default here is Adam at 0.001, which gets further in the
few epochs a CPU affords. Never imports TensorFlow at module level.
"""

from dataclasses import dataclass

from inspector.errors import InspectorError
from trainers.common import RunDir, RunResult, fit, load_dataset, option
from trainers.conv import IMAGE_SETS, ConvTrainConfig
from trainers.data import Dataset
from trainers.registry import register

PAPER_DEPTHS = (20, 32, 44, 56, 110)
STAGE_FILTERS = (16, 32, 64)


@dataclass
class ResNetConfig(ConvTrainConfig):
    dataset: str = option("shapes", "data set: shapes (generated 32x32 colour, offline) or "
                          "cifar10", choices=IMAGE_SETS)
    depth: int = option(20, "layers, 6n+2: 20, 32, 44, 56 or 110 as in the paper (8 is n=1)",
                        minimum=8, quick=8)
    plain: bool = option(False, "same depth without shortcut connections")
    epochs: int = option(10, "passes over the training set", minimum=1, quick=1)
    limit: int | None = option(None, "use at most N training examples (none: all)",
                               minimum=1, quick=300)

    def __post_init__(self) -> None:
        super().__post_init__()
        blocks_per_stage(self.depth)  # a bad depth fails before any data is loaded


def blocks_per_stage(depth: int) -> int:
    """n of a 6n+2-layer network; InspectorError for any other depth."""
    if depth < 8 or (depth - 2) % 6:
        raise InspectorError(f"resnet: --depth must be 6n+2 with n >= 1 (e.g. "
                             f"{', '.join(map(str, PAPER_DEPTHS))}), not {depth}")
    return (depth - 2) // 6


def build(config: ResNetConfig, dataset: Dataset):
    """conv1 16@3x3 -> stage1 (n blocks, 16) -> stage2 (32, /2) -> stage3 (64, /2) -> pool."""
    import keras
    from keras import layers

    n = blocks_per_stage(config.depth)
    x = inputs = keras.Input(dataset.input_shape, name="image")             # 32x32x3
    x = _conv_bn(x, 16, 3, 1, "conv1")                                       # 32x32x16
    x = layers.ReLU(name="conv1_relu")(x)
    for stage, filters in enumerate(STAGE_FILTERS, start=1):                # 32, 16, 8 px
        for block in range(1, n + 1):
            strides = 2 if stage > 1 and block == 1 else 1
            x = block_model(x.shape[1:], filters, strides, config.plain,
                            f"stage{stage}_block{block}")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)                        # 64
    outputs = layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    kind = "plain" if config.plain else "resnet"
    return keras.Model(inputs, outputs, name=f"{kind}{config.depth}")


def block_model(input_shape, filters: int, strides: int, plain: bool, name: str):
    """Two 3x3 convolutions, y = relu(F(x) + x) (or relu(F(x)) when plain), as one nested
    model so the graph shows ``stage2_block1`` opening into conv1, conv2 and the shortcut."""
    import keras
    from keras import layers

    x = keras.Input(input_shape, name="input")
    y = _conv_bn(x, filters, 3, strides, "conv1")
    y = layers.ReLU(name="relu1")(y)
    y = _conv_bn(y, filters, 3, 1, "conv2")
    if not plain:
        shortcut = x
        if strides != 1 or input_shape[-1] != filters:
            # Projection shortcut (the paper's option B) where the shape changes.
            shortcut = _conv_bn(x, filters, 1, strides, "shortcut")
        y = layers.Add(name="add")([shortcut, y])
    return keras.Model(x, layers.ReLU(name="relu2")(y), name=name)


def _conv_bn(x, filters: int, kernel: int, strides: int, name: str):
    from keras import layers

    # No bias: the batch normalization right after has its own shift (beta).
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                      kernel_initializer="he_normal", name=name)(x)
    # Momentum 0.9 (PyTorch's 0.1) rather than Keras' 0.99: in runs of a few dozen steps
    # the moving statistics must catch up, or validation lags far behind training.
    return layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)


def train(config: ResNetConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build(config, dataset), dataset, config, run)


register("resnet", summary="ResNet-20/32/44/56/110 (6n+2) for 32x32 colour images; --plain "
         "drops the shortcuts", family="convolutional", config_cls=ResNetConfig, build=build,
         train=train)
