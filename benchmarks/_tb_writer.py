"""TensorBoard's own EventFileWriter as the benchmarks' logdir generator, made fast enough for
millions of scalar events without changing a byte: its pure-Python CRC32C swapped for
google-crc32c's (asserted equal), and its stub file layer instead of TensorFlow's gfile
("notf" is TensorBoard's own switch). Runs in the generators' pool workers."""

from __future__ import annotations

import sys
import types


def write_scalar_run(run_dir: str, values, wall0: float) -> None:
    """One run as tf.summary.scalar writes it, one event per tag and step: ``values[j, step]``
    is tag ``metrics/tag_{j:02d}`` at that step, logged at wall0 + step * 0.05 + j * 1e-4."""
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    import google_crc32c
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer import record_writer
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    def fast_masked_crc32c(data: bytes) -> int:
        crc = google_crc32c.value(bytes(data))
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    for sample in (b"", b"event", bytes(range(256)) * 3):
        assert fast_masked_crc32c(sample) == masked_crc32c(sample)
    record_writer.masked_crc32c = fast_masked_crc32c

    tags, steps = values.shape
    names = [f"metrics/tag_{j:02d}" for j in range(tags)]
    writer = EventFileWriter(run_dir, max_queue_size=4096, flush_secs=600)
    for step in range(steps):
        wall = wall0 + step * 0.05
        for j, name in enumerate(names):
            summary = scalar_pb(name, float(values[j, step]))
            writer.add_event(event_pb2.Event(step=step, wall_time=wall + j * 1e-4,
                                             summary=summary))
    writer.close()
