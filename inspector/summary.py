"""The low-level summary writer: TensorBoard event files, written without TensorFlow.

Everything lands in the TF2 forms ``tf.summary`` writes (see ``inspector.summary_forms``),
so TensorBoard, RustBoard and Inspector all read the files. Never imports TensorFlow.

Usage::

    with SummaryWriter("logs/mlp/run1/train") as writer:
        for step in range(100):
            writer.scalar("loss", 1.0 / (step + 1), step)
        writer.histogram("dense/kernel", weights, step=99)
"""

import atexit
import itertools
import os
import socket
import threading
import time
from collections.abc import Sequence

import numpy as np
from google.protobuf.message import Message
from numpy.typing import ArrayLike

from inspector.errors import InspectorError
from inspector.events import plugins
from inspector.events.framing import encode_record
from inspector.events.proto import event_pb2, summary_pb2
from inspector.events.tensors import from_numpy
from inspector.summary_forms import (
    bucketize,
    histogram_form,
    hparams_forms,
    image_form,
    keras_model_form,
    metadata,
    png_encode,
    pr_curve_form,
    scalar_form,
    text_form,
)

__all__ = ["SummaryWriter", "png_encode"]

# Written into every file's first event (TensorBoard logs it as the source writer).
WRITER_NAME = "inspector.summary"

# The last number of a file name, unique within this process (as TensorBoard's writer does).
_file_counter = itertools.count()

# One open writer per run directory (realpath) per process: two writers interleaving
# files in one run would make TensorBoard read only the newer file.
_open_writers: dict[str, "SummaryWriter"] = {}
_open_writers_lock = threading.Lock()


class SummaryWriter:
    """Writes summaries of one run into ``logdir`` as TensorBoard event files.

    Args:
        logdir: the run directory; created if missing. Only one writer may be open on a
            directory at a time in one process (``InspectorError`` otherwise).
        flush_secs: a daemon thread writes queued records to disk this often (default 10).
        max_queue: records are also written as soon as this many are queued (default 100).
        filename_suffix: appended to every file name (e.g. ``".v2"``, as ``tf.summary``).
        max_file_bytes: when set, a record that would push the current file past this size
            starts a new file instead (a single larger record still gets a file of its own).

    Files are named as TensorBoard's writer names them,
    ``events.out.tfevents.<unix time>.<hostname>.<pid>.<counter><suffix>``, and each starts
    with an event whose ``file_version`` is ``brain.Event:2``. Successive files of one
    writer always sort by name in the order they were written (if the counter would break
    that, the time field is moved forward a second), because TensorBoard reads a run's
    files in name order and never goes back. Records are flushed on ``flush()``, every
    ``flush_secs``, when ``max_queue`` are waiting, and on ``close()``, on leaving a
    ``with`` block and at interpreter exit. All methods are thread-safe.

    Every summary method takes ``step`` (int) and ``wall_time`` (seconds since the epoch;
    default now) and writes one Event holding one ``Summary.Value``.
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        *,
        flush_secs: float = 10.0,
        max_queue: int = 100,
        filename_suffix: str = "",
        max_file_bytes: int | None = None,
    ):
        if flush_secs <= 0 or max_queue < 1 or (max_file_bytes is not None and max_file_bytes < 1):
            raise InspectorError(
                "flush_secs must be > 0, max_queue >= 1 and max_file_bytes None or >= 1"
            )
        os.makedirs(logdir, exist_ok=True)
        self._logdir = os.path.realpath(logdir)
        self._flush_secs = float(flush_secs)
        self._max_queue = int(max_queue)
        self._suffix = filename_suffix
        self._max_file_bytes = max_file_bytes
        self._lock = threading.Lock()
        self._queue: list[bytes] = []
        self._closed = False
        self._file = None
        self._path = ""
        self._stamp = 0
        self._file_bytes = self._header_bytes = 0
        with _open_writers_lock:
            if self._logdir in _open_writers:
                raise InspectorError(
                    f"a SummaryWriter is already open on {self._logdir}; reuse that writer "
                    "or close it before opening another on the same directory"
                )
            _open_writers[self._logdir] = self
        try:
            self._open_new_file()
        except BaseException:
            self._unregister()
            raise
        self._stop = threading.Event()
        self._timer = threading.Thread(
            target=self._flush_periodically, name=f"inspector-flush:{self._logdir}", daemon=True
        )
        self._timer.start()
        atexit.register(self.close)

    # ----- lifecycle -------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The event file being written now (changes when the writer rotates)."""
        with self._lock:
            return self._path

    @property
    def logdir(self) -> str:
        """The run directory (resolved to its real path)."""
        return self._logdir

    def flush(self) -> None:
        """Write every queued record to the file now (a no-op once closed)."""
        with self._lock:
            if not self._closed:
                self._flush_locked()

    def close(self) -> None:
        """Flush, close the file and free the directory for another writer. Idempotent."""
        self._stop.set()
        with self._lock:
            if self._closed:
                return
            try:
                self._flush_locked()
            finally:
                self._closed = True
                self._file.close()
                self._unregister()
        if threading.current_thread() is not self._timer:
            self._timer.join()
        atexit.unregister(self.close)

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _unregister(self) -> None:
        with _open_writers_lock:
            if _open_writers.get(self._logdir) is self:
                del _open_writers[self._logdir]

    def _flush_periodically(self) -> None:
        while not self._stop.wait(self._flush_secs):
            self.flush()

    def _open_new_file(self) -> None:
        previous = os.path.basename(self._path)
        now = time.time()
        stamp, counter = max(int(now), self._stamp), next(_file_counter)
        name = self._file_name(stamp, counter)
        if name <= previous:
            stamp = self._stamp + 1
            name = self._file_name(stamp, counter)
        if self._file is not None:
            self._file.close()
        self._stamp = stamp
        self._path = os.path.join(self._logdir, name)
        self._file = open(self._path, "wb")  # stays open until close() or rotation
        header = event_pb2.Event(wall_time=now, file_version=plugins.FILE_VERSION)
        header.source_metadata.writer = WRITER_NAME
        record = encode_record(header.SerializeToString())
        self._file.write(record)
        self._file.flush()
        self._file_bytes = self._header_bytes = len(record)

    def _file_name(self, stamp: int, counter: int) -> str:
        host, pid = socket.gethostname(), os.getpid()
        return f"{plugins.FILE_PREFIX}{stamp:010d}.{host}.{pid}.{counter}{self._suffix}"

    def _flush_locked(self) -> None:
        pending, self._queue = self._queue, []
        chunk: list[bytes] = []
        for record in pending:
            limit = self._max_file_bytes
            if (
                limit is not None
                and self._file_bytes + len(record) > limit
                and self._file_bytes > self._header_bytes
            ):
                self._file.write(b"".join(chunk))
                chunk = []
                self._open_new_file()
            chunk.append(record)
            self._file_bytes += len(record)
        if chunk:
            self._file.write(b"".join(chunk))
        self._file.flush()

    def _add_event(self, event: event_pb2.Event) -> None:
        record = encode_record(event.SerializeToString())
        with self._lock:
            if self._closed:
                raise InspectorError(f"the SummaryWriter on {self._logdir} is closed")
            self._queue.append(record)
            if len(self._queue) >= self._max_queue:
                self._flush_locked()

    @staticmethod
    def _event(step, wall_time) -> event_pb2.Event:
        return event_pb2.Event(
            step=int(step), wall_time=time.time() if wall_time is None else float(wall_time)
        )

    def _write(self, tag, tensor, meta, step, wall_time) -> None:
        if not isinstance(tag, str) or not tag:
            raise InspectorError(f"a summary tag must be a non-empty str, got {tag!r}")
        event = self._event(step, wall_time)
        event.summary.value.append(summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta))
        self._add_event(event)

    # ----- summaries -------------------------------------------------------------------

    def scalar(
        self,
        tag: str,
        value: float,
        step: int,
        *,
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """One number: a rank-0 float32 tensor, plugin ``scalars``."""
        self._write(tag, *scalar_form(value, description), step, wall_time)

    def histogram(
        self,
        tag: str,
        values: ArrayLike,
        step: int,
        *,
        buckets: int = 30,
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """The distribution of ``values`` (any shape, flattened): a ``[buckets, 3]`` float64
        tensor of ``(left, right, count)``, plugin ``histograms``, bucketed exactly as
        ``tf.summary.histogram`` buckets (see ``inspector.summary_forms.bucketize``)."""
        self.histogram_buckets(
            tag, bucketize(values, buckets), step, wall_time=wall_time, description=description
        )

    def histogram_buckets(
        self,
        tag: str,
        buckets: ArrayLike,
        step: int,
        *,
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """Already-bucketed data, ``[k, 3]`` rows ``(left, right, count)``: a float64
        tensor, plugin ``histograms``."""
        self._write(tag, *histogram_form(buckets, description), step, wall_time)

    def image(
        self,
        tag: str,
        images: ArrayLike,
        step: int,
        *,
        max_outputs: int = 3,
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """Images ``[N, H, W, C]`` (or one ``[H, W, C]`` / ``[H, W]``), uint8 or float in
        [0, 1], C in 1..4: a string tensor ``[width, height, png_1, ..., png_n]`` holding the
        first ``max_outputs`` images as PNG, plugin ``images``."""
        self._write(tag, *image_form(images, max_outputs, description), step, wall_time)

    def text(
        self,
        tag: str,
        text: str | ArrayLike,
        step: int,
        *,
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """A str (rank-0 string tensor) or an array of str (same shape), plugin ``text``.
        TensorBoard renders it as Markdown; arrays as tables."""
        self._write(tag, *text_form(text, description), step, wall_time)

    def tensor(
        self,
        tag: str,
        array: ArrayLike,
        step: int,
        *,
        plugin_name: str = "",
        plugin_content: bytes = b"",
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """Any numeric or string array as a TensorProto, under ``plugin_name`` with
        ``plugin_content`` as its metadata (no plugin data if ``plugin_name`` is empty)."""
        meta = metadata(plugin_name, plugin_content, description)
        self._write(tag, from_numpy(np.asarray(array)), meta, step, wall_time)

    def pr_curve(
        self,
        tag: str,
        labels: ArrayLike,
        predictions: ArrayLike,
        step: int,
        *,
        num_thresholds: int = 201,
        weights: ArrayLike | None = None,
        wall_time: float | None = None,
        description: str | None = None,
    ) -> None:
        """A precision-recall curve of binary ``labels`` against ``predictions`` in [0, 1]:
        a ``[6, num_thresholds]`` float32 tensor (TP, FP, TN, FN, precision, recall),
        plugin ``pr_curves``, computed as ``tensorboard.plugins.pr_curve.summary.pb`` does.
        Written under ``tag`` itself (``pb`` would append ``/pr_curves``)."""
        form = pr_curve_form(labels, predictions, num_thresholds, weights, description)
        self._write(tag, *form, step, wall_time)

    def graph_def(
        self, graph_def: bytes | Message, step: int = 0, *, wall_time: float | None = None
    ) -> None:
        """A TensorFlow GraphDef (serialized bytes, or any GraphDef message) in the Event's
        ``graph_def`` field, where TensorBoard's Graphs dashboard looks for the op graph."""
        data = graph_def if isinstance(graph_def, bytes) else graph_def.SerializeToString()
        event = self._event(step, wall_time)
        event.graph_def = data
        self._add_event(event)

    def keras_model(
        self,
        model_json: str,
        step: int = 0,
        tag: str = plugins.KERAS_MODEL_TAG,
        *,
        wall_time: float | None = None,
    ) -> None:
        """A Keras model's ``to_json()``: a rank-0 string tensor, plugin ``graph_keras_model``,
        exactly as the Keras TensorBoard callback writes it (the conceptual graph)."""
        self._write(tag, *keras_model_form(model_json), step, wall_time)

    def run_metadata(
        self, tag: str, run_metadata: bytes | Message, step: int, *, wall_time: float | None = None
    ) -> None:
        """A serialized RunMetadata (bytes or message) in ``Event.tagged_run_metadata``, the
        form ``tf.compat.v1.summary.FileWriter.add_run_metadata`` writes."""
        if not isinstance(tag, str) or not tag:
            raise InspectorError(f"a run metadata tag must be a non-empty str, got {tag!r}")
        data = run_metadata if isinstance(run_metadata, bytes) else run_metadata.SerializeToString()
        event = self._event(step, wall_time)
        event.tagged_run_metadata.tag = tag
        event.tagged_run_metadata.run_metadata = data
        self._add_event(event)

    def hparams(
        self,
        hparams: dict,
        *,
        metrics: Sequence[str | tuple[str, str]] = (),
        trial_id: str | None = None,
        start_time_secs: float | None = None,
    ) -> None:
        """This run's hyperparameters for TensorBoard's HParams dashboard, at step 0.

        Writes the hparams plugin's session start info (tag ``_hparams_/session_start_info``)
        as ``tensorboard.plugins.hparams.api.hparams`` does: values bool, int, float or str;
        the trial id defaults to a hash of the values. When ``metrics`` is given (scalar tags,
        or ``(tag, group)`` pairs where group is a run subdirectory such as
        ``"validation"``), an experiment summary (``_hparams_/experiment``) listing every
        hparam and those metrics is written first, as ``hparams_config`` does.
        """
        now = time.time()
        for tag, tensor, meta in hparams_forms(hparams, metrics, trial_id, start_time_secs, now):
            self._write(tag, tensor, meta, 0, now)
