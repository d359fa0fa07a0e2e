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

from inspector import fit_data, graph_trace, layer_summaries, probes
from inspector.events import plugins as P
from inspector.logger_evaluation import PREDICT_BATCH, TRAIN, VALIDATION, LoggerEvaluation
from inspector.summary import SummaryWriter

NO_SHAPE = ("op graphs: the model's input shape is unknown; build the model (keras.Input "
            "or model.build) or give fit arrays or a Dataset")

__all__ = ["PREDICT_BATCH", "TRAIN", "VALIDATION", "ModelLogger", "learning_rate"]


class ModelLogger(LoggerEvaluation):
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
        self._results: dict[str, Any] = {}  # what the background thread found
        self._deferred: tuple[list | None, bool] | None = None  # (values, graphs) for later
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
        """Flush and close every writer, give the layers their plain ``call`` back
        (idempotent)."""
        for w in self._writers.values():
            w.close()
        self._writers.clear()
        if self._tracer is None or self._tracer.done:
            probes.unroute(self.model)

    # ------------------------------------------------------------------ begin
    def start(self, step: int = 0, *, graphs: bool = True, snapshot: bool = True,
              train_step=None, hparams: dict | None = None, defer_graphs: bool = False) -> None:
        """Once, before training: choose the evaluation data and the probe batch and log
        it; ``hparams`` (into the logdir itself); with ``snapshot`` the weights, kernels,
        gradients and layer outputs before training, at ``step``; with ``graphs`` the layer
        graph and the op graphs (the training step, ``train_step(x, y)`` if given, else
        Keras' ``train_step``; and inference).

        With ``defer_graphs`` (and no ``train_step``) only the weights and kernels are
        written now; the probe pass on the variables' current values, the graphs and the
        compiled probe and evaluation passes run on a background thread that
        ``trace_graphs`` starts, and ``collect_graphs`` writes what it found."""
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
        if hparams:
            self.log_hparams(hparams)
        if defer_graphs and train_step is None:
            # Weights and kernels now; the probe pass before training and everything traced
            # go to a background thread (``trace_graphs``), written by ``collect_graphs``.
            values = None
            if snapshot:
                self.log_model_state(step, gradients=False, outputs=False, feature_maps=False)
                values = [np.array(v.numpy(), copy=True) for v in self.model.variables]
            self._deferred = (values, graphs)
            return
        specs = self.graph_specs() if graphs else None
        if graphs and specs is None:
            self.warn(NO_SHAPE)
        if snapshot:
            self.log_model_state(step)
        if graphs:  # after the snapshot: its probe pass saw the layer calls
            self.log_layer_graph(step)
            if specs is not None:
                self.log_graphs(step, train_step, specs)

    def _background_tracer(self, specs, values=None, *,
                           layer_graph: bool = True) -> graph_trace.GraphTracer:
        """For one background thread: the probe pass with the variables' ``values`` (taken
        before training), the op graphs (``specs``; none if None), the compiled probe and
        evaluation passes (the evaluation pass's graph is the inference graph)."""
        first, jobs = [], []
        recorder = self.recorder()
        if recorder is not None and values is not None:
            y = self.probe.y if "gradients" not in self._disabled else None
            first.append(("layer outputs", lambda: self._results.__setitem__(
                "snapshot", recorder.record_at(values, self.probe.x, y))))
        if layer_graph:
            first.append(("layer graph", lambda: self._results.__setitem__(
                "layer graph", self._layer_graph_json())))
        if specs is None:
            return graph_trace.GraphTracer(self.model, None, first=first, op_graphs=False)
        if recorder is not None:
            x_spec = probes.input_spec(probes.as_batch(self.probe.x))
            y_spec = None
            if self.probe.y is not None and "gradients" not in self._disabled:
                y_spec = probes.input_spec(self.probe.y)
            jobs.append(("probe passes", lambda: recorder.compile(x_spec, y_spec)))
        inference_from = None
        if self.data is not None and self.data[1] is not None:
            eval_spec = probes.input_spec(probes.as_batch(self.data[0]))

            def inference_from():
                evaluator = self.evaluator()  # after ``first``: the layer calls are known
                evaluator.compile(eval_spec)
                return evaluator.forward_graph
        return graph_trace.GraphTracer(self.model, *specs, first=first, jobs=jobs,
                                       inference_from=inference_from)

    def _write_background(self, step: int) -> None:
        """What the background thread saw of the model before training, at ``step``."""
        seen = self._results.pop("snapshot", None)
        if seen is not None:
            self.log_seen(step, seen)
        text = self._results.pop("layer graph", None)
        if text is not None:
            self.writer(TRAIN).keras_model(text, step)

    def _choose_data(self) -> None:
        """The evaluation data: the validation data, else a sample of the training data."""
        chosen = fit_data.choose(self._validation_data, self._training_data, self.eval_samples)
        self.data = chosen.data
        self.evaluation_run = TRAIN if chosen.from_training else VALIDATION
        for message in chosen.warnings:
            self.warn(message)

    def graph_specs(self) -> tuple[Any, Any] | None:
        """``(x_spec, y_spec)`` the op graphs are traced for: the probe batch's, else the
        data's, else the model's own input signature (``y_spec`` may be None)."""
        found = None
        if self.probe is not None:
            found = (probes.input_spec(self.probe.x),
                     None if self.probe.y is None else probes.input_spec(self.probe.y))
        return fit_data.specs(found, self.model, self._validation_data, self._training_data)

    def trace_graphs(self, background: bool = True) -> None:
        """Start what ``start`` deferred on a background thread (call it once the model and
        its optimizer are built, e.g. after the first training step: a subclassed model fed
        by a generator only has an input shape then)."""
        if self._deferred is None:
            return
        values, graphs = self._deferred
        self._deferred = None
        specs = self.graph_specs() if graphs else None
        if graphs and specs is None:
            self.warn(NO_SHAPE)
        self._tracer = self._background_tracer(specs, values, layer_graph=graphs)
        self._tracer.start(background=background)

    def collect_graphs(self, wait: bool = False) -> None:
        """Write what the background thread found: the model's state before training as
        soon as it is there (waiting for it, so that no later step is written before it),
        the op graphs when done (or, with ``wait``, waiting for them)."""
        if self._deferred is not None:  # no training step ran
            self.trace_graphs(background=False)
        tracer = self._tracer
        if tracer is None:
            return
        tracer.first_done.wait()
        self._write_background(self._graph_step)
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
            self.writer(TRAIN).keras_model(self._layer_graph_json(), step)

    def _layer_graph_json(self) -> str:
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
        return graph_trace.layer_graph_json(self.model, recorder.calls, shape)

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
        if seen is not None:
            self.log_seen(step, seen, gradients=gradients, outputs=outputs,
                          feature_maps=feature_maps)

    def log_seen(self, step: int, seen: probes.Recording, *, gradients: bool = True,
                 outputs: bool = True, feature_maps: bool = True) -> None:
        """Gradient and layer-output histograms, feature maps and recurrent states of one
        probe pass, each as asked."""
        w = self.writer(TRAIN)
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
