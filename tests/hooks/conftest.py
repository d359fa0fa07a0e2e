"""One real training per model kind, shared by the tests that read its logdir back."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from inspector.hooks import Inspector  # noqa: E402
from inspector.store import Store  # noqa: E402
from tests.hooks import tiny  # noqa: E402

EPOCHS = 2
BATCH = 32
UPDATE_FREQ = 2


@dataclass
class Fitted:
    kind: str
    logdir: Path
    model: keras.Model
    hook: Inspector
    store: Store
    x_val: np.ndarray
    y_val: np.ndarray

    @property
    def steps_per_epoch(self) -> int:
        return -(-192 // BATCH)


def reconstructions(model, step):
    """A trainer-provided sample: a text note and an image batch."""
    return {"note": f"after epoch {step}", "picture": np.full((2, 6, 6, 1), step / 10.0)}


@pytest.fixture(scope="session", params=sorted(tiny.BUILDERS))
def fitted(request, tmp_path_factory) -> Fitted:
    kind = request.param
    keras.utils.set_random_seed(0)
    x, y, xv, yv = tiny.data()
    model = tiny.BUILDERS[kind]()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    logdir = tmp_path_factory.mktemp(kind)
    hook = Inspector(logdir, validation_data=(xv, yv), class_names=tiny.CLASS_NAMES,
                     update_freq=UPDATE_FREQ, hparams={"batch_size": BATCH},
                     samples=reconstructions, flush_secs=1)
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, validation_data=(xv, yv),
              callbacks=[hook], verbose=0)
    store = Store(logdir)
    store.reload()
    return Fitted(kind, logdir, model, hook, store, xv, yv)
