"""``Inspector``: the one Keras callback that records everything Inspector's views show.

A scheduler over ``inspector.model_logger.ModelLogger`` (which custom training loops use
directly); it never wraps or replaces Keras' ``train_step``. Imports TensorFlow and Keras.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from inspector import fit_data
from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.model_logger import TRAIN, ModelLogger, learning_rate

__all__ = ["Inspector", "ModelLogger"]


class Inspector(keras.callbacks.Callback):
    """Log a Keras 3 model's training (Sequential, Functional or subclassed) for Inspector
    and TensorBoard, from what ``fit`` is given::

        model.fit(x, y, validation_data=(x_val, y_val), epochs=10,
                  callbacks=[Inspector("logs/lenet5/run1", class_names=names)])

    Where the data comes from: the probe batch (a fixed, class-stratified sample), the
    gradients, layer outputs and the evaluation use ``fit``'s validation data (a tuple, a
    ``tf.data.Dataset``, a ``keras.utils.PyDataset``, or what ``validation_split`` holds
    out), read from the running ``fit`` call's arguments (Keras shows callbacks no data);
    without validation data, the first ``eval_samples`` training samples (evaluated into
    the train run). ``validation_data=`` given here wins. The op graphs are traced for the
    data's (else the model's own) input signature. What cannot be logged (a Python
    generator cannot be sampled without taking batches from training; data without
    targets) is said once, in one warning line naming how to enable it, also written as
    the text ``inspector/warnings`` (train run) that ``inspector info`` lists.

    What lands in ``logdir`` (tags: the TAG_* block of ``inspector.events.plugins``):

    - ``train/`` and ``validation/`` runs: ``epoch/<metric>`` after every epoch (Keras'
      ``val_*`` metrics go to ``validation/``); in ``train/``: ``batch/<metric>`` (Keras'
      running epoch mean), ``batch/learning_rate`` and ``batch/steps_per_second`` every
      ``update_freq`` batches; ``optimizer/learning_rate``, ``perf/steps_per_second`` and
      ``perf/hook_seconds`` (this callback's own time) every epoch.
    - ``histogram_freq``: histograms of every variable (``weights/<layer>/<var>``), of the
      gradients on the probe batch (``gradients/<layer>/<var>``, ``gradients/global_norm``)
      and of every layer's output on the probe batch (``activations/<layer>``). Layers of
      nested models (a frozen base inside a classifier) are recorded one by one
      (``<base>/<layer>``).
    - ``kernel_freq``: every conv kernel and dense weight matrix raw, all channels, float16
      (``kernels/<layer>``) and as a picture (``kernels/<layer>/grid``).
    - ``activation_freq``: outputs of conv, pooling and dense layers for the first
      ``feature_map_probes`` probe inputs, raw (``feature_maps/<layer>``) and as a picture;
      for recurrent layers (SimpleRNN, GRU, LSTM) the hidden state at every step of the
      probe sequences, and the LSTM's ``gates/input|forget|output`` and ``cell`` (GRU:
      ``gates/update|reset``) under ``feature_maps/<layer>/``.
    - Once: the probe inputs and labels (``probe/inputs``, ``probe/labels``, every probe in
      probe order); with ``write_graph`` the op graph of the training step (``train/``)
      and of inference (``validation/``), one name scope per layer, traced on a background
      thread after the first training step and written when done (at the latest when
      training ends), and the layer graph with output shapes and parameter counts (tag
      ``keras``); hparams in ``logdir`` itself.
    - ``eval_freq`` (validation run): confusion matrix, accuracy, random and
      most-frequent-class baselines, per-class precision, recall, F-score, PR curves, and
      each probe's true class, predicted class and confidence
      (``evaluation/probe_predictions``); a multi-output model has each output evaluated
      under ``evaluation/<output>/``. Plus embeddings of ``embedding_layer`` with labels,
      and the ``samples`` callable's output.

    Steps: ``batch/`` tags count training batches; all others count completed epochs, and
    step 0 is the model before training (weights, kernels, layer outputs), written when
    training starts at epoch 0. A run resumed with ``fit(initial_epoch=k)`` into the same
    logdir continues both axes.

    Args:
        logdir: experiment directory; the runs are its subdirectories.
        validation_data: ``(x, y)``, a ``tf.data.Dataset``, a ``keras.utils.PyDataset`` or
            batches to take the probe batch and evaluation from instead of ``fit``'s.
            Default None (``fit``'s validation data, else a training sample).
        class_names: class names for evaluation tags and label tables. Default: class ids.
        update_freq: batch-axis scalars every this many batches, or "epoch" for none.
            Default 50. (Keras converts the batch logs for every batch anyway, so this
            costs no extra device sync.)
        histogram_freq: epochs between histograms; 0 turns them off. Default 1.
        kernel_freq: epochs between kernels; 0 off. Default 1.
        activation_freq: epochs between feature maps; 0 off. Default 1.
        eval_freq: epochs between evaluations (and embeddings, samples); 0 off. Default 1.
        write_graph: log the op graphs and the layer graph once at the start. Default True.
        probe_size: samples in the fixed, class-stratified probe batch. Default 32.
        feature_map_probes: probe inputs whose feature maps are logged. Default 4.
        eval_samples: validation samples evaluated (the first ones). Default 2000.
        embedding_layer: layer path to log as embeddings, "auto" (the last dense layer
            before the output) or None. Default "auto".
        embedding_samples: samples per embeddings summary. Default 512.
        hparams: extra hyperparameters (batch size, architecture options, ...) merged into
            the ones read from the model and optimizer; False writes none. Default None.
        samples: ``samples(model, step) -> {name: str | image array}`` called at each
            evaluation; written as text or images under ``samples/<name>``. Default None.
        loss_fn: ``loss_fn(y_true, y_pred)`` for the probe gradients. Default: compiled loss.
        flush_secs: writer flush interval in seconds; also flushed after each epoch and at
            the end, so a crash loses at most this much. Default 10.
        log_initial_state: write step 0 (before training). Default True.
        feature_vis_freq: epochs between feature visualizations (``feature_vis/<layer>``:
            per filter, the input maximising its mean activation; ``inspector.feature_vis``,
            64 gradient-ascent steps on up to 64 filters per layer); 0 off. Default 0.
        feature_vis_layers: layer paths to visualize; None: every conv layer.

    Cost at the defaults: under a millisecond per logged batch (nothing on the others) and,
    per epoch, one forward and backward pass on the probe batch, one forward pass on at most
    ``eval_samples`` validation samples and the encoding of about a hundred summaries. The
    first epoch reads the samples and writes the weights and kernels before training; the
    probe pass before training (on the weights as they were), the graphs and the compiled
    probe and evaluation passes are traced on a background thread from the first training
    step on (until they are ready, passes run eagerly), so the training thread waits for
    none of it (``benchmarks/hook_overhead.py`` compares this with the stock TensorBoard
    callback). ``hook_seconds`` and ``perf/hook_seconds`` hold the time spent in this
    callback; the background thread's CPU time shows only in the epoch's own.
    """

    def __init__(self, logdir: str | os.PathLike, *, validation_data=None, class_names=None,
                 update_freq: int | str = 50, histogram_freq: int = 1, kernel_freq: int = 1,
                 activation_freq: int = 1, eval_freq: int = 1, write_graph: bool = True,
                 probe_size: int = 32, feature_map_probes: int = 4, eval_samples: int = 2000,
                 embedding_layer: str | None = "auto", embedding_samples: int = 512,
                 hparams: dict | bool | None = None,
                 samples: Callable[[Any, int], dict] | None = None,
                 loss_fn: Callable | None = None, flush_secs: float = 10.0,
                 log_initial_state: bool = True, feature_vis_freq: int = 0,
                 feature_vis_layers: list[str] | None = None):
        super().__init__()
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise InspectorError(
                f"update_freq must be a positive number of batches or 'epoch', got {update_freq!r}")
        for name, freq in (("histogram_freq", histogram_freq), ("kernel_freq", kernel_freq),
                           ("activation_freq", activation_freq), ("eval_freq", eval_freq),
                           ("feature_vis_freq", feature_vis_freq)):
            if not isinstance(freq, int) or freq < 0:
                raise InspectorError(f"{name} must be a number of epochs >= 0 (0: never), "
                                     f"got {freq!r}")
        self.logdir = os.fspath(logdir)
        self.validation_data = validation_data
        self.class_names = class_names
        self.update_freq = update_freq
        self.histogram_freq = histogram_freq
        self.kernel_freq = kernel_freq
        self.activation_freq = activation_freq
        self.eval_freq = eval_freq
        self.write_graph = write_graph
        self.probe_size = probe_size
        self.feature_map_probes = feature_map_probes
        self.eval_samples = eval_samples
        self.embedding_layer = embedding_layer
        self.embedding_samples = embedding_samples
        self.hparams = hparams
        self.samples = samples
        self.loss_fn = loss_fn
        self.flush_secs = flush_secs
        self.log_initial_state = log_initial_state
        self.feature_vis_freq = feature_vis_freq
        self.feature_vis_layers = feature_vis_layers
        self.logger: ModelLogger | None = None
        self.hook_seconds = 0.0  # total time spent in this callback
        self.epoch_hook_seconds: list[float] = []  # per epoch of the last fit
        self._epoch_seconds = 0.0
        self._started = self._tracing = False
        self._steps_per_epoch: int | None = None
        self._global_step = 0
        self._epoch_start = self._last_batch_time = 0.0
        self._batches_in_epoch = 0
        self._last_logged = (0, 0.0)  # (global step, time) of the last batch-axis write

    # ------------------------------------------------------------------ timing
    def _timed(self, started: float) -> None:
        spent = time.perf_counter() - started
        self.hook_seconds += spent
        self._epoch_seconds += spent

    @property
    def errors(self) -> list[str]:
        """Parts of the logging that failed and were switched off (also warned about)."""
        return self.logger.errors if self.logger is not None else []

    # ------------------------------------------------------------------ Keras hooks
    def on_train_begin(self, logs=None):
        t = time.perf_counter()
        if self.logger is not None:  # a previous fit that ended in an exception
            self.logger.close()
        validation, training = self.validation_data, None
        args = fit_data.fit_arguments(self.model)
        if args is not None:
            if validation is None:
                validation = fit_data.held_out(args)
            training = fit_data.training_data(args)
        self.logger = ModelLogger(
            self.logdir, self.model, validation_data=validation, training_data=training,
            class_names=self.class_names, loss_fn=self.loss_fn, probe_size=self.probe_size,
            feature_map_probes=self.feature_map_probes, eval_samples=self.eval_samples,
            embedding_layer=self.embedding_layer, embedding_samples=self.embedding_samples,
            flush_secs=self.flush_secs)
        self._steps_per_epoch = self.params.get("steps") if self.params else None
        self._started = self._tracing = False
        self.epoch_hook_seconds = []
        self._timed(t)

    def on_epoch_begin(self, epoch, logs=None):
        t = time.perf_counter()
        self._epoch_seconds = 0.0
        if not self._started:
            self._started = True
            self._global_step = epoch * (self._steps_per_epoch or 0)
            first = epoch == 0
            self.logger.start(epoch, graphs=self.write_graph,
                              snapshot=first and self.log_initial_state, defer_graphs=True)
            if first and self.log_initial_state and self.feature_vis_freq:
                self._feature_vis(0)
            values = self._hparams() if first else None  # after start built the model
            if values:
                self.logger.log_hparams(values)
        self._batches_in_epoch = 0
        self._timed(t)
        self._epoch_start = self._last_batch_time = time.perf_counter()
        # Speed counts training batches only: not validation, nor the time between epochs.
        self._last_logged = (self._global_step, self._epoch_start)

    def on_train_batch_end(self, batch, logs=None):
        t = time.perf_counter()
        self._last_batch_time = t
        if not self._tracing:  # the first step built the optimizer: trace beside training
            self._tracing = True
            self.logger.trace_graphs()
        done = batch + 1
        step = self._global_step + (done if self._steps_per_epoch else
                                    done - self._batches_in_epoch)
        if not self._steps_per_epoch:
            self._global_step = step
        self._batches_in_epoch = done
        if self.update_freq != "epoch" and step // self.update_freq > \
                self._last_logged[0] // self.update_freq:
            last_step, last_time = self._last_logged
            speed = (step - last_step) / max(t - last_time, 1e-9)
            self.logger.batch(step, logs or {}, learning_rate=learning_rate(self.model),
                              steps_per_second=speed)
            self._last_logged = (step, time.perf_counter())
        self._timed(t)

    def on_epoch_end(self, epoch, logs=None):
        t = time.perf_counter()
        step = epoch + 1
        if self._steps_per_epoch:
            self._global_step = step * self._steps_per_epoch
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")
                 and k != "learning_rate"}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        due = lambda freq: bool(freq) and step % freq == 0  # noqa: E731
        log = self.logger
        log.collect_graphs()
        log.epoch(step, train, val, state=False, evaluate=False)
        w = log.writer(TRAIN)
        seconds = self._last_batch_time - self._epoch_start
        if self._batches_in_epoch and seconds > 0:
            w.scalar(P.TAG_STEPS_PER_SECOND, self._batches_in_epoch / seconds, step)
        if due(self.histogram_freq) or due(self.kernel_freq) or due(self.activation_freq):
            log.log_model_state(step, weights=due(self.histogram_freq),
                                gradients=due(self.histogram_freq),
                                kernels=due(self.kernel_freq), outputs=due(self.histogram_freq),
                                feature_maps=due(self.activation_freq))
        if due(self.feature_vis_freq):
            self._feature_vis(step)
        if due(self.eval_freq):
            log.log_evaluation(step)
            if self.samples is not None:
                with log.guard("samples"):
                    log.log_samples(step, self.samples(self.model, step))
        self._timed(t)
        w.scalar(P.TAG_HOOK_SECONDS, self._epoch_seconds, step)
        self.epoch_hook_seconds.append(self._epoch_seconds)
        log.flush()

    def _feature_vis(self, step: int) -> None:
        from inspector.feature_vis import log_feature_vis

        with self.logger.guard("feature visualization"):
            probe = self.logger.probe
            x = np.asarray(tf.nest.flatten(probe.x)[0]) if probe is not None else None
            value_range = (float(x.min()), float(x.max())) if x is not None else None
            log_feature_vis(self.logger.writer(TRAIN), self.model, step,
                            self.feature_vis_layers, value_range=value_range)

    def on_train_end(self, logs=None):
        t = time.perf_counter()
        if self.logger is not None:
            self.logger.collect_graphs(wait=True)
            self.logger.close()
        self._timed(t)

    # ------------------------------------------------------------------ hparams
    def _hparams(self) -> dict | None:
        if self.hparams is False:
            return None
        values: dict[str, Any] = {"model": type(self.model).__name__}
        try:
            values["parameters"] = int(self.model.count_params())
        except ValueError:
            pass
        values["layers"] = len(getattr(self.model, "layers", []))
        for key in ("epochs", "steps"):
            if self.params and self.params.get(key) is not None:
                values["epochs" if key == "epochs" else "steps_per_epoch"] = self.params[key]
        opt = getattr(self.model, "optimizer", None)
        if opt is not None:
            values["optimizer"] = type(opt).__name__
            lr = learning_rate(self.model)
            if lr is not None:
                values["learning_rate"] = lr
            for key, value in opt.get_config().items():
                if key not in ("name", "learning_rate") and isinstance(value, (bool, int, float,
                                                                              str)):
                    values[f"optimizer.{key}"] = value
        if isinstance(self.hparams, dict):
            values.update(self.hparams)
        return values
