"""TensorFlow's start-up noise, kept off the terminal unless the user asks for it.

Importing TensorFlow on a CPU-only machine prints, through C++ code that runs before its
logging is configured (so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide it), lines such as
``oneDNN custom operations are on``, ``Could not find cuda drivers`` and an ``E ... failed
call to cuInit`` error; then Python-side warnings (``tf.function`` retracing, absl). They
bury the progress bar and the one summary line a training prints, and the cuInit "error"
is no error on a machine without a GPU. ``quiet_tensorflow`` imports TensorFlow with the
process's stderr captured, lets through any line that is not known start-up noise, and
raises the Python loggers to ERROR. It never touches TensorFlow behaviour, only its logging.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile

# Lines TensorFlow/XLA print at import and device discovery on a machine without a GPU.
START_UP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|Could not find cuda drivers"
    r"|failed call to cuInit"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow"
    r"|TF-TRT Warning: Could not find TensorRT"
)


def filter_noise(text: str) -> str:
    """``text`` without the lines that are known start-up noise (kept in order)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() and not START_UP_NOISE.search(line))


def quiet_tensorflow(verbose: bool = False) -> None:
    """Import TensorFlow and Keras now, hiding their start-up noise unless ``verbose``.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless the user set it), captures file descriptor 2
    while TensorFlow is imported and its devices listed (where the pre-logging lines and the
    cuInit error are printed), writes back whatever was not noise, and sets the
    ``tensorflow`` and ``absl`` Python loggers to ERROR (``tf.function`` retracing
    warnings, deprecation notes). With ``verbose`` nothing is hidden or changed.
    Calling it again after TensorFlow is imported only sets the loggers.
    """
    if verbose:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" not in sys.modules:
        captured = _import_with_stderr_captured()
        if captured:
            sys.stderr.write(captured)
            sys.stderr.flush()
    import absl.logging
    import tensorflow as tf

    tf.get_logger().setLevel(logging.ERROR)
    absl.logging.set_verbosity(absl.logging.ERROR)


def _import_with_stderr_captured() -> str:
    """Import TensorFlow and Keras and list devices with fd 2 sent to a temporary file;
    return what was written there, without the noise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import keras  # noqa: F401 - imported for its start-up output
            import tensorflow as tf

            tf.config.list_physical_devices()  # device discovery: the cuInit line
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return filter_noise(sink.read().decode("utf-8", "replace"))
