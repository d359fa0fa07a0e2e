"""A training killed with SIGKILL leaves a logdir that loads, missing at most what was not
yet flushed; a run resumed with ``initial_epoch`` continues its steps in the same logdir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras

from inspector.events import plugins as P
from inspector.hooks import Inspector
from inspector.store import Store
from tests.hooks import crash_child, tiny

REPO = Path(__file__).resolve().parents[2]
KILL_AFTER_EPOCH = 2
STEPS_PER_EPOCH = 6  # 192 samples, batch 32


def train_until_killed(logdir: Path) -> int:
    """Start the child, kill it (SIGKILL) a moment after it reports epoch 2 flushed.
    Returns the last epoch it reported."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "tests.hooks.crash_child", str(logdir)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    reported = 0
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            reported = int(line.split()[1])
            if reported >= KILL_AFTER_EPOCH or time.monotonic() > deadline:
                break
        time.sleep(crash_child.FLUSH_SECS * 1.5)  # mid-epoch, with batch summaries flushed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return reported


def test_killed_run_loads_and_a_resumed_run_continues_its_steps(tmp_path):
    reported = train_until_killed(tmp_path)
    assert reported >= KILL_AFTER_EPOCH

    crashed = Store(tmp_path)
    crashed.reload()  # loads: a record cut short at the end is pending, not an error
    epochs = list(crashed.scalars("train", "epoch/loss").steps)
    k = epochs[-1]
    assert epochs == list(range(1, k + 1)) and k >= reported
    assert list(crashed.scalars("validation", "epoch/loss").steps) == epochs
    batches = list(crashed.scalars("train", "batch/loss").steps)
    every = crash_child.UPDATE_FREQ
    assert batches == list(range(every, batches[-1] + 1, every))
    assert batches[-1] >= k * STEPS_PER_EPOCH  # every flushed epoch's batches are there
    kernels = crashed.series(P.KIND_KERNELS, "train", "kernels/conv")
    assert [p.step for p in kernels] == list(range(0, k + 1))

    keras.utils.set_random_seed(1)
    x, y, xv, yv = tiny.data()
    model = tiny.sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hook = Inspector(tmp_path, validation_data=(xv, yv), update_freq=crash_child.UPDATE_FREQ)
    model.fit(x, y, batch_size=32, initial_epoch=k, epochs=k + 2, validation_data=(xv, yv),
              callbacks=[hook], verbose=0)

    resumed = Store(tmp_path)
    resumed.reload()
    for run in ("train", "validation"):
        assert list(resumed.scalars(run, "epoch/loss").steps) == list(range(1, k + 3)), run
    assert [p.step for p in resumed.series(P.KIND_KERNELS, "train", "kernels/conv")] == \
        list(range(0, k + 3))
    assert [p.step for p in resumed.series(P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)] \
        == list(range(1, k + 3))
    assert [p.step for p in resumed.graphs("train")] == [0, k]
    batches = list(resumed.scalars("train", "batch/loss").steps)
    assert batches == list(range(every, (k + 2) * STEPS_PER_EPOCH + 1, every))
    # Only the batches the killed run logged after its last complete epoch come again, and
    # the later data replaces them (TensorBoard's purge); epoch-axis series never repeat.
    assert all(p.tag.startswith(P.TAG_BATCH) for p in resumed.purges())

