"""Multi-layer perceptrons: mlp, deep_mlp, regression and the Playground.

Every model is a stack of named Dense layers (dense1, dense2, ..., output) trained by
``trainers.common.fit`` with the logging hook. TensorFlow is imported inside the functions,
never at module import (``inspector train --list`` imports this module).
"""

from dataclasses import dataclass, replace

import numpy as np

from trainers import boundary
from trainers.common import OPTIMIZERS, RunDir, RunResult, TrainConfig, fit, load_dataset, option
from trainers.data import Dataset
from trainers.registry import register

ACTIVATIONS = ("linear", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu")
CLASSIFICATION_SETS = ("mnist", "mnist5k", "shapes", "cifar10", "circle", "xor", "gauss",
                       "spiral")
PLAYGROUND_SETS = ("circle", "xor", "gauss", "spiral")
# The Playground's input features, each a function of the point (x1, x2).
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def activation(name: str):
    """A Keras activation for ``name``. "step" is the hard threshold 1[x >= 0]: its
    derivative is zero wherever it exists, so the layers below it get zero gradients and
    never learn (only the layers above do); that is the lesson it is there to show."""
    if name != "step":
        return name
    import keras

    def step(x):
        # 0 * x keeps a (zero) gradient path, so Keras sees gradients, not None.
        return keras.ops.stop_gradient(keras.ops.cast(x >= 0, x.dtype)) + 0.0 * x

    return step


def dense_stack(x, *, depth: int, width: int, activation_name: str, dropout: float = 0.0):
    """``depth`` Dense layers of ``width`` units (dense1, dense2, ...), each followed by
    dropout (dropout1, ...) when ``dropout`` > 0."""
    import keras

    for i in range(1, depth + 1):
        x = keras.layers.Dense(width, activation=activation(activation_name), name=f"dense{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    return x


# ----- mlp --------------------------------------------------------------------------------


@dataclass
class MlpConfig(TrainConfig):
    dataset: str = option("mnist", "classification data set", choices=CLASSIFICATION_SETS)
    epochs: int = option(10, "passes over the training set", minimum=1, quick=3)
    batch_size: int = option(100, "examples per gradient step", minimum=1, quick=32)
    lr: float = option(0.1, "learning rate (the initial one when --lr-decay is set)", minimum=0)
    activation: str = option("relu", "activation of the hidden layers", choices=ACTIVATIONS)
    depth: int = option(2, "hidden layers", minimum=0)
    width: int = option(100, "units per hidden layer", minimum=1, quick=32)
    dropout: float = option(0.0, "dropout rate after each hidden layer", minimum=0)


def build_mlp(config: MlpConfig, dataset: Dataset):
    """input (flattened) -> depth x Dense(width, activation) -> Dense(classes, softmax)."""
    import keras

    x = inputs = keras.Input(dataset.input_shape, name="input")
    x = keras.layers.Flatten(name="flatten")(x)                                # [batch, 784]
    x = dense_stack(x, depth=config.depth, width=config.width,
                    activation_name=config.activation, dropout=config.dropout)  # [batch, width]
    outputs = keras.layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="mlp")


def train_mlp(config: MlpConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build_mlp(config, dataset), dataset, config, run)


# ----- deep_mlp ---------------------------------------------------------------------------


@dataclass
class DeepMlpConfig(TrainConfig):
    dataset: str = option("mnist", "data set of 28x28 digits (offline: the shipped subset)",
                          choices=("mnist", "mnist5k"))
    epochs: int = option(30, "passes over the training set", minimum=1, quick=2)
    optimizer: str = option("adam", "gradient descent variant",
                            choices=OPTIMIZERS)
    lr: float = option(0.003, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    lr_decay: float = option(2000.0, "decay time tau in steps: lr = lr0 * 10^(-step/tau); "
                             "0 keeps the learning rate constant", minimum=0)
    dropout: float = option(0.25, "dropout rate after each hidden layer (keep 0.75)", minimum=0)


def build_deep_mlp(config: DeepMlpConfig, dataset: Dataset):
    """784 -> 200 relu -> 60 relu -> 10 softmax, dropout after each hidden layer."""
    import keras

    x = inputs = keras.Input(dataset.input_shape, name="image")           # [batch, 28, 28, 1]
    x = keras.layers.Flatten(name="flatten")(x)                            # [batch, 784]
    x = keras.layers.Dense(200, activation="relu", name="dense1")(x)       # [batch, 200]
    x = keras.layers.Dropout(config.dropout, name="dropout1")(x)
    x = keras.layers.Dense(60, activation="relu", name="dense2")(x)        # [batch, 60]
    x = keras.layers.Dropout(config.dropout, name="dropout2")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="output")(x)  # [batch, 10]
    return keras.Model(inputs, outputs, name="deep_mlp")


def train_deep_mlp(config: DeepMlpConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build_deep_mlp(config, dataset), dataset, config, run)


# ----- regression -------------------------------------------------------------------------


@dataclass
class RegressionConfig(TrainConfig):
    dataset: str = option("regression", "regression data set (conditions -> temperature)",
                          choices=("regression",))
    epochs: int = option(30, "passes over the training set", minimum=1, quick=2)
    batch_size: int = option(32, "examples per gradient step", minimum=1)
    optimizer: str = option("adam", "gradient descent variant",
                            choices=OPTIMIZERS)
    lr: float = option(0.003, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    activation: str = option("relu", "activation of the hidden layers", choices=ACTIVATIONS)
    depth: int = option(2, "hidden layers", minimum=0)
    width: int = option(32, "units per hidden layer", minimum=1, quick=16)


def build_regression(config: RegressionConfig, dataset: Dataset):
    """features [batch, 6] -> depth x Dense(width) -> Dense(1) (linear): the temperature."""
    import keras

    x = inputs = keras.Input(dataset.input_shape, name="conditions")
    x = dense_stack(x, depth=config.depth, width=config.width, activation_name=config.activation)
    outputs = keras.layers.Dense(1, name="temperature")(x)                 # [batch, 1]
    return keras.Model(inputs, outputs, name="regression")


def train_regression(config: RegressionConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    result = fit(build_regression(config, dataset), dataset, config, run)
    # Targets are standardized; report the mean absolute error in degrees as well.
    result.metrics["mae_celsius"] = result.metrics["mae"] * dataset.extras["target_std"]
    return result


# ----- playground -------------------------------------------------------------------------


@dataclass
class PlaygroundConfig(TrainConfig):
    dataset: str = option("circle", "2-D data set", choices=PLAYGROUND_SETS)
    noise: float = option(0.0, "label noise of the data set, 0 to 0.5", minimum=0)
    features: tuple[str, ...] = option(("x1", "x2"), "input features, comma-separated",
                                       choices=tuple(FEATURES))
    depth: int = option(2, "hidden layers", minimum=0)
    width: int = option(4, "neurons per hidden layer", minimum=1)
    activation: str = option("tanh", "activation of the hidden layers", choices=ACTIVATIONS)
    epochs: int = option(50, "passes over the training set", minimum=1, quick=5)
    batch_size: int = option(10, "examples per gradient step", minimum=1)
    lr: float = option(0.03, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0, quick=0.1)


def feature_matrix(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """[n, len(names)] float32: the named features of each point (x1, x2)."""
    x1, x2 = points[:, 0], points[:, 1]
    return np.stack([FEATURES[name](x1, x2) for name in names], axis=1).astype(np.float32)


def build_playground(config: PlaygroundConfig, dataset: Dataset):
    """features [batch, k] -> depth x Dense(width, activation) -> Dense(1, sigmoid)."""
    import keras

    x = inputs = keras.Input((len(config.features),), name="features")
    x = dense_stack(x, depth=config.depth, width=config.width, activation_name=config.activation)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(x)  # p(class 1)
    return keras.Model(inputs, outputs, name="playground")


def _output_range(name: str, values: np.ndarray) -> tuple[float, float]:
    if name == "tanh":
        return -1.0, 1.0
    if name in ("sigmoid", "step"):
        return 0.0, 1.0
    top = float(np.max(np.abs(values))) or 1.0
    return -top, top


def playground_samples(config: PlaygroundConfig, points: np.ndarray, labels: np.ndarray):
    """``samples`` for the hook, after every epoch: the decision boundary over the plane with
    the training points (``samples/decision_boundary``), each input feature's map
    (``samples/features``) and each hidden neuron's output map (``samples/neurons/denseN``,
    one image per neuron), as the TensorFlow Playground draws them."""
    grid = boundary.grid_points()
    grid_features = feature_matrix(grid, config.features)
    hidden = [f"dense{i}" for i in range(1, config.depth + 1)]
    probe = None

    def samples(model, step: int) -> dict:
        nonlocal probe
        import keras

        if probe is None:
            outputs = [model.get_layer(name).output for name in hidden] + [model.output]
            probe = keras.Model(model.input, outputs)
        *layer_values, p = probe.predict(grid_features, batch_size=4096, verbose=0)
        out = {"decision_boundary": boundary.decision_image(
            p[:, 0], points=points, labels=labels)[None]}
        if step <= 1:  # the input features never change
            out["features"] = boundary.output_maps(grid_features,
                                                   *_output_range("", grid_features))
        for name, values in zip(hidden, layer_values, strict=True):
            out[f"neurons/{name}"] = boundary.output_maps(
                values, *_output_range(config.activation, values))
        return out

    return samples


def train_playground(config: PlaygroundConfig, run: RunDir) -> RunResult:
    raw = load_dataset(config, noise=config.noise)
    dataset = replace(raw, input_shape=(len(config.features),),
                      **{f"x_{part}": feature_matrix(getattr(raw, f"x_{part}"), config.features)
                         for part in ("train", "val", "test")})
    return fit(build_playground(config, dataset), dataset, config, run,
               samples=playground_samples(config, raw.x_train, raw.y_train))


register("mlp", family="dense", config_cls=MlpConfig, build=build_mlp, train=train_mlp,
         summary="dense network; activation linear, step, sigmoid, tanh, relu, leaky_relu, elu "
         "(compare them with --sweep activation=...)")
register("playground", family="dense", config_cls=PlaygroundConfig, build=build_playground,
         train=train_playground,
         summary="TensorFlow Playground: small nets on circle/xor/gauss/spiral; features, "
         "depth, width; decision boundary and neuron maps per epoch")
register("regression", family="dense", config_cls=RegressionConfig, build=build_regression,
         train=train_regression,
         summary="dense regression with mean squared error: weather conditions -> temperature")
register("deep_mlp", family="dense", config_cls=DeepMlpConfig, build=build_deep_mlp,
         train=train_deep_mlp,
         summary="MNIST 784-200-60-10, relu, dropout, softmax (reported error 1.7-2.1 %)")
