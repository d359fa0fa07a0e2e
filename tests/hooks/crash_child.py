"""Trains the tiny Sequential model with the hook for many slow epochs, printing
"epoch <n>" once each epoch's summaries are flushed, until the test kills it.

    python -m tests.hooks.crash_child LOGDIR
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from inspector.hooks import Inspector  # noqa: E402
from tests.hooks import tiny  # noqa: E402

FLUSH_SECS = 0.5
UPDATE_FREQ = 2


class SlowAndTell(keras.callbacks.Callback):
    """Placed after the hook: by on_epoch_end the hook has flushed that epoch."""

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(0.03)

    def on_epoch_end(self, epoch, logs=None):
        print(f"epoch {epoch + 1}", flush=True)


def main(logdir: str) -> None:
    keras.utils.set_random_seed(0)
    x, y, xv, yv = tiny.data()
    model = tiny.sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hook = Inspector(logdir, validation_data=(xv, yv), update_freq=UPDATE_FREQ,
                     flush_secs=FLUSH_SECS)
    model.fit(x, y, batch_size=32, epochs=1000, validation_data=(xv, yv),
              callbacks=[hook, SlowAndTell()], verbose=0)


if __name__ == "__main__":
    main(sys.argv[1])
