"""TensorBoard's own EventFileWriter as the benchmarks' logdir generator, made fast enough for
millions of scalar events without changing a byte: its pure-Python CRC32C swapped for
google-crc32c's (asserted equal), and its stub file layer instead of TensorFlow's gfile
("notf" is TensorBoard's own switch). Runs in the generators' pool workers.

Scalar forms (``form``): "tf2" as tf.summary.scalar writes (a rank-0 tensor with the scalars
metadata on every value); "first_metadata" as TF1's FileWriter writes it (the same, with the
metadata cleared from every value of a tag after its first, as ``FileWriter.add_summary``
does); "simple_value" as PyTorch's and tensorboardX's ``add_scalar`` write (a legacy
``simple_value``, no metadata)."""

from __future__ import annotations

import sys
import types

FORMS = ("tf2", "first_metadata", "simple_value")


def fast_event_file_writer():
    """TensorBoard's EventFileWriter class, with google-crc32c as its CRC (asserted equal)."""
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    import google_crc32c
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    from tensorboard.summary.writer import record_writer
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def fast_masked_crc32c(data: bytes) -> int:
        crc = google_crc32c.value(bytes(data))
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    for sample in (b"", b"event", bytes(range(256)) * 3):
        assert fast_masked_crc32c(sample) == masked_crc32c(sample)
    record_writer.masked_crc32c = fast_masked_crc32c
    return EventFileWriter


def write_scalar_run(run_dir: str, values, wall0: float, form: str = "tf2") -> None:
    """One run of scalars in ``form`` (see the module docstring), one event per tag and step:
    ``values[j, step]`` is tag ``metrics/tag_{j:02d}`` at that step, logged at
    wall0 + step * 0.05 + j * 1e-4."""
    EventFileWriter = fast_event_file_writer()
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb

    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}")
    tags, steps = values.shape
    names = [f"metrics/tag_{j:02d}" for j in range(tags)]
    writer = EventFileWriter(run_dir, max_queue_size=4096, flush_secs=600)
    for step in range(steps):
        wall = wall0 + step * 0.05
        for j, name in enumerate(names):
            if form == "simple_value":
                summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
                    tag=name, simple_value=float(values[j, step]))])
            else:
                summary = scalar_pb(name, float(values[j, step]))
                if form == "first_metadata" and step > 0:
                    summary.value[0].ClearField("metadata")
            writer.add_event(event_pb2.Event(step=step, wall_time=wall + j * 1e-4,
                                             summary=summary))
    writer.close()
