"""Restricted Boltzmann machine trained by contrastive divergence (CD-k): a custom TensorFlow
loop that logs through the low-level writer (``inspector.summary.SummaryWriter``), no Keras
fit. With ``--pretrain-for mlp`` it pre-trains a stack of RBMs greedily, one per hidden
layer, then fine-tunes the classifier they initialize (``trainers.unsupervised``).

What lands in a run (``train/`` and ``validation/``; a stack has one such run per phase):
``epoch/reconstruction_error`` and ``epoch/free_energy`` in both (the gap between the two
free energies grows when the RBM overfits), ``batch/reconstruction_error``; the weights as
a KERNELS tensor ``kernels/rbm`` ([visible, hidden]; the kernels view draws each hidden
unit's filter in the input's shape) with its picture, histograms of weights, biases and
hidden probabilities, ``samples/reconstructions`` of fixed validation images every epoch
(the same images once as ``probe/inputs``), and the op graph of one CD-k step. Never
imports TensorFlow at module level.
"""

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from inspector.events import plugins as P
from inspector.kinds import kernels
from trainers.common import (
    OPTIMIZERS,
    RunDir,
    RunResult,
    TrainConfig,
    finish_run,
    load_dataset,
    make_optimizer,
    option,
)
from trainers.data import Dataset
from trainers.registry import register
from trainers.unsupervised import (
    RECONSTRUCTION_PROBES,
    fine_tune,
    layer_sizes,
    reconstruction_image,
    sub_run,
)


@dataclass
class RbmConfig(TrainConfig):
    dataset: str = option("mnist", "images in [0, 1], read as the visible units' "
                          "probabilities (offline: the shipped MNIST subset)",
                          choices=("mnist", "mnist5k"))
    epochs: int = option(10, "passes over the training set (--pretrain-for: of "
                         "fine-tuning)", minimum=1, quick=3)
    batch_size: int = option(20, "examples per CD update", minimum=1)
    optimizer: str = option("momentum", "how the CD estimate updates the weights",
                            choices=OPTIMIZERS)
    lr: float = option(0.05, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    momentum: float = option(0.5, "momentum of 'momentum' and 'nesterov'", minimum=0)
    hidden: tuple[str, ...] = option(("128",), "hidden units; several sizes (256,64) stack "
                                     "one RBM per size (--pretrain-for)", quick=("32",))
    cd_k: int = option(1, "Gibbs steps of contrastive divergence (CD-k)", minimum=1)
    pretrain_for: str | None = option(None, "pre-train the hidden layers of this classifier "
                                      "(one RBM per --hidden size), then fine-tune it",
                                      choices=("mlp",))
    pretrain_epochs: int = option(5, "--pretrain-for: epochs per RBM; 0 skips pre-training "
                                  "(the classifier trained from scratch)", minimum=0, quick=2)
    labels: float = option(0.1, "--pretrain-for: share of the training labels fine-tuning "
                           "uses", minimum=0)
    classifier_optimizer: str = option("adam", "--pretrain-for: fine-tuning's optimizer",
                                       choices=OPTIMIZERS)
    classifier_lr: float = option(0.003, "--pretrain-for: fine-tuning's learning rate",
                                  minimum=0)


class Rbm:
    """Binary hidden units over visible units in [0, 1]: energy
    ``E(v, h) = -v.b - h.c - v W h``, W [visible, hidden], b [visible], c [hidden]."""

    def __init__(self, visible: int, hidden: int):
        import tensorflow as tf

        init = tf.random.normal([visible, hidden], stddev=0.01)
        self.w = tf.Variable(init, name="W")
        self.b = tf.Variable(tf.zeros([visible]), name="b_visible")
        self.c = tf.Variable(tf.zeros([hidden]), name="c_hidden")

    @property
    def variables(self) -> list:
        return [self.w, self.b, self.c]

    def hidden_probabilities(self, v):
        import tensorflow as tf

        return tf.sigmoid(v @ self.w + self.c)

    def visible_probabilities(self, h):
        import tensorflow as tf

        return tf.sigmoid(h @ tf.transpose(self.w) + self.b)

    def reconstruct(self, v):
        """One mean-field pass up and down: the RBM's reconstruction of ``v``."""
        return self.visible_probabilities(self.hidden_probabilities(v))

    def free_energy(self, v):
        """``F(v) = -v.b - sum_j softplus(v W + c)_j`` per example ([batch])."""
        import tensorflow as tf

        return -tf.linalg.matvec(v, self.b) - tf.reduce_sum(tf.nn.softplus(v @ self.w + self.c),
                                                            axis=1)


def cd_step(rbm: Rbm, optimizer, k: int):
    """One CD-k update as a tf.function of a batch ``v0`` [batch, visible]: sample the hidden
    units from the data, run ``k`` Gibbs steps (visible units as probabilities), and move the
    weights along ``<v h>_data - <v h>_model``. Returns the batch's reconstruction error."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, rbm.w.shape[0]], tf.float32, name="v0")])
    def contrastive_divergence(v0):
        batch = tf.cast(tf.shape(v0)[0], tf.float32)
        with tf.name_scope("positive_phase"):
            ph0 = rbm.hidden_probabilities(v0)
            h = tf.cast(tf.random.uniform(tf.shape(ph0)) < ph0, tf.float32)
        v, ph = v0, ph0
        for _ in range(k):
            with tf.name_scope("gibbs_step"):
                v = rbm.visible_probabilities(h)
                ph = rbm.hidden_probabilities(v)
                h = tf.cast(tf.random.uniform(tf.shape(ph)) < ph, tf.float32)
        with tf.name_scope("negative_phase"):
            # Descent directions: the optimizer subtracts them.
            grad_w = -(tf.transpose(v0) @ ph0 - tf.transpose(v) @ ph) / batch
            grad_b = -tf.reduce_mean(v0 - v, axis=0)
            grad_c = -tf.reduce_mean(ph0 - ph, axis=0)
        optimizer.apply_gradients(zip([grad_w, grad_b, grad_c], rbm.variables, strict=True))
        return tf.reduce_mean(tf.square(v0 - rbm.reconstruct(v0)))

    return contrastive_divergence


def build(config: RbmConfig, dataset: Dataset) -> Rbm:
    """An RBM with the data's pixels as visible units and ``--hidden`` (first size) units."""
    return Rbm(int(np.prod(dataset.input_shape)), layer_sizes(config.hidden)[0])


def train_layer(config: RbmConfig, run: RunDir, rbm: Rbm, x: dict[str, np.ndarray],
                epochs: int, images: np.ndarray, to_image) -> dict[str, float]:
    """Train ``rbm`` by CD-k on ``x["train"]`` (rows of visible units) for ``epochs``, logging
    into ``run``; ``to_image`` maps visible rows to images ([N, H, W, C]) for the pictures.
    Returns the test split's reconstruction error and mean free energy."""
    import tensorflow as tf

    from inspector.graph_trace import function_graph
    from inspector.grids import image_like, matrix_image, templates_grid
    from inspector.summary import SummaryWriter

    optimizer = make_optimizer(config)
    step_fn = cd_step(rbm, optimizer, config.cd_k)
    probe = x["val"][:RECONSTRUCTION_PROBES]
    image_shape = tuple(images.shape[1:])

    def measure(v: np.ndarray) -> tuple[float, float]:
        v = tf.constant(v)
        error = tf.reduce_mean(tf.square(v - rbm.reconstruct(v)))
        return float(error), float(tf.reduce_mean(rbm.free_energy(v)))

    with SummaryWriter(run.train) as train_w, SummaryWriter(run.validation) as val_w:
        def log_epoch(epoch: int) -> None:
            for writer, part in ((train_w, "train"), (val_w, "val")):
                error, energy = measure(x[part][:2000])
                writer.scalar(P.TAG_EPOCH + "reconstruction_error", error, epoch)
                writer.scalar(P.TAG_EPOCH + "free_energy", energy, epoch)
            w = rbm.w.numpy()
            kernels.write(train_w, "rbm", w, epoch)
            visible_shape = image_shape if w.shape[0] == np.prod(image_shape) else None
            picture = templates_grid(w, visible_shape) if visible_shape and \
                image_like(visible_shape) else matrix_image(w)
            train_w.image(P.TAG_KERNELS + "rbm" + P.TAG_GRID_SUFFIX, picture, epoch)
            for variable in rbm.variables:
                train_w.histogram(f"{P.TAG_WEIGHTS}rbm/{variable.name.split(':')[0]}",
                                  variable.numpy(), epoch)
            train_w.histogram(P.TAG_ACTIVATIONS + "rbm/hidden_probabilities",
                              rbm.hidden_probabilities(tf.constant(probe)).numpy(), epoch)
            reconstructions = to_image(rbm.reconstruct(tf.constant(probe)).numpy())
            train_w.image(P.TAG_SAMPLES + "reconstructions",
                          reconstruction_image(images, reconstructions), epoch)
            train_w.flush()

        train_w.graph_def(function_graph(step_fn, *step_fn.input_signature))
        if x["train"].shape[1] == np.prod(image_shape):
            # The visible units are the pixels: the kernels view reads the input's shape
            # from these and draws each hidden unit's weights as a filter of that shape.
            train_w.image(P.TAG_PROBE_INPUTS, images, 0, max_outputs=len(images))
        log_epoch(0)
        rng = np.random.default_rng(config.seed)
        step = 0
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(x["train"]))
            for start in range(0, len(order), config.batch_size):
                error = step_fn(tf.constant(x["train"][order[start:start + config.batch_size]]))
                step += 1
                if step % 50 == 0:
                    train_w.scalar(P.TAG_BATCH + "reconstruction_error", float(error), step)
            log_epoch(epoch)
            if config.progress:
                print(f"rbm epoch {epoch}/{epochs}: reconstruction error "
                      f"{measure(x['val'][:2000])[0]:.4f} (validation)", flush=True)
    error, energy = measure(x["test"])
    return {"reconstruction_error": error, "free_energy": energy}


def _visible(dataset: Dataset) -> dict[str, np.ndarray]:
    return {p: getattr(dataset, f"x_{p}").reshape(len(getattr(dataset, f"x_{p}")), -1)
            for p in ("train", "val", "test")}


def train(config: RbmConfig, run: RunDir) -> RunResult:
    started = time.perf_counter()
    dataset = load_dataset(config)
    if config.pretrain_for:
        return train_stack(config, run, dataset, started)
    images = dataset.x_val[:RECONSTRUCTION_PROBES]
    metrics = train_layer(config, run, build(config, dataset), _visible(dataset),
                          config.epochs, images,
                          lambda v: v.reshape(-1, *dataset.input_shape))
    return finish_run(config, run, dataset, config.epochs, time.perf_counter() - started,
                      metrics, write_hparams=True)


def train_stack(config: RbmConfig, run: RunDir, dataset: Dataset, started: float) -> RunResult:
    """One RBM per ``--hidden`` size (run ``pretrain-k``), each on the hidden probabilities of
    the one below, then the sigmoid classifier they initialize (run ``finetune``)."""
    import tensorflow as tf

    sizes = layer_sizes(config.hidden)
    x = _visible(dataset)
    images = dataset.x_val[:RECONSTRUCTION_PROBES]
    stack: list[Rbm] = []

    def to_image(v: np.ndarray) -> np.ndarray:
        for rbm in reversed(stack[:-1]):  # down through the RBMs below the newest one
            v = rbm.visible_probabilities(tf.constant(v)).numpy()
        return v.reshape(-1, *dataset.input_shape)

    for k, units in enumerate(sizes if config.pretrain_epochs else [], start=1):
        stack.append(Rbm(x["train"].shape[1], units))
        metrics = train_layer(config, sub_run(run, f"pretrain-{k}"), stack[-1], x,
                              config.pretrain_epochs, images, to_image)
        print(f"rbm: layer {k} ({units} hidden units) pre-trained: test reconstruction "
              f"error {metrics['reconstruction_error']:.4f}", flush=True)
        x = {p: stack[-1].hidden_probabilities(tf.constant(v)).numpy() for p, v in x.items()}
    pretrained = [(rbm.w.numpy(), rbm.c.numpy()) for rbm in stack]
    tune_config = dataclasses.replace(config, optimizer=config.classifier_optimizer,
                                      lr=config.classifier_lr)
    tuned = fine_tune(tune_config, run, dataset, sizes, "sigmoid", pretrained, config.labels)
    return RunResult(run.arch, run, tuned.metrics,
                     len(stack) * config.pretrain_epochs + tuned.epochs,
                     time.perf_counter() - started, extras={"finetune": tuned.run.path})


register("rbm", family="unsupervised", config_cls=RbmConfig, build=build, train=train,
         summary="restricted Boltzmann machine, contrastive divergence --cd-k (custom TF "
         "loop); --pretrain-for mlp pre-trains a classifier layer by layer")
