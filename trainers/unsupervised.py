"""What the unsupervised trainers (autoencoder, rbm) share: the reconstruction picture, layer
sizes from the command line, the labelled share of a data set, and greedy layer-wise
pre-training's second half, fine-tuning a classifier whose hidden layers the pre-trained
layers initialize.

A stacked training is one run with one sub-run per phase (``pretrain-1``, ``pretrain-2``,
..., ``finetune``), each with its own ``train/`` and ``validation/``, so the dashboard lists
the phases side by side under the training. Never imports TensorFlow at module level.
"""

import dataclasses

import numpy as np

from inspector.errors import InspectorError
from inspector.grids import grey, tile
from trainers.common import RunDir, RunResult, TrainConfig, fit
from trainers.data import Dataset

RECONSTRUCTION_PROBES = 8  # fixed validation inputs whose reconstructions are logged


def layer_sizes(hidden: tuple[str, ...], flag: str = "--hidden") -> list[int]:
    """``("256", "64")`` -> ``[256, 64]``; InspectorError unless each is a positive integer."""
    try:
        sizes = [int(h) for h in hidden]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise InspectorError(f"{flag} takes positive layer sizes separated by commas, e.g. "
                             f"256,64; got {','.join(hidden)!r}")
    return sizes


def reconstruction_image(*rows: np.ndarray) -> np.ndarray:
    """One picture ``[1, H', W', 3]`` uint8 of image rows, each ``[N, H, W, C]`` in [0, 1]
    (C = 1 or 3): the inputs on top, then e.g. their noisy versions, then reconstructions,
    so each column reads as one input and what became of it."""
    tiles = []
    for row in rows:
        r = np.clip(np.asarray(row, np.float32), 0.0, 1.0)
        tiles.append(grey(r[..., 0], 0.0, 1.0) if r.shape[-1] == 1
                     else (r[..., :3] * 255 + 0.5).astype(np.uint8))
    return tile(np.stack(tiles))[None]


def labelled_share(dataset: Dataset, fraction: float) -> Dataset:
    """The data set with only the first ``fraction`` of its training examples (at least one
    per class; the splits are class-balanced and shuffled, so a prefix keeps the shares).
    Validation and test stay whole: they measure, they do not train."""
    if not 0 < fraction <= 1:
        raise InspectorError(f"--labels is the share of training labels used, in (0, 1]; "
                             f"got {fraction}")
    n = max(dataset.num_classes, round(fraction * len(dataset.x_train)))
    return dataclasses.replace(dataset, x_train=dataset.x_train[:n],
                               y_train=dataset.y_train[:n])


def unlabelled(dataset: Dataset, x_train: np.ndarray, x_val: np.ndarray,
               x_test: np.ndarray, labels: bool) -> Dataset:
    """A reconstruction task on the given inputs: task "reconstruction" (no classification
    evaluation). The targets are the class labels when ``labels`` (the hook then picks
    class-balanced probes and logs the code layer's embeddings with labels), else the inputs
    themselves; the reconstruction loss reads neither, it compares the output with the
    input."""
    def targets(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return y if labels else x

    return dataclasses.replace(
        dataset, x_train=x_train, y_train=targets(x_train, dataset.y_train), x_val=x_val,
        y_val=targets(x_val, dataset.y_val), x_test=x_test,
        y_test=targets(x_test, dataset.y_test), input_shape=tuple(x_train.shape[1:]),
        task="reconstruction")


def sub_run(run: RunDir, phase: str) -> RunDir:
    """The run of one phase, ``<run>/<phase>`` (created)."""
    sub = RunDir(run.logdir, run.arch, f"{run.name}/{phase}")
    sub.path.mkdir(parents=True, exist_ok=True)
    return sub


def build_classifier(dataset: Dataset, sizes: list[int], activation: str):
    """The classifier both pre-trainings initialize, and the baseline trained from scratch:
    image -> flatten -> Dense(sizes[0]) "dense1" -> ... -> Dense(classes, softmax) "output"."""
    import keras

    x = inputs = keras.Input(dataset.input_shape, name="image")               # [b, 28, 28, 1]
    x = keras.layers.Flatten(name="flatten")(x)                                 # [b, 784]
    for i, units in enumerate(sizes, start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"dense{i}")(x)
    outputs = keras.layers.Dense(dataset.num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="classifier")


def fine_tune(config: TrainConfig, run: RunDir, dataset: Dataset, sizes: list[int],
              activation: str, pretrained: list[tuple[np.ndarray, np.ndarray]],
              labels: float) -> RunResult:
    """Train ``build_classifier`` on the ``labels`` share of the training labels for
    ``config.epochs`` epochs, its hidden layers starting from ``pretrained`` (kernel [in, out],
    bias [out] per layer; empty: random, the from-scratch baseline), in ``<run>/finetune``."""
    model = build_classifier(dataset, sizes, activation)
    for i, (kernel, bias) in enumerate(pretrained, start=1):
        model.get_layer(f"dense{i}").set_weights([kernel, bias])
    labelled = labelled_share(dataset, labels)
    tuned = fit(model, labelled, config, sub_run(run, "finetune"))
    start = "pre-trained" if pretrained else "random (no pre-training)"
    print(f"{run.arch}: fine-tuned on {len(labelled.x_train)} labelled examples "
          f"({labels:.0%}), hidden layers from {start} weights: {tuned.summary_line()}",
          flush=True)
    return tuned
