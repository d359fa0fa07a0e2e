"""``ModelLogger``: everything Inspector shows about one model's training, written into one
logdir by a handful of calls. The Keras callback (``inspector.hooks.Inspector``) is a thin
scheduler over it; a custom ``tf.GradientTape`` loop calls it directly::

    log = ModelLogger("logs/mlp/run1", model, validation_data=(x_val, y_val), loss_fn=loss_fn)
    log.start(train_step=train_step)           # probe, graphs, hparams, state before training
    for epoch in range(epochs):
        for x, y in batches:
            loss = train_step(x, y)
            step += 1
            log.batch(step, {"loss": loss})
        log.epoch(epoch + 1, {"loss": ..., "accuracy": ...}, {"loss": val_loss})
    log.close()

What lands where, and the step axes, are in ``inspector.events.plugins`` (the TAG_* block).
A part that fails (an exotic layer the tracer cannot follow, a model without a loss) is
reported once as a warning, listed in ``errors`` and switched off; training never stops
because of logging. Imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from inspector import evaluation, graph_trace, layer_summaries, probes
from inspector.events import plugins as P
from inspector.kinds import embeddings
from inspector.summary import SummaryWriter

TRAIN, VALIDATION = "train", "validation"
PREDICT_BATCH = 256  # samples per forward pass when evaluating


def materialize(data, limit: int) -> tuple[Any, np.ndarray | None] | None:
    """At most ``limit`` samples of ``(x, y)``, ``(x, y, weights)``, a ``tf.data.Dataset``
    or an iterable of batches, as numpy ``(x, y)`` (x may be nested)."""
    if data is None:
        return None
    if isinstance(data, (tuple, list)) and len(data) in (2, 3) and not isinstance(data[0], tuple):
        x, y = data[0], data[1]
        take = lambda a: np.asarray(a)[:limit]  # noqa: E731
        return tf.nest.map_structure(take, x), None if y is None else take(y)
    xs, ys, n = [], [], 0
    for batch in data:
        x, y = (batch[0], batch[1]) if isinstance(batch, (tuple, list)) else (batch, None)
        xs.append(tf.nest.map_structure(np.asarray, x))
        ys.append(None if y is None else np.asarray(y))
        n += len(tf.nest.flatten(xs[-1])[0])
        if n >= limit:
            break
    if not xs:
        return None
    x = tf.nest.map_structure(lambda *a: np.concatenate(a)[:limit], *xs)
    y = None if ys[0] is None else np.concatenate(ys)[:limit]
    return x, y


class ModelLogger:
    """Writes one model's training into ``logdir`` (runs ``train``, ``validation`` and the
    logdir itself for hparams).

    Args:
        logdir: the experiment directory.
        model: a Keras 3 model (Sequential, Functional or subclassed); one not yet built is
            built by ``start`` on a validation sample, as its first training step would.
        validation_data: ``(x, y)`` arrays, a ``tf.data.Dataset`` or batches; the probe batch,
            gradients, layer outputs, evaluation and embeddings come from it. Without it
            only curves, weights, kernels and the graphs are written.
        class_names: names of the classes, for evaluation tags and label tables.
        loss_fn: ``loss_fn(y_true, y_pred)`` for the probe gradients; default the compiled
            loss (``model.compute_loss``).
        probe_size: samples in the probe batch (class-stratified, fixed for the run).
        feature_map_probes: probes whose feature maps are written each time.
        eval_samples: at most this many validation samples are evaluated (and kept in RAM).
        embedding_layer: layer path whose outputs are logged as embeddings, "auto" (the last
            dense layer before the output) or None.
        embedding_samples: samples in each embeddings summary.
        pr_curves: write one PR curve per class at each evaluation.
        histogram_buckets, max_kernel_values, max_feature_map_values: see
            ``inspector.layer_summaries``.
        flush_secs: the writers' flush interval; everything is flushed after each epoch too.
    """

    def __init__(self, logdir: str | os.PathLike, model, *, validation_data=None,
                 class_names=None, loss_fn: Callable | None = None, probe_size: int = 32,
                 feature_map_probes: int = 4, eval_samples: int = 2000,
                 embedding_layer: str | None = "auto", embedding_samples: int = 512,
                 pr_curves: bool = True, histogram_buckets: int = 30,
                 max_kernel_values: int = 1 << 21, max_feature_map_values: int = 1 << 20,
                 flush_secs: float = 10.0):
        self.logdir = os.fspath(logdir)
        self.model = model
        self.class_names = list(class_names) if class_names is not None else None
        self.loss_fn = loss_fn
        self.probe_size = probe_size
        self.feature_map_probes = feature_map_probes
        self.eval_samples = eval_samples
        self.embedding_layer = embedding_layer
        self.embedding_samples = embedding_samples
        self.pr_curves = pr_curves
        self.buckets = histogram_buckets
        self.max_kernel_values = max_kernel_values
        self.max_feature_map_values = max_feature_map_values
        self.flush_secs = flush_secs
        self.errors: list[str] = []
        self._disabled: set[str] = set()
        self._writers: dict[str, SummaryWriter] = {}
        self._validation_data = validation_data
        self.data: tuple[Any, np.ndarray | None] | None = None
        self.probe: probes.Probe | None = None
        self._recorder: probes.LayerRecorder | None = None
        self._evaluator: probes.LayerRecorder | None = None

    # ------------------------------------------------------------------ plumbing
    def writer(self, run: str) -> SummaryWriter:
        """The writer of ``run`` ("train", "validation"), opened on first use."""
        if run not in self._writers:
            self._writers[run] = SummaryWriter(os.path.join(self.logdir, run),
                                               flush_secs=self.flush_secs)
        return self._writers[run]

    @contextlib.contextmanager
    def guard(self, part: str):
        """Run one part of the logging; if it fails, warn once and switch the part off."""
        if part in self._disabled:
            yield False
            return
        try:
            yield True
        except Exception as err:  # noqa: BLE001 - logging must never stop training
            self._disabled.add(part)
            message = f"Inspector: {part} switched off: {type(err).__name__}: {err}"
            self.errors.append(message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    def flush(self) -> None:
        for w in self._writers.values():
            w.flush()

    def close(self) -> None:
        """Flush and close every writer (idempotent)."""
        for w in self._writers.values():
            w.close()
        self._writers.clear()

    # ------------------------------------------------------------------ begin
    def start(self, step: int = 0, *, graphs: bool = True, snapshot: bool = True,
              train_step=None, hparams: dict | None = None) -> None:
        """Once, before training: choose the probe batch and log it; the op graphs (the
        training step, ``train_step(x, y)`` if given, else Keras' ``train_step``; and
        inference) and the layer graph; ``hparams`` (into the logdir itself); with
        ``snapshot`` the weights, kernels and layer outputs before training, at ``step``."""
        if self._validation_data is not None:
            with self.guard("validation data"):
                self.data = materialize(self._validation_data, self.eval_samples)
        if self.data is not None:
            self.probe = probes.select_probe(*self.data, size=self.probe_size)
            if not self.model.built:
                # A subclassed model is built by its first training step; build it now, as
                # Keras would, so that graphs and state exist before that step.
                self.model(probes.as_batch(self.probe.head(1)), training=False)
            with self.guard("probe"):
                layer_summaries.log_probe(self.writer(TRAIN), self.probe, step, self.class_names)
        if graphs:
            self.log_graphs(step, train_step)
        if hparams:
            self.log_hparams(hparams)
        if snapshot:
            self.log_model_state(step)

    def log_hparams(self, values: dict) -> None:
        """The run's hyperparameters, as the hparams plugin's session start in the logdir
        itself (TensorBoard's HParams dashboard then lists the train and validation runs'
        scalars against them)."""
        with self.guard("hparams"), SummaryWriter(self.logdir) as root:
            root.hparams(values)

    def log_graphs(self, step: int = 0, train_step=None) -> None:
        """The training-step op graph (train run), the inference op graph (validation run)
        and the layer graph JSON (train run, tag ``keras``)."""
        spec = probes.input_spec(self.probe.x) if self.probe is not None else None
        y_spec = None
        if self.probe is not None and self.probe.y is not None:
            y_spec = probes.input_spec(self.probe.y)
        if spec is not None and y_spec is not None:
            with self.guard("training-step graph"):
                if train_step is not None:
                    names = graph_trace.model_scope_names(self.model)
                    gd = graph_trace.function_graph(train_step, spec, y_spec, layer_names=names)
                elif getattr(self.model, "optimizer", None) is not None:
                    gd = graph_trace.train_step_graph(self.model, spec, y_spec)
                else:
                    gd = None
                if gd is not None:
                    self.writer(TRAIN).graph_def(gd, step)
        if spec is not None:
            with self.guard("inference graph"):
                self.writer(VALIDATION).graph_def(graph_trace.inference_graph(self.model, spec),
                                                  step)
        with self.guard("layer graph"):
            recorder = self.recorder()
            calls = recorder.calls if recorder is not None else []
            shape = tf.nest.flatten(spec)[0].shape.as_list() if spec is not None else None
            text = graph_trace.layer_graph_json(self.model, calls, shape)
            self.writer(TRAIN).keras_model(text, step)

    # ------------------------------------------------------------------ curves
    def batch(self, step: int, metrics: dict, *, learning_rate: float | None = None,
              steps_per_second: float | None = None) -> None:
        """Batch-axis scalars ``batch/<metric>``, and the learning rate and speed if given."""
        w = self.writer(TRAIN)
        for name, value in metrics.items():
            w.scalar(P.TAG_BATCH + name, float(value), step)
        if learning_rate is not None:
            w.scalar(P.TAG_BATCH + "learning_rate", learning_rate, step)
        if steps_per_second is not None:
            w.scalar(P.TAG_BATCH + "steps_per_second", steps_per_second, step)

    def epoch(self, step: int, metrics: dict, validation_metrics: dict | None = None, *,
              state: bool = True, evaluate: bool = True) -> None:
        """Epoch-axis curves ``epoch/<metric>`` in the train and validation runs, the
        learning rate, then (``state``) weights, gradients, kernels and layer outputs and
        (``evaluate``) evaluation and embeddings; flushed at the end."""
        for run, values in ((TRAIN, metrics), (VALIDATION, validation_metrics or {})):
            for name, value in values.items():
                self.writer(run).scalar(P.TAG_EPOCH + name, float(value), step)
        lr = learning_rate(self.model)
        if lr is not None:
            self.writer(TRAIN).scalar(P.TAG_LEARNING_RATE, lr, step)
        if state:
            self.log_model_state(step)
        if evaluate:
            self.log_evaluation(step)
        self.flush()

    # ------------------------------------------------------------------ model state
    def recorder(self) -> probes.LayerRecorder | None:
        """The probe batch's recorder, traced (its ``calls`` filled) on first use."""
        if self._recorder is None and self.probe is not None:
            self._recorder = probes.LayerRecorder(self.model, loss_fn=self.loss_fn)
            self._probe_pass()
        return self._recorder

    def _probe_pass(self) -> probes.Recording | None:
        """Layer outputs (and, with labels, loss and gradients) on the probe batch."""
        recorder = self.recorder()
        if recorder is None:
            return None
        if self.probe.y is None or "gradients" in self._disabled:
            return probes.Recording(recorder(self.probe.x), float("nan"), [])
        with self.guard("gradients"):
            return recorder.record(self.probe.x, self.probe.y)
        return probes.Recording(recorder(self.probe.x), float("nan"), [])

    def log_model_state(self, step: int, *, weights: bool = True, gradients: bool = True,
                        kernels: bool = True, outputs: bool = True,
                        feature_maps: bool = True) -> None:
        """Histograms of weights, of gradients and of layer outputs on the probe batch,
        kernels, and feature maps, each as asked (one pass over the probe batch)."""
        w = self.writer(TRAIN)
        if weights:
            with self.guard("weights"):
                layer_summaries.log_weights(w, self.model, step, self.buckets)
        if kernels:
            with self.guard("kernels"):
                shape = None
                if self.probe is not None:
                    shape = tuple(np.shape(tf.nest.flatten(self.probe.x)[0])[1:])
                layer_summaries.log_kernels(w, self.model, step, self.max_kernel_values, shape)
        if not (gradients or outputs or feature_maps) or self.probe is None:
            return
        with self.guard("layer outputs"):
            seen = self._probe_pass()
        if gradients and seen is not None and seen.gradients:
            with self.guard("gradients"):
                layer_summaries.log_gradients(w, self.model, seen.gradients, step, self.buckets)
        if (outputs or feature_maps) and seen is not None:
            with self.guard("layer outputs"):
                layer_summaries.log_layer_outputs(
                    w, self.model, seen.outputs, step, histograms=outputs,
                    feature_map_probes=self.feature_map_probes if feature_maps else 0,
                    max_values=self.max_feature_map_values, buckets=self.buckets)

    # ------------------------------------------------------------------ evaluation
    def log_evaluation(self, step: int) -> evaluation.ClassificationReport | None:
        """Evaluation of the validation data (validation run) and, from the same forward
        pass, embeddings (train run)."""
        if self.data is None or self.data[1] is None:
            return None
        report = None
        with self.guard("evaluation"):
            if self._evaluator is None:
                path = self._embedding_path() if self.embedding_layer else None
                self._evaluator = probes.LayerRecorder(self.model, [path] if path else [],
                                                       output=True)
            x, y = self.data
            found = self._evaluator(x, batch_size=PREDICT_BATCH)
            report = evaluation.log_evaluation(self.writer(VALIDATION), y,
                                               found[probes.LayerRecorder.OUTPUT], step,
                                               self.class_names, pr_curves=self.pr_curves)
            for path in self._evaluator.paths:
                with self.guard("embeddings"):
                    self.log_embeddings(step, path, found[path][: self.embedding_samples],
                                        y[: self.embedding_samples])
        return report

    def _embedding_path(self) -> str | None:
        if self.embedding_layer != "auto":
            return self.embedding_layer
        recorder = self.recorder()
        if recorder is None or not recorder.calls:
            return None
        last = recorder.calls[-1].path
        dense = [c.path for c in recorder.calls
                 if c.path != last and probes.layer_role(recorder.layers[c.path]) == "dense"
                 and c.output_shape is not None and len(c.output_shape) == 2]
        return dense[-1] if dense else None

    def log_embeddings(self, step: int, path: str, vectors: np.ndarray, y=None) -> None:
        """Vectors of layer ``path`` (one row per sample) as an EMBEDDINGS tensor
        ``embeddings/<path>``, with the samples' class ids beside when ``y`` holds labels."""
        vectors = np.asarray(vectors).reshape(len(vectors), -1)
        labels = probes.integer_labels(y)
        names = []
        if labels is not None:
            names = list(self.class_names or [])
            names += [str(i) for i in range(len(names), int(labels.max()) + 1)]
        embeddings.write(self.writer(TRAIN), path, vectors, step, labels=labels,
                         label_names=names)

    def log_samples(self, step: int, values: dict) -> None:
        """What a trainer provides, under ``samples/<name>``: a str is text, an array of
        shape [N,H,W,C], [H,W,C] or [H,W] an image (uint8 or float in [0, 1])."""
        w = self.writer(TRAIN)
        for name, value in values.items():
            if isinstance(value, str):
                w.text(P.TAG_SAMPLES + name, value, step)
            else:
                arr = np.asarray(value)
                w.image(P.TAG_SAMPLES + name, arr, step, max_outputs=len(arr) if arr.ndim == 4
                        else 1)


def learning_rate(model) -> float | None:
    """The optimizer's current learning rate (schedules evaluated at the current step)."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    try:
        return float(np.asarray(opt.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None
