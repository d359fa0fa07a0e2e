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

from inspector import evaluation, fit_data, graph_trace, layer_summaries, probes
from inspector.events import plugins as P
from inspector.kinds import embeddings
from inspector.summary import SummaryWriter

TRAIN, VALIDATION = "train", "validation"
PREDICT_BATCH = 256  # samples per forward pass when evaluating


class ModelLogger:
    """Writes one model's training into ``logdir`` (runs ``train``, ``validation`` and the
    logdir itself for hparams).

    Args:
        logdir: the experiment directory.
        model: a Keras 3 model (Sequential, Functional or subclassed); one not yet built is
            built by ``start`` on a sample, as its first training step would.
        validation_data: ``(x, y)`` arrays, a ``tf.data.Dataset``, a ``keras.utils.PyDataset``
            or batches; the probe batch, gradients, layer outputs, evaluation (validation
            run) and embeddings come from it.
        training_data: used in its place when there is no validation data (evaluation then
            goes to the train run, and a warning says so): ``(x, y)`` arrays, a Dataset or a
            PyDataset, of which the first ``eval_samples`` are read once. Without either,
            only curves, weights, kernels and the graphs are written, and a warning says why.
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
                 training_data=None, class_names=None, loss_fn: Callable | None = None,
                 probe_size: int = 32,
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
        self._training_data = training_data
        self.data: tuple[Any, Any] | None = None
        self.evaluation_run = VALIDATION  # where evaluation goes: train for training samples
        self.probe: probes.Probe | None = None
        self.warnings: list[str] = []  # what could not be logged and how to enable it
        self._warning_step = 0
        self._recorder: probes.LayerRecorder | None = None
        self._evaluator: probes.LayerRecorder | None = None
        self._tracer: graph_trace.GraphTracer | None = None
        self._graph_step = 0

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

    def warn(self, message: str, step: int | None = None) -> None:
        """One line saying what cannot be logged and how to enable it: a Python warning,
        ``warnings``, and the text summary ``inspector/warnings`` (train run) that
        ``inspector info`` prints. Each message once."""
        if message in self.warnings:
            return
        self.warnings.append(message)
        warnings.warn(f"Inspector: {message}", UserWarning, stacklevel=3)
        step = self._warning_step if step is None else step
        self.writer(TRAIN).text(P.TAG_WARNINGS, "\n".join(f"- {m}" for m in self.warnings),
                                step)

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
              train_step=None, hparams: dict | None = None, defer_graphs: bool = False) -> None:
        """Once, before training: choose the probe batch and log it; the layer graph; the op
        graphs (the training step, ``train_step(x, y)`` if given, else Keras' ``train_step``;
        and inference), traced now or, with ``defer_graphs``, on a background thread that
        ``trace_graphs`` starts; ``hparams`` (into the logdir itself); with ``snapshot``
        the weights, kernels and layer outputs before training, at ``step``."""
        self._warning_step = self._graph_step = step
        self._choose_data()
        if self.data is not None:
            self.probe = probes.select_probe(*self.data, size=self.probe_size)
            if not self.model.built:
                # A subclassed model is built by its first training step; build it now, as
                # Keras would, so that graphs and state exist before that step.
                self.model(probes.as_batch(self.probe.head(1)), training=False)
            with self.guard("probe"):
                layer_summaries.log_probe(self.writer(TRAIN), self.probe, step, self.class_names)
        if graphs:
            specs = self.graph_specs()
            if specs is None:
                self.warn("op graphs: the model's input shape is unknown; build the model "
                          "(keras.Input or model.build) or give fit arrays or a Dataset")
            elif train_step is not None or not defer_graphs:
                self.log_graphs(step, train_step, specs)
            else:
                self._tracer = graph_trace.GraphTracer(self.model, *specs)
        if hparams:
            self.log_hparams(hparams)
        if snapshot:
            self.log_model_state(step)
        if graphs:  # after the snapshot: its probe pass saw the layer calls
            self.log_layer_graph(step)

    def _choose_data(self) -> None:
        """The evaluation data: the validation data, else a sample of the training data."""
        for source, run in ((self._validation_data, VALIDATION), (self._training_data, TRAIN)):
            if source is None:
                continue
            try:
                self.data = fit_data.sample(source, self.eval_samples,
                                            consume=source is self._validation_data)
            except fit_data.CannotSample as err:
                self.warn(f"probe batch, gradients, layer outputs and evaluation: fit was "
                          f"given {err}, which cannot be read without taking batches from "
                          "training; pass validation_data= to fit or to Inspector")
                continue
            except Exception as err:  # noqa: BLE001 - logging must never stop training
                self.warn(f"probe batch, gradients, layer outputs and evaluation: reading "
                          f"the data failed ({type(err).__name__}: {err}); pass "
                          "validation_data=(x, y) arrays to Inspector")
                continue
            if self.data is not None:
                self.evaluation_run = run
                break
        if self.data is None:
            if self._validation_data is None and self._training_data is None:
                self.warn("probe batch, gradients, layer outputs and evaluation: no data; "
                          "pass validation_data= to fit or to Inspector")
            return
        if self.evaluation_run == TRAIN:
            self.warn(f"evaluation: fit has no validation data, so the first "
                      f"{len(tf.nest.flatten(self.data[0])[0])} training samples are "
                      "evaluated (train run); pass validation_data= or validation_split= "
                      "to fit to evaluate held-out data")
        if self.data[1] is None:
            self.warn("gradients and evaluation: the data holds no targets; give fit "
                      "(x, y) pairs or pass validation_data=(x, y) to Inspector")

    def graph_specs(self) -> tuple[Any, Any] | None:
        """``(x_spec, y_spec)`` the op graphs are traced for: the probe batch's, else the
        training data's, else the model's own input signature (``y_spec`` may be None)."""
        found = None
        if self.probe is not None:
            found = (probes.input_spec(self.probe.x),
                     None if self.probe.y is None else probes.input_spec(self.probe.y))
        for source in (self._validation_data, self._training_data):
            if found is None or found[1] is None:
                with contextlib.suppress(Exception):
                    specs = fit_data.data_specs(source)
                    if specs is not None and (found is None or specs[1] is not None):
                        found = specs
        if found is None or found[1] is None:
            with contextlib.suppress(Exception):
                specs = fit_data.model_specs(self.model)
                if specs is not None and (found is None or specs[1] is not None):
                    found = specs if found is None else (found[0], specs[1])
        return found

    def trace_graphs(self) -> None:
        """Start tracing the op graphs deferred by ``start`` on a background thread (call
        it once the model's optimizer is built, e.g. after the first training step)."""
        if self._tracer is not None and self._tracer._thread is None:
            self._tracer.start()

    def collect_graphs(self, wait: bool = False) -> None:
        """Write the op graphs traced in the background, if done (or ``wait``)."""
        tracer = self._tracer
        if tracer is None or (tracer._thread is None and not wait):
            return
        if tracer._thread is None:
            tracer.start(background=False)
        if not (wait or tracer.done):
            return
        graphs = tracer.result()
        self._tracer = None
        self._write_graphs(graphs, tracer.errors, self._graph_step)

    def _write_graphs(self, graphs: dict, errors: list, step: int) -> None:
        for part, err in errors:
            with self.guard(part):
                raise err
        if graphs.get("train") is not None:
            self.writer(TRAIN).graph_def(graphs["train"], step)
        if graphs.get("inference") is not None:
            self.writer(VALIDATION).graph_def(graphs["inference"], step)

    def log_hparams(self, values: dict) -> None:
        """The run's hyperparameters, as the hparams plugin's session start in the logdir
        itself (TensorBoard's HParams dashboard then lists the train and validation runs'
        scalars against them)."""
        with self.guard("hparams"), SummaryWriter(self.logdir) as root:
            root.hparams(values)

    def log_graphs(self, step: int = 0, train_step=None, specs=None) -> None:
        """The training-step op graph (train run) and the inference op graph (validation
        run), traced now for ``specs`` (default ``graph_specs()``)."""
        specs = specs or self.graph_specs()
        if specs is None:
            return
        spec, y_spec = specs
        if train_step is not None and y_spec is not None:
            with self.guard("training-step graph"):
                names = graph_trace.model_scope_names(self.model)
                gd = graph_trace.function_graph(train_step, spec, y_spec, layer_names=names)
                self.writer(TRAIN).graph_def(gd, step)
            y_spec = None  # the custom step is the training step
        tracer = graph_trace.GraphTracer(self.model, spec, y_spec)
        tracer.start(background=False)
        self._write_graphs(tracer.graphs, tracer.errors, step)

    def log_layer_graph(self, step: int = 0) -> None:
        """The layer graph JSON (train run, tag ``keras``). A subclassed model's layer calls
        are those of the last probe pass (or of one pass over zeros of its input shape)."""
        with self.guard("layer graph"):
            recorder = self._recorder
            if recorder is None or not recorder.calls:
                recorder = probes.LayerRecorder(self.model, [])
            specs = None
            if not recorder.calls and graph_trace.needs_calls(self.model):
                specs = self.graph_specs()
                if specs is not None:  # a subclassed model shows its layers when called
                    recorder.run(tf.nest.map_structure(
                        lambda s: tf.zeros([1, *s.shape[1:]], s.dtype), specs[0]))
            shape = None
            if self.probe is not None:
                shape = [None, *np.shape(tf.nest.flatten(self.probe.x)[0])[1:]]
            elif specs is not None:
                shape = tf.nest.flatten(specs[0])[0].shape.as_list()
            text = graph_trace.layer_graph_json(self.model, recorder.calls, shape)
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
        """The probe batch's recorder (None without a probe batch)."""
        if self._recorder is None and self.probe is not None:
            self._recorder = probes.LayerRecorder(self.model, loss_fn=self.loss_fn)
        return self._recorder

    def _probe_pass(self) -> probes.Recording | None:
        """Layer outputs (and, with labels, loss and gradients) on the probe batch."""
        recorder = self.recorder()
        if recorder is None:
            return None
        if self.probe.y is not None and "gradients" not in self._disabled:
            with self.guard("gradients"):
                return recorder.record(self.probe.x, self.probe.y)
        return recorder.run(self.probe.x)

    def log_model_state(self, step: int, *, weights: bool = True, gradients: bool = True,
                        kernels: bool = True, outputs: bool = True,
                        feature_maps: bool = True) -> None:
        """Histograms of weights, of gradients and of layer outputs on the probe batch,
        kernels, and feature maps (recurrent layers: hidden states and gates), each as
        asked (one pass over the probe batch)."""
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
        seen = None
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
        if feature_maps and seen is not None and seen.recurrent_inputs:
            with self.guard("recurrent states"):
                layer_summaries.log_recurrent_states(
                    w, self.model, seen.recurrent_inputs, step,
                    feature_map_probes=self.feature_map_probes)

    # ------------------------------------------------------------------ evaluation
    def output_names(self, count: int) -> list[str | None]:
        """Names of the model's ``count`` outputs for evaluation tags: None for a single
        output (the plain ``evaluation/...`` tags), else Keras' output names."""
        if count <= 1:
            return [None]
        names = list(getattr(self.model, "output_names", None) or [])
        return names if len(names) == count else [f"output_{i}" for i in range(count)]

    def _targets(self, y, count: int) -> list:
        """The targets ``y`` as one entry per flattened model output."""
        if count <= 1:
            return [tf.nest.flatten(y)[0] if isinstance(y, (dict, list, tuple)) else y]
        if isinstance(y, dict):
            names = self.output_names(count)
            if all(n in y for n in names):
                return [y[n] for n in names]
        flat = tf.nest.flatten(y)
        return flat if len(flat) == count else [None] * count

    def log_evaluation(self, step: int) -> evaluation.ClassificationReport | None:
        """Evaluation of the validation data (validation run; the train run when it is a
        training sample): per output, the classification summaries and each probe's
        prediction; and, from the same forward pass, embeddings (train run). Returns the
        (first output's) report."""
        if self.data is None or self.data[1] is None:
            return None
        first = None
        with self.guard("evaluation"):
            if self._evaluator is None:
                path = self._embedding_path() if self.embedding_layer else None
                self._evaluator = probes.LayerRecorder(self.model, [path] if path else [])
            x, y = self.data
            seen = self._evaluator.run(x, batch_size=PREDICT_BATCH)
            count = len(seen.results)
            w = self.writer(self.evaluation_run)
            names = self.output_names(count)
            for name, target, out in zip(names, self._targets(y, count), seen.results,
                                         strict=True):
                if target is None:
                    continue
                report = evaluation.log_evaluation(w, target, out, step, self.class_names,
                                                   pr_curves=self.pr_curves, output=name)
                first = report if first is None else first
                if self.probe is not None and report is not None:
                    idx = self.probe.indices
                    evaluation.log_probe_predictions(w, np.asarray(target)[idx], out[idx],
                                                     step, self.class_names, output=name)
            labels = self._targets(y, count)[0]
            for path, vectors in seen.outputs.items():
                with self.guard("embeddings"):
                    self.log_embeddings(step, path, vectors[: self.embedding_samples],
                                        None if labels is None else
                                        np.asarray(labels)[: self.embedding_samples])
        return first

    def _embedding_path(self) -> str | None:
        if self.embedding_layer != "auto":
            return self.embedding_layer
        recorder = self.recorder()
        if recorder is not None and not recorder.calls:
            recorder.run(self.probe.head(1))
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
