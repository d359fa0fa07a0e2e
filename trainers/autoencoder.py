"""Autoencoders: dense and convolutional, denoising (``--denoising``: noise on the input,
the clean input as target) and sparse (``--sparse``: an L1 penalty on the code's activity),
and stacked (``--stacked``): pre-trained layer by layer on unlabelled images, then a
classifier fine-tuned with a share of the labels (``trainers.unsupervised``).

Every epoch the hook logs the reconstructions of fixed validation inputs
(``samples/reconstructions``: inputs on top, reconstructions below) and the code layer's
embeddings with the inputs' labels (``embeddings/code``); the loss and
``reconstruction_error`` (mean squared error per pixel) are the curves. Never imports
TensorFlow at module level.
"""

import functools
import time
from dataclasses import dataclass

import numpy as np

from inspector.errors import InspectorError
from trainers.common import OPTIMIZERS, RunDir, RunResult, TrainConfig, fit, load_dataset, option
from trainers.data import Dataset
from trainers.registry import register
from trainers.unsupervised import (
    RECONSTRUCTION_PROBES,
    fine_tune,
    layer_sizes,
    reconstruction_image,
    sub_run,
    unlabelled,
)

IMAGE_SETS = ("mnist", "mnist5k", "shapes", "cifar10")
ACTIVATIONS = ("sigmoid", "relu", "tanh", "elu")


@dataclass
class AutoencoderConfig(TrainConfig):
    dataset: str = option("mnist", "images to reconstruct (offline: the shipped MNIST subset)",
                          choices=IMAGE_SETS)
    epochs: int = option(10, "passes over the training set (--stacked: of fine-tuning)",
                         minimum=1, quick=3)
    batch_size: int = option(100, "examples per gradient step", minimum=1, quick=32)
    optimizer: str = option("adam", "gradient descent variant", choices=OPTIMIZERS)
    lr: float = option(0.003, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    hidden: tuple[str, ...] = option(("256", "64"), "encoder layer sizes, the last one the "
                                     "code; the decoder mirrors them", quick=("64", "16"))
    activation: str = option("relu", "activation of the hidden layers (sigmoid: the classifier "
                             "the rbm pre-trains)", choices=ACTIVATIONS)
    conv: bool = option(False, "convolutional: conv 3x3/2 x filters, conv 3x3/2 x filters/2 "
                        "(the code), then transposed convolutions back")
    filters: int = option(16, "filters of the first convolution (--conv)", minimum=2)
    denoising: bool = option(False, "denoising: add gaussian noise to the input while "
                             "training; the clean input is the target")
    noise: float = option(0.3, "std of the input noise of --denoising", minimum=0)
    sparse: bool = option(False, "sparse: add an L1 penalty on the code's activations")
    sparsity: float = option(1e-4, "weight of the L1 activity penalty of --sparse", minimum=0)
    stacked: bool = option(False, "pre-train one layer at a time on unlabelled images, then "
                           "fine-tune a classifier with --labels of the labels")
    pretrain_epochs: int = option(5, "--stacked: epochs per pre-trained layer; 0 skips "
                                  "pre-training (the classifier trained from scratch)",
                                  minimum=0, quick=2)
    labels: float = option(0.1, "--stacked: share of the training labels fine-tuning uses",
                           minimum=0)


@functools.cache
def reconstruction_model_class() -> type:
    """``ReconstructionModel(inputs, outputs, code=None, sparsity=0.0)``: a functional Keras
    model trained to give back its input.

    The loss is the mean squared error between the output and the input ``x`` (clean: noise
    layers act inside the model) plus, with ``sparsity``, ``sparsity * sum(|code|)`` per
    example for the ``code`` tensor of the clean input. ``y``, when given, is never read, so
    class labels can ride along for the hook's probes and embeddings. Tracks the metric
    ``reconstruction_error`` (the mean squared error alone).

    The penalty is computed here, not with an activity regularizer: those collect their
    loss tensors on the layer during every call, so a model traced on another thread (as
    the hook traces its graphs) would hand the training step a tensor of a foreign graph."""
    import keras
    from keras import ops

    class ReconstructionModel(keras.Model):
        def __init__(self, inputs, outputs, *, code=None, sparsity: float = 0.0, **kwargs):
            super().__init__(inputs, outputs, **kwargs)
            self.reconstruction_error = keras.metrics.Mean(name="reconstruction_error")
            self.sparsity = float(sparsity)
            # A plain function, not an attribute Keras tracks: the layers are the model's.
            code_model = keras.Model(inputs, code) if code is not None and sparsity else None
            self.code_activity = (lambda x: code_model(x, training=False)) if code_model \
                else None

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            loss = ops.mean(ops.square(y_pred - x))
            if self.code_activity is not None:
                code = ops.reshape(self.code_activity(x), (ops.shape(x)[0], -1))
                loss = loss + self.sparsity * ops.mean(ops.sum(ops.abs(code), axis=1))
            for penalty in self.losses:  # weight penalties (--l2)
                loss = loss + penalty
            return loss

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            self.reconstruction_error.update_state(ops.mean(ops.square(y_pred - x)))
            return super().compute_metrics(x, y, y_pred, sample_weight)

    return ReconstructionModel


def _reconstruction_model(config: AutoencoderConfig, inputs, outputs, code, name: str):
    return reconstruction_model_class()(inputs, outputs, code=code, name=name,
                                        sparsity=config.sparsity if config.sparse else 0.0)


def build(config: AutoencoderConfig, dataset: Dataset):
    """Dense: image -> flatten -> [noise] -> enc1 .. code -> .. dec1 -> Dense(pixels, sigmoid)
    -> image. --conv: image -> [noise] -> conv1 (H/2, filters) -> code (H/4, filters/2) ->
    deconv1 (H/2) -> reconstruction (H, channels, sigmoid)."""
    import keras
    from keras import layers

    shape, act = dataset.input_shape, config.activation
    x = inputs = keras.Input(shape, name="image")                              # [b, 28, 28, 1]
    if config.denoising:
        x = layers.GaussianNoise(config.noise, name="noise")(x)
    if config.conv:
        if shape[0] % 4 or shape[1] % 4:
            raise InspectorError(f"autoencoder --conv needs image sides divisible by 4, not "
                                 f"{shape[0]}x{shape[1]}")
        f = config.filters
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation=act, name="conv1")(x)
        x = code = layers.Conv2D(f // 2, 3, strides=2, padding="same", activation=act,
                                 name="code")(x)                                # [b, 7, 7, f/2]
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation=act,
                                   name="deconv1")(x)                           # [b, 14, 14, f]
        outputs = layers.Conv2DTranspose(shape[-1], 3, strides=2, padding="same",
                                         activation="sigmoid", name="reconstruction")(x)
    else:
        *encoder, code_units = layer_sizes(config.hidden)
        x = layers.Flatten(name="flatten")(x)                                   # [b, 784]
        for i, units in enumerate(encoder, start=1):
            x = layers.Dense(units, activation=act, name=f"encoder{i}")(x)      # [b, 256]
        x = code = layers.Dense(code_units, activation=act, name="code")(x)     # [b, 64]
        for i, units in reversed(list(enumerate(encoder, start=1))):
            x = layers.Dense(units, activation=act, name=f"decoder{i}")(x)      # [b, 256]
        x = layers.Dense(int(np.prod(shape)), activation="sigmoid", name="pixels")(x)
        outputs = layers.Reshape(shape, name="reconstruction")(x)               # [b, 28, 28, 1]
    name = "conv_autoencoder" if config.conv else "autoencoder"
    return _reconstruction_model(config, inputs, outputs, code, name)


def reconstruction_samples(config: AutoencoderConfig, images: np.ndarray, *, encode=None,
                           decode=None):
    """``samples`` for the hook: ``samples/reconstructions``, the fixed ``images`` on top
    (with --denoising their noisy versions below them) and the model's reconstructions at
    the bottom. ``encode``/``decode`` map images to the model's input space and its outputs
    back to images (the layers pre-trained before it, for the stack's upper layers)."""
    rng = np.random.default_rng(config.seed)
    shown = images
    if config.denoising:  # fixed noise, so the epochs compare
        shown = np.clip(images + rng.normal(0, config.noise, images.shape), 0, 1)
    shown = shown.astype(np.float32)

    def samples(model, step: int) -> dict:
        x = encode(shown) if encode else shown
        out = np.asarray(model(x, training=False))
        out = decode(out) if decode else out
        rows = [images, shown, out] if config.denoising else [images, out]
        return {"reconstructions": reconstruction_image(*rows)}

    return samples


def train(config: AutoencoderConfig, run: RunDir) -> RunResult:
    dataset = load_dataset(config)
    if config.stacked:
        return train_stacked(config, run, dataset)
    task = unlabelled(dataset, dataset.x_train, dataset.x_val, dataset.x_test, labels=True)
    probes = dataset.x_val[:RECONSTRUCTION_PROBES]
    return fit(build(config, task), task, config, run, loss="mse", metrics=[],
               samples=reconstruction_samples(config, probes),
               hook_options={"embedding_layer": "code"})


# ----- stacked: greedy layer-wise pre-training, then fine-tuning -------------------------


def build_layer(config: AutoencoderConfig, input_shape: tuple[int, ...], units: int,
                layer: int, bounded: bool):
    """One layer's autoencoder: input -> [noise] -> [flatten] -> Dense(units) "code" ->
    Dense(inputs) [-> reshape]; sigmoid output when the inputs lie in [0, 1] (``bounded``)."""
    import keras
    from keras import layers

    x = inputs = keras.Input(input_shape, name="input")
    if config.denoising:
        x = layers.GaussianNoise(config.noise, name="noise")(x)
    x = layers.Flatten(name="flatten")(x)                                       # [b, in]
    x = code = layers.Dense(units, activation=config.activation, name="code")(x)  # [b, units]
    x = layers.Dense(int(np.prod(input_shape)), activation="sigmoid" if bounded else None,
                     name="decoder")(x)                                         # [b, in]
    outputs = layers.Reshape(input_shape, name="reconstruction")(x)
    return _reconstruction_model(config, inputs, outputs, code, f"autoencoder_layer{layer}")


def train_stacked(config: AutoencoderConfig, run: RunDir, dataset: Dataset) -> RunResult:
    """Pre-train layer k (run ``pretrain-k``) to reconstruct the codes of layers 1..k-1 on
    the training images without labels; then fine-tune the classifier (run ``finetune``)."""
    import dataclasses

    if config.conv:
        raise InspectorError("autoencoder: --stacked pre-trains dense layers; drop --conv")
    started = time.perf_counter()
    sizes = layer_sizes(config.hidden)
    encoders: list = []  # the trained "code" layers, bottom up
    decoders: list = []
    pretrained: list[tuple[np.ndarray, np.ndarray]] = []

    def encode(x):
        for layer in encoders:
            x = np.asarray(layer(x.reshape(len(x), -1)))
        return x

    def decode(x):
        for layer in reversed(decoders):
            x = np.asarray(layer(x))
        return x.reshape(-1, *dataset.input_shape)

    for k, units in enumerate(sizes if config.pretrain_epochs else [], start=1):
        phase_config = dataclasses.replace(config, epochs=config.pretrain_epochs)
        task = unlabelled(dataset, *(encode(getattr(dataset, f"x_{p}"))
                                     for p in ("train", "val", "test")), labels=k == 1)
        bounded = k == 1 or config.activation == "sigmoid"
        model = build_layer(config, task.input_shape, units, k, bounded)
        samples = reconstruction_samples(config, dataset.x_val[:RECONSTRUCTION_PROBES],
                                         encode=encode if k > 1 else None,
                                         decode=decode if k > 1 else None)
        result = fit(model, task, phase_config, sub_run(run, f"pretrain-{k}"), loss="mse",
                     metrics=[], samples=samples, hook_options={"embedding_layer": "code"})
        print(f"autoencoder: layer {k} pre-trained: {result.summary_line()}", flush=True)
        code = model.get_layer("code")
        encoders.append(code)
        decoders.append(model.get_layer("decoder"))
        pretrained.append(tuple(code.get_weights()))
    tuned = fine_tune(config, run, dataset, sizes, config.activation, pretrained,
                      config.labels)
    epochs = len(encoders) * config.pretrain_epochs + tuned.epochs
    return RunResult(run.arch, run, tuned.metrics, epochs, time.perf_counter() - started,
                     extras={"finetune": tuned.run.path})


register("autoencoder", family="unsupervised", config_cls=AutoencoderConfig, build=build,
         train=train,
         summary="autoencoder, dense or --conv; --denoising, --sparse; --stacked pre-trains "
         "layer by layer, then fine-tunes a classifier with 10 % of the labels")
