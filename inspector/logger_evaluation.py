"""The evaluation half of ``inspector.model_logger.ModelLogger``: each output of the model
on the evaluation data, each probe's prediction, and embeddings, from one forward pass.

A base class only so that the logger stays readable; it uses the logger's ``model``,
``data``, ``probe``, writers and guards. Imports TensorFlow.
"""

from __future__ import annotations

import threading

import numpy as np
import tensorflow as tf

from inspector import evaluation, probes
from inspector.kinds import embeddings

TRAIN, VALIDATION = "train", "validation"
PREDICT_BATCH = 256  # samples per forward pass when evaluating
_EVALUATOR_LOCK = threading.Lock()


class LoggerEvaluation:
    """Evaluation, probe predictions and embeddings (mixed into ``ModelLogger``)."""

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
            x, y = self.data
            seen = self.evaluator().run(x, batch_size=PREDICT_BATCH)
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

    def evaluator(self) -> probes.LayerRecorder | None:
        """The recorder of evaluation passes (model outputs and the embedding layer's);
        None without labelled data."""
        with _EVALUATOR_LOCK:  # the training thread and the background thread both ask
            if self._evaluator is None and self.data is not None and self.data[1] is not None:
                path = self._embedding_path() if self.embedding_layer else None
                self._evaluator = probes.LayerRecorder(self.model, [path] if path else [])
        return self._evaluator

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

