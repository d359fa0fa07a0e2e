"""Typed accessors of the store, one per kind: what each returns, its shape and units.

Each is ``Store.series(Kind.X, run, tag)`` with the value type stated, so a page reads
``store.histograms(run, tag)[-1].value[:, 2]`` knowing it holds counts. All raise
``UnknownSeries`` for a run or tag the store does not hold, and leave superseded points out
unless ``include_superseded=True``. Never imports TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from inspector.kinds import Kind

if TYPE_CHECKING:
    from inspector.events.decode import ImageValue
    from inspector.store_series import Point


class TypedQueries:
    """Mixed into ``Store``: typed views of ``series``."""

    def series(self, kind: Kind | str, run: str, tag: str, *,
               include_superseded: bool = False) -> list[Point]:  # pragma: no cover
        raise NotImplementedError

    def histograms(self, run: str, tag: str, *,
                   include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Histogram steps; each value float64 [k, 3]: left edge, right edge, count of each
        bucket (edges in the logged values' units; may hold NaN or +-inf as logged)."""
        return self.series(Kind.HISTOGRAMS, run, tag, include_superseded=include_superseded)

    def images(self, run: str, tag: str, *,
               include_superseded: bool = False) -> list[Point[ImageValue]]:
        """Image steps; each value an ``ImageValue``: width and height in pixels (as the
        writer states them) and the encoded PNG/JPEG/GIF bytes of each image at that step,
        not decoded."""
        return self.series(Kind.IMAGES, run, tag, include_superseded=include_superseded)

    def texts(self, run: str, tag: str, *,
              include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Text steps; each value an ndarray of str (any shape: a scalar string, or a table)
        holding Markdown as logged."""
        return self.series(Kind.TEXT, run, tag, include_superseded=include_superseded)

    def audio(self, run: str, tag: str, *,
              include_superseded: bool = False) -> list[Point[list[bytes]]]:
        """Audio steps; each value a list of encoded clips (bytes, WAV as logged)."""
        return self.series(Kind.AUDIO, run, tag, include_superseded=include_superseded)

    def tensors(self, run: str, tag: str, *,
                include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Generic tensor steps (plugins the store does not know); each value the ndarray
        as written (dtype and shape of the TensorProto; strings as an object array of bytes)."""
        return self.series(Kind.TENSORS, run, tag, include_superseded=include_superseded)

    def pr_curves(self, run: str, tag: str, *,
                  include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """PR-curve steps; each value float [6, thresholds]: TP, FP, TN, FN counts, precision,
        recall per threshold."""
        return self.series(Kind.PR_CURVES, run, tag, include_superseded=include_superseded)

    def hparams(self, run: str, tag: str) -> list[Point[dict[str, Any]]]:
        """hparams plugin records; each value {"experiment"|"session_start"|"session_end":
        {...}} as ``inspector.events.decode.parse_hparams`` reads it."""
        return self.series(Kind.HPARAMS, run, tag)

    def graphs(self, run: str) -> list[Point[bytes]]:
        """The op graphs of ``run`` (``Event.graph_def``), each a serialized GraphDef; [] for
        a run without one. Raises ``UnknownSeries`` for an unknown run."""
        if not self.has(Kind.GRAPHS, run, ""):  # type: ignore[attr-defined]
            if run not in self.runs():  # type: ignore[attr-defined]
                self.series(Kind.GRAPHS, run, "")  # raises UnknownSeries
            return []
        return self.series(Kind.GRAPHS, run, "")

    def keras_models(self, run: str, tag: str) -> list[Point[str]]:
        """Keras model JSON strings (``tf.summary.graph``'s Keras form, plugin
        graph_keras_model); the hook adds per-layer shapes under ``LAYER_INFO_KEY``."""
        return self.series(Kind.KERAS_MODEL, run, tag)

    def run_metadata(self, run: str, tag: str) -> list[Point[bytes]]:
        """Serialized RunMetadata protos (``tf.summary.trace_export``, tagged run metadata)."""
        return self.series(Kind.RUN_METADATA, run, tag)

    def kernels(self, run: str, tag: str, *,
                include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Raw layer kernels per step (see ``inspector.kinds.kernels`` for shape and dtype;
        ``tag_info(run, tag).metadata`` names the layer)."""
        return self.series(Kind.KERNELS, run, tag, include_superseded=include_superseded)

    def activations(self, run: str, tag: str, *,
                    include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Activation maps of the probe inputs per step (``inspector.kinds.activations``)."""
        return self.series(Kind.ACTIVATIONS, run, tag, include_superseded=include_superseded)

    def confusion(self, run: str, tag: str, *,
                  include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Confusion matrices per step, rows true and columns predicted class (counts;
        ``inspector.kinds.confusion``)."""
        return self.series(Kind.CONFUSION, run, tag, include_superseded=include_superseded)

    def embeddings(self, run: str, tag: str, *,
                   include_superseded: bool = False) -> list[Point[np.ndarray]]:
        """Embedding vectors [n, d] per step (``inspector.kinds.embeddings``)."""
        return self.series(Kind.EMBEDDINGS, run, tag, include_superseded=include_superseded)

    def predictions(self, run: str, tag: str, *,
                    include_superseded: bool = False) -> list[Point[Any]]:
        """Probe predictions per step (``inspector.kinds.predictions``)."""
        return self.series(Kind.PREDICTIONS, run, tag, include_superseded=include_superseded)
