"""Transfer learning: a convolutional base trained on one task, frozen, and a new head
fine-tuned on another (digits 0-4, then 5-9); or a Keras application's base with the user's
weights file, frozen, under a new head.

A run has two sub-runs, ``pretrain/`` and ``finetune/``, each with the hook's logs, so the
kernel view shows the frozen base's kernels standing still while the head's move. Never
imports TensorFlow at module level.
"""

import dataclasses
import importlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inspector.errors import InspectorError
from trainers.common import RunDir, RunResult, fit, load_dataset, option
from trainers.conv import IMAGE_SETS, ConvTrainConfig
from trainers.data import Dataset
from trainers.registry import register

APPLICATION_MIN_SIZE = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71}


@dataclass
class TransferConfig(ConvTrainConfig):
    dataset: str = option("mnist", "data set (offline: the shipped 5,000-digit subset)",
                          choices=IMAGE_SETS)
    split: int = option(5, "classes below this form the pre-training task (0-4), the others "
                        "the fine-tuning task (5-9)", minimum=1)
    pretrain_epochs: int = option(3, "epochs on the first task (--epochs: on the second)",
                                  minimum=1, quick=1)
    epochs: int = option(3, "epochs fine-tuning the new head on the second task", minimum=1,
                         quick=1)
    filters: int = option(32, "filters of the base's first convolution (the second has twice "
                          "as many)", minimum=1, quick=8)
    units: int = option(64, "units of the head's fully connected layer", minimum=1, quick=16)
    application: str | None = option(None, "instead of pre-training: a keras.applications "
                                     "base such as MobileNetV2 or ResNet50 (needs --weights); "
                                     "its head is fine-tuned on all classes")
    weights: str | None = option(None, "the application's weights: a .h5/.weights.h5 file "
                                 "saved without the top, or 'imagenet' to download them")


def build(config: TransferConfig, dataset: Dataset):
    """base (conv1 3x3 -> pool1 -> conv2 3x3 -> pool2 -> flatten) -> head (fc -> output)."""
    import keras
    from keras import layers

    x = inputs = keras.Input(dataset.input_shape, name="image")
    x = layers.Conv2D(config.filters, 3, activation="relu", name="conv1")(x)       # 26x26x32
    x = layers.MaxPooling2D(2, name="pool1")(x)                                     # 13x13
    x = layers.Conv2D(2 * config.filters, 3, activation="relu", name="conv2")(x)   # 11x11x64
    x = layers.MaxPooling2D(2, name="pool2")(x)                                     # 5x5x64
    x = layers.Flatten(name="flatten")(x)                                           # 1600
    base = keras.Model(inputs, x, name="base")
    return with_head(base, config.units, dataset.num_classes)


def with_head(base, units: int, num_classes: int):
    """``base`` under a new head (fc -> dropout -> softmax); the base runs in inference mode
    when frozen, so batch-norm statistics of a pre-trained base stay as they are."""
    import keras
    from keras import layers

    inputs = keras.Input(base.input_shape[1:], name="image")
    features = base(inputs, training=None if base.trainable else False)
    h = head_in = keras.Input(features.shape[1:], name="features")
    h = layers.Dense(units, activation="relu", name="fc")(h)
    h = layers.Dropout(0.5, name="dropout")(h)
    h = layers.Dense(num_classes, activation="softmax", name="output")(h)
    head = keras.Model(head_in, h, name="head")
    return keras.Model(inputs, head(features), name="transfer")


def task(dataset: Dataset, classes: range) -> Dataset:
    """The examples of ``classes`` only, relabelled 0..len(classes)-1."""
    parts = {}
    for part in ("train", "val", "test"):
        x, y = getattr(dataset, f"x_{part}"), getattr(dataset, f"y_{part}")
        keep = (y >= classes.start) & (y < classes.stop)
        parts[f"x_{part}"], parts[f"y_{part}"] = x[keep], y[keep] - classes.start
    names = dataset.class_names[classes.start:classes.stop]
    return dataclasses.replace(dataset, **parts, num_classes=len(names), class_names=names,
                               name=f"{dataset.name}[{names[0]}-{names[-1]}]")


def train(config: TransferConfig, run: RunDir) -> RunResult:
    started = time.perf_counter()
    dataset = load_dataset(config)
    if config.application:
        return _train_application(config, run, dataset, started)
    if not 0 < config.split < dataset.num_classes:
        raise InspectorError(f"transfer: --split must be between 1 and "
                             f"{dataset.num_classes - 1} for {dataset.name}")
    first = task(dataset, range(0, config.split))
    second = task(dataset, range(config.split, dataset.num_classes))

    model = build(config, first)
    pre = fit(model, first, dataclasses.replace(config, epochs=config.pretrain_epochs),
              _sub_run(run, "pretrain"))
    print(f"{pre.summary_line()} (pre-training on {first.name})", flush=True)
    base = model.get_layer("base")
    base.trainable = False
    tuned = fit(with_head(base, config.units, second.num_classes), second, config,
                _sub_run(run, "finetune"))
    return RunResult(run.arch, run, tuned.metrics, pre.epochs + tuned.epochs,
                     time.perf_counter() - started, extras={"pretrain": pre.metrics})


def _sub_run(run: RunDir, phase: str) -> RunDir:
    sub = RunDir(run.logdir, run.arch, f"{run.name}/{phase}")
    sub.path.mkdir(parents=True, exist_ok=True)
    return sub


def _train_application(config: TransferConfig, run: RunDir, dataset: Dataset,
                       started: float) -> RunResult:
    model, dataset = build_application(config, dataset)
    tuned = fit(model, dataset, config, _sub_run(run, "finetune"))
    return RunResult(run.arch, run, tuned.metrics, tuned.epochs,
                     time.perf_counter() - started)


def build_application(config: TransferConfig, dataset: Dataset):
    """(model, dataset): the frozen ``keras.applications`` base with ``config.weights``
    under a new head, and the images resized and preprocessed as that base expects."""
    if not config.weights:
        raise InspectorError("transfer: --application needs --weights PATH (the application's "
                             "weights saved without its top) or --weights imagenet")
    if config.weights != "imagenet" and not Path(config.weights).is_file():
        raise InspectorError(f"transfer: no weights file at {config.weights}")
    constructor, preprocess = _application(config.application)
    size = max(*dataset.input_shape[:2], APPLICATION_MIN_SIZE.get(config.application, 32))
    images = {f"x_{part}": _application_images(getattr(dataset, f"x_{part}"), size, preprocess)
              for part in ("train", "val", "test")}
    dataset = dataclasses.replace(dataset, **images, input_shape=(size, size, 3))
    try:
        base = constructor(include_top=False, weights=config.weights, pooling="avg",
                           input_shape=dataset.input_shape)
    except ValueError as err:
        raise InspectorError(f"transfer: could not build {config.application} with weights "
                             f"{config.weights}: {err}") from None
    base.trainable = False
    return with_head(base, config.units, dataset.num_classes), dataset


def _application(name: str):
    """(constructor, preprocess_input) of ``keras.applications.<name>``."""
    import keras

    constructor = getattr(keras.applications, name, None)
    if not callable(constructor) or not name[:1].isupper():
        known = sorted(n for n in dir(keras.applications) if n[:1].isupper())
        raise InspectorError(f"transfer: {name!r} is not a Keras application; known: "
                             f"{', '.join(known)}")
    module = importlib.import_module(constructor.__module__)
    return constructor, module.preprocess_input


def _application_images(x: np.ndarray, size: int, preprocess) -> np.ndarray:
    """Images in [0, 1] as the application expects them: RGB, size x size, preprocessed."""
    import tensorflow as tf

    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    if x.shape[1:3] != (size, size):
        x = tf.image.resize(x, (size, size)).numpy()
    return np.asarray(preprocess(x * 255.0), np.float32)


register("transfer", summary="transfer learning: a conv base trained on digits 0-4, frozen, "
         "a new head fine-tuned on 5-9; or a Keras application with your weights file",
         family="convolutional", config_cls=TransferConfig, build=build, train=train)
