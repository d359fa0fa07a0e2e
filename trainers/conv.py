"""The convolutional family: the MNIST CNN, LeNet-5 and the general ConvNet recipe.

Each ``build`` shows its shapes in comments; layer names (conv1, pool1, block2_conv3, fc1,
output) are what the graph and kernel views show. Never imports TensorFlow at module level
(``inspector train --list`` imports every trainer module and must stay fast).
"""

from dataclasses import dataclass

from inspector.errors import InspectorError
from trainers.common import OPTIMIZERS, RunDir, RunResult, TrainConfig, fit, load_dataset, option
from trainers.data import Dataset
from trainers.registry import register

IMAGE_SETS = ("mnist", "mnist5k", "cifar10", "shapes")  # the data sets these trainers take


@dataclass
class ConvTrainConfig(TrainConfig):
    """Defaults the convolutional trainers share: Adam at 0.001 (plain SGD at 0.01, the
    common default, barely moves these deeper nets in a few epochs)."""

    optimizer: str = option("adam", "gradient descent variant", choices=OPTIMIZERS)
    lr: float = option(0.001, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)


# --- cnn: the MNIST CNN --------------------------------------------------------------


@dataclass
class CnnConfig(ConvTrainConfig):
    dataset: str = option("mnist", "data set (offline: the shipped 5,000-digit subset)",
                          choices=IMAGE_SETS)
    dense: int = option(200, "units of the fully connected layer", minimum=1, quick=32)
    dropout: float = option(0.25, "dropout rate before the output layer", minimum=0)


def build_cnn(config: CnnConfig, dataset: Dataset):
    """conv 3x3 x12, conv 6x6 x24 stride 2, conv 6x6 x32 stride 2, dense 200, softmax."""
    import keras
    from keras import layers

    x = inputs = keras.Input(dataset.input_shape, name="image")                  # 28x28x1
    x = layers.Conv2D(12, 3, padding="same", activation="relu", name="conv1")(x)  # 28x28x12
    x = layers.Conv2D(24, 6, strides=2, padding="same", activation="relu",
                      name="conv2")(x)                                             # 14x14x24
    x = layers.Conv2D(32, 6, strides=2, padding="same", activation="relu",
                      name="conv3")(x)                                             # 7x7x32
    x = layers.Flatten(name="flatten")(x)                                          # 1568
    x = layers.Dense(config.dense, activation="relu", name="fc4")(x)               # 200
    x = layers.Dropout(config.dropout, name="dropout")(x)
    outputs = layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="cnn")


# --- lenet5: INPUT -> [CONV -> POOL] x2 -> FC -> OUTPUT ------------------------------


@dataclass
class LeNet5Config(ConvTrainConfig):
    dataset: str = option("mnist", "data set (offline: the shipped 5,000-digit subset)",
                          choices=IMAGE_SETS)
    activation: str = option("tanh", "activation of the hidden layers (LeCun used tanh)",
                             choices=("tanh", "relu", "sigmoid"))
    pooling: str = option("avg", "subsampling layers: avg (as in 1998) or max",
                          choices=("avg", "max"))


def build_lenet5(config: LeNet5Config, dataset: Dataset):
    """LeNet-5: C1 6@5x5, S2, C3 16@5x5, S4, F5 120, F6 84, output (shapes for 28x28)."""
    import keras
    from keras import layers

    act = config.activation
    pool = layers.AveragePooling2D if config.pooling == "avg" else layers.MaxPooling2D
    x = inputs = keras.Input(dataset.input_shape, name="image")                 # 28x28x1
    # 'same' pads 28x28 MNIST as LeCun padded his digits to 32x32.
    x = layers.Conv2D(6, 5, padding="same", activation=act, name="conv1")(x)    # 28x28x6
    x = pool(2, name="pool1")(x)                                                 # 14x14x6
    x = layers.Conv2D(16, 5, activation=act, name="conv2")(x)                    # 10x10x16
    x = pool(2, name="pool2")(x)                                                 # 5x5x16
    x = layers.Flatten(name="flatten")(x)                                        # 400
    x = layers.Dense(120, activation=act, name="fc1")(x)                         # 120
    x = layers.Dense(84, activation=act, name="fc2")(x)                          # 84
    outputs = layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="lenet5")


# --- convnet: INPUT -> [CONV+ -> POOL?]+ -> FC+ -> OUTPUT ----------------------------


@dataclass
class ConvNetConfig(ConvTrainConfig):
    dataset: str = option("mnist", "data set (offline: the shipped 5,000-digit subset)",
                          choices=IMAGE_SETS)
    blocks: int = option(2, "[CONV+ -> POOL?] blocks (depth)", minimum=1, quick=1)
    convs: int = option(2, "convolutions per block (depth)", minimum=1, quick=1)
    filters: int = option(32, "filters of block 1 (width); each next block doubles them",
                          minimum=1, quick=8)
    kernel_size: int = option(3, "kernel height and width", minimum=1)
    strides: int = option(1, "stride of every convolution", minimum=1)
    padding: str = option("same", "valid (no border; shrinks by kernel-1) or same",
                          choices=("valid", "same"))
    pool: str = option("max", "pooling after each block", choices=("max", "avg", "none"))
    pool_size: int = option(2, "pooling window and stride", minimum=1)
    fc: int = option(1, "fully connected hidden layers (depth)", minimum=0)
    units: int = option(128, "units per fully connected layer (width)", minimum=1, quick=32)
    dropout: float = option(0.25, "dropout rate before each fully connected layer",
                            minimum=0)


def build_convnet(config: ConvNetConfig, dataset: Dataset):
    """The recipe; e.g. --filters 128 --kernel-size 5 --strides 2: Conv2D(128, 5, 2, same)."""
    import keras
    from keras import layers

    _check_convnet_shapes(config, dataset.input_shape)
    x = inputs = keras.Input(dataset.input_shape, name="image")
    for b in range(1, config.blocks + 1):
        filters = config.filters * 2 ** (b - 1)
        for c in range(1, config.convs + 1):
            x = layers.Conv2D(filters, config.kernel_size, strides=config.strides,
                              padding=config.padding, activation="relu",
                              name=f"block{b}_conv{c}")(x)
        if config.pool != "none":
            pool = layers.MaxPooling2D if config.pool == "max" else layers.AveragePooling2D
            x = pool(config.pool_size, name=f"block{b}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for f in range(1, config.fc + 1):
        x = layers.Dropout(config.dropout, name=f"fc{f}_dropout")(x)
        x = layers.Dense(config.units, activation="relu", name=f"fc{f}")(x)
    outputs = layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="convnet")


def _check_convnet_shapes(config: ConvNetConfig, input_shape: tuple[int, ...]) -> None:
    """Raise InspectorError naming the layer where the image would shrink to nothing."""
    size = min(input_shape[:2])
    for b in range(1, config.blocks + 1):
        for c in range(1, config.convs + 1):
            size = _conv_out(size, config.kernel_size, config.strides, config.padding)
            if size < 1:
                raise InspectorError(
                    f"convnet: the {input_shape[0]}x{input_shape[1]} image shrinks to nothing "
                    f"at block{b}_conv{c}; use fewer --blocks or --convs, --padding same, "
                    "a smaller --kernel-size or --strides 1")
        if config.pool != "none":
            size //= config.pool_size
            if size < 1:
                raise InspectorError(
                    f"convnet: the image shrinks to nothing at block{b}_pool; use fewer "
                    "--blocks, a smaller --pool-size or --pool none")


def _conv_out(size: int, kernel: int, strides: int, padding: str) -> int:
    if padding == "same":
        return -(-size // strides)
    return (size - kernel) // strides + 1


def receptive_field(model) -> int:
    """Input pixels (per side) one unit of the last convolution or pooling layer sees.

    Two stacked 3x3 convolutions see 5x5, as far as one 5x5 convolution does.
    """
    field, jump = 1, 1
    for layer in model.layers:
        kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        if kernel is None:
            continue
        field += (kernel[0] - 1) * jump
        jump *= layer.strides[0]
    return field


# --- training ------------------------------------------------------------------------


def train_cnn(config: CnnConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build_cnn(config, dataset), dataset, config, run)


def train_lenet5(config: LeNet5Config, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build_lenet5(config, dataset), dataset, config, run)


def train_convnet(config: ConvNetConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    model = build_convnet(config, dataset)
    field = receptive_field(model)
    print(f"convnet: one unit of the last convolution or pooling layer sees {field}x{field} "
          "input pixels (its receptive field)", flush=True)
    return fit(model, dataset, config, run)


register("cnn", summary="MNIST CNN: conv 3x3x12, 6x6x24/2, 6x6x32/2, dense 200, softmax 10",
         family="convolutional", config_cls=CnnConfig, build=build_cnn, train=train_cnn)
register("lenet5", summary="LeNet-5: [conv 5x5 -> pool] x2 -> fc 120, 84 -> softmax",
         family="convolutional", config_cls=LeNet5Config, build=build_lenet5,
         train=train_lenet5)
register("convnet", summary="INPUT -> [CONV+ -> POOL?]+ -> FC+ -> OUTPUT; kernel, stride, "
         "padding, pooling, depth and width are options", family="convolutional",
         config_cls=ConvNetConfig, build=build_convnet, train=train_convnet)
