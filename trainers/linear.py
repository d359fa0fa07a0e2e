"""Linear models and single neurons: perceptron, neuron, logistic, softmax.

The perceptron is a custom TensorFlow loop with the classic rule and logs through the
low-level writer; the others are Keras models trained by ``trainers.common.fit`` with the
logging hook. TensorFlow is imported inside the functions, never at module import.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from inspector.events import plugins as P
from inspector.kinds import kernels
from trainers import boundary
from trainers.common import (
    RunDir,
    RunResult,
    TrainConfig,
    finish_run,
    fit,
    load_dataset,
    option,
)
from trainers.registry import register

TWO_D_SETS = ("linear", "gauss", "circle", "xor", "spiral")

# ----- perceptron ------------------------------------------------------------------------


@dataclass
class PerceptronConfig(TrainConfig):
    dataset: str = option("linear", "2-D data set (labels are mapped to +1/-1)",
                          choices=TWO_D_SETS)
    epochs: int = option(100, "at most this many passes; training stops at the first pass "
                         "without an update", minimum=1)
    lr: float = option(1.0, "eta, the step of the rule w <- w + eta * y * x", minimum=0)
    max_logged_updates: int = option(2000, "log w after each of the first N updates "
                                     "(the epoch summaries are always logged)",
                                     minimum=0, hparam=False)


@dataclass
class PerceptronFit:
    """Outcome of the perceptron rule: ``w`` = (w1, ..., wd, theta) for inputs extended by
    the constant -1, so the decision is ``sign(w[:-1] . x - theta)``."""

    w: np.ndarray
    epochs: int
    updates: int
    converged: bool
    errors_per_epoch: list[int]


def perceptron_rule(
    x: np.ndarray,
    y: np.ndarray,
    *,
    eta: float = 1.0,
    max_epochs: int = 100,
    on_update: Callable[[int, np.ndarray, int], None] | None = None,
    on_epoch: Callable[[int, int, np.ndarray], None] | None = None,
) -> PerceptronFit:
    """Rosenblatt's rule, as a TensorFlow loop: w starts at zero; for each example in order,
    if ``y_i * <x_i, w> <= 0`` then ``w <- w + eta * y_i * x_i``, where ``x_i`` carries an
    extra constant component -1 (so the last weight is the threshold theta). Passes repeat
    until one makes no update, or ``max_epochs``. Labels must be +1/-1.

    ``on_update(update_number, w, example_index)`` runs after every update,
    ``on_epoch(epoch, updates_in_epoch, w)`` after every pass."""
    import tensorflow as tf

    labels = np.asarray(y)
    if not set(np.unique(labels)) <= {-1, 1}:
        raise ValueError("perceptron labels must be +1 or -1")
    xa = np.concatenate([np.asarray(x, np.float32), -np.ones((len(x), 1), np.float32)], axis=1)
    w = tf.Variable(tf.zeros(xa.shape[1]), name="w")
    step = _perceptron_step(w, tf.constant(eta, tf.float32))
    updates, errors_per_epoch, converged = 0, [], False
    for epoch in range(1, max_epochs + 1):
        errors = 0
        for i in range(len(xa)):
            if bool(step(tf.constant(xa[i]), tf.constant(float(labels[i])))):
                errors += 1
                updates += 1
                if on_update:
                    on_update(updates, w.numpy(), i)
        errors_per_epoch.append(errors)
        if on_epoch:
            on_epoch(epoch, errors, w.numpy())
        if errors == 0:
            converged = True
            break
    return PerceptronFit(w.numpy(), len(errors_per_epoch), updates, converged, errors_per_epoch)


def _perceptron_step(w, eta):
    """The update of one example as a tf.function (its graph is what the graph view shows)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([w.shape[0]], tf.float32, name="x"),
                                  tf.TensorSpec([], tf.float32, name="y")])
    def perceptron_step(x, y):
        with tf.name_scope("margin"):
            margin = y * tf.tensordot(x, w, 1)
        mistake = margin <= 0.0
        with tf.name_scope("update"):
            w.assign_add(tf.where(mistake, eta * y, 0.0) * x)
        return mistake

    return perceptron_step


def train_perceptron(config: PerceptronConfig, run: RunDir) -> RunResult:
    import tensorflow as tf

    from inspector.evaluation import log_evaluation
    from inspector.graph_trace import function_graph
    from inspector.grids import matrix_image
    from inspector.summary import SummaryWriter

    started = time.perf_counter()
    ds = load_dataset(config)
    signs = {part: np.where(getattr(ds, f"y_{part}") > 0, 1, -1)
             for part in ("train", "val", "test")}
    grid = boundary.grid_points()

    def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.where(x @ w[:-1] - w[-1] > 0, 1, -1)

    with SummaryWriter(run.train) as train_w, SummaryWriter(run.validation) as val_w:
        w0 = np.zeros(ds.x_train.shape[1] + 1, np.float32)
        step_fn = _perceptron_step(tf.Variable(w0, name="w"), tf.constant(1.0))
        train_w.graph_def(function_graph(step_fn, *step_fn.input_signature))
        names = [f"w{j + 1}" for j in range(len(w0) - 1)] + ["theta"]

        def on_update(n: int, w: np.ndarray, i: int) -> None:
            if n <= config.max_logged_updates:
                for name, value in zip(names, w, strict=True):
                    train_w.scalar(f"updates/{name}", float(value), n)

        def on_epoch(epoch: int, errors: int, w: np.ndarray) -> None:
            train_w.scalar(P.TAG_EPOCH + "updates", errors, epoch)
            for writer, part in ((train_w, "train"), (val_w, "val")):
                x = getattr(ds, f"x_{part}")
                accuracy = float(np.mean(predict(w, x) == signs[part]))
                writer.scalar(P.TAG_EPOCH + "accuracy", accuracy, epoch)
            train_w.histogram(P.TAG_WEIGHTS + "perceptron/w", w, epoch)
            kernel = w[:, None]  # as a dense layer's [inputs + 1, 1] weight matrix
            kernels.write(train_w, "perceptron", kernel, epoch)
            train_w.image(P.TAG_KERNELS + "perceptron" + P.TAG_GRID_SUFFIX,
                          matrix_image(kernel), epoch)
            train_w.text(P.TAG_SAMPLES + "decision_line_equation", _line_text(w), epoch)
            train_w.image(P.TAG_SAMPLES + "decision_line",
                          boundary.decision_image(predict(w, grid), low=-1, high=1,
                                                  points=ds.x_train, labels=signs["train"])[None],
                          epoch)

        on_epoch(0, 0, w0)
        result = perceptron_rule(ds.x_train, signs["train"], eta=config.lr,
                                 max_epochs=config.epochs, on_update=on_update,
                                 on_epoch=on_epoch)
        predicted = predict(result.w, ds.x_val)
        log_evaluation(val_w, (signs["val"] > 0).astype(np.int64),
                       (predicted > 0).astype(np.float32), result.epochs, ds.class_names)
    test_predictions = predict(result.w, ds.x_test)
    accuracy = float(np.mean(test_predictions == signs["test"]))
    out = finish_run(config, run, binary_labels(ds), result.epochs, time.perf_counter() - started,
                     {"accuracy": accuracy}, (test_predictions > 0).astype(np.float32),
                     write_hparams=True)
    out.extras.update(w=result.w, updates=result.updates, converged=result.converged)
    return out


def _line_text(w: np.ndarray) -> str:
    terms = " + ".join(f"{v:.4g} * x{j + 1}" for j, v in enumerate(w[:-1]))
    return f"decision line: {terms} = {w[-1]:.4g} (w = {np.round(w, 4).tolist()})"


def build_perceptron(config: PerceptronConfig, dataset) -> np.ndarray:
    """The perceptron's only parameter: w, zero, one weight per input plus the threshold."""
    return np.zeros(dataset.input_shape[0] + 1, np.float32)


# ----- neuron and logistic regression: one unit on a 2-D set ------------------------------


@dataclass
class NeuronConfig(TrainConfig):
    dataset: str = option("gauss", "2-D data set (labels 0/1)", choices=TWO_D_SETS)
    activation: str = option("tanh", "f in y = f(w.x + b); tanh is trained towards -1/+1, "
                             "the others towards 0/1", choices=("tanh", "sigmoid", "linear"))
    epochs: int = option(20, "passes over the training set", minimum=1, quick=3)
    batch_size: int = option(10, "examples per gradient step", minimum=1)
    lr: float = option(0.03, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)


@dataclass
class LogisticConfig(TrainConfig):
    dataset: str = option("gauss", "2-D data set (labels 0/1)", choices=TWO_D_SETS)
    epochs: int = option(20, "passes over the training set", minimum=1, quick=3)
    batch_size: int = option(10, "examples per gradient step", minimum=1)
    lr: float = option(0.1, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)


def build_neuron(config: NeuronConfig, dataset):
    """y = f(x^T w + b): x [batch, 2], w [2, 1], b [1]."""
    import keras

    x = keras.Input(dataset.input_shape, name="x")                        # [batch, 2]
    y = keras.layers.Dense(1, activation=config.activation, name="neuron")(x)  # [batch, 1]
    return keras.Model(x, y, name="neuron")


def build_logistic(config: LogisticConfig, dataset):
    """p(y=1 | x) = sigmoid(x^T w + b): x [batch, 2], w [2, 1], b [1]."""
    import keras

    x = keras.Input(dataset.input_shape, name="x")
    p = keras.layers.Dense(1, activation="sigmoid", name="logistic")(x)
    return keras.Model(x, p, name="logistic")


def binary_labels(dataset):
    """The data set with labels 0/1 (the "linear" set's -1 becomes 0)."""
    return replace(dataset, **{f"y_{part}": (getattr(dataset, f"y_{part}") > 0).astype(np.int64)
                               for part in ("train", "val", "test")})


def boundary_samples(dataset, low: float = 0.0, high: float = 1.0):
    """``samples`` for the hook: the model's output over the plane with the training points,
    as an image ``samples/decision_boundary`` after every epoch."""
    grid = boundary.grid_points()

    def samples(model, step: int) -> dict:
        values = np.asarray(model.predict(grid, batch_size=4096, verbose=0))[:, 0]
        image = boundary.decision_image(values, low=low, high=high, points=dataset.x_train,
                                        labels=dataset.y_train)
        return {"decision_boundary": image[None]}

    return samples


def neuron_graph(activation: str):
    """The smallest computational graph, y = f(x^T w + b), as a tf.function whose op graph
    reads at a glance: inputs x, w, b; ops MatMul, Add, f."""
    import tensorflow as tf

    f = {"tanh": tf.tanh, "sigmoid": tf.sigmoid, "linear": tf.identity}[activation]

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x"),
                                  tf.TensorSpec([2, 1], tf.float32, name="w"),
                                  tf.TensorSpec([1], tf.float32, name="b")])
    def neuron(x, w, b):
        return f(tf.matmul(x, w, name="matmul") + b, name=activation)

    return neuron


def train_neuron(config: NeuronConfig, run: RunDir) -> RunResult:
    import keras

    from inspector.graph_trace import function_graph
    from inspector.summary import SummaryWriter

    dataset = binary_labels(load_dataset(config))
    loss, metrics, low = "mse", [keras.metrics.BinaryAccuracy(name="accuracy")], 0.0
    if config.activation == "tanh":
        # tanh ranges over (-1, 1): train towards -1/+1, decide at 0.
        def loss(y, out):
            return keras.ops.mean(keras.ops.square(out - (2.0 * keras.ops.cast(y, out.dtype)
                                                          - 1.0)), axis=-1)
        metrics, low = [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)], -1.0
    # Into the run's root (beside the hook's train/ and validation/): y = f(x^T w + b).
    fn = neuron_graph(config.activation)
    with SummaryWriter(run.path) as writer:
        writer.graph_def(function_graph(fn, *fn.input_signature))
    return fit(build_neuron(config, dataset), dataset, config, run, loss=loss, metrics=metrics,
               samples=boundary_samples(dataset, low=low))


def train_logistic(config: LogisticConfig, run: RunDir) -> RunResult:
    dataset = binary_labels(load_dataset(config))
    return fit(build_logistic(config, dataset), dataset, config, run,
               samples=boundary_samples(dataset))


# ----- softmax regression on MNIST ---------------------------------------------------------


@dataclass
class SoftmaxConfig(TrainConfig):
    dataset: str = option("mnist", "data set of images (offline: the shipped MNIST subset)",
                          choices=("mnist", "mnist5k", "cifar10", "shapes"))
    epochs: int = option(20, "passes over the training set", minimum=1, quick=2)
    lr: float = option(0.5, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)


def build_softmax(config: SoftmaxConfig, dataset):
    """Y = softmax(X W + b): X [100, 784] (a batch of flattened images), W [784, 10], b [10]."""
    import keras

    x = keras.Input(dataset.input_shape, name="image")                          # [100, 28, 28, 1]
    flat = keras.layers.Flatten(name="flatten")(x)                              # X [100, 784]
    y = keras.layers.Dense(dataset.num_classes, activation="softmax", name="softmax")(flat)
    return keras.Model(x, y, name="softmax_regression")                         # Y [100, 10]


def train_softmax(config: SoftmaxConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    return fit(build_softmax(config, dataset), dataset, config, run)


register("perceptron", family="linear", config_cls=PerceptronConfig, build=build_perceptron,
         train=train_perceptron,
         summary="Rosenblatt perceptron, classic rule w <- w + eta*y*x (custom TF loop, "
         "stops at a pass without errors)")
register("neuron", family="linear", config_cls=NeuronConfig, build=build_neuron,
         train=train_neuron, summary="one neuron y = f(w.x + b), e.g. tanh, on a 2-D set; "
         "its op graph at a glance")
register("logistic", family="linear", config_cls=LogisticConfig, build=build_logistic,
         train=train_logistic,
         summary="logistic regression: sigmoid unit, binary cross-entropy, 2-D set")
register("softmax", family="linear", config_cls=SoftmaxConfig, build=build_softmax,
         train=train_softmax,
         summary="softmax regression on MNIST: Y = softmax(XW + b), W [784, 10] "
         "(reported error 7.3 %)")
