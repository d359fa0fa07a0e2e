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
    Returns the last epoch it reported before it died (that epoch is flushed whole)."""
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
    for line in proc.stdout:  # epochs it finished while the test slept
        reported = int(line.split()[1])
    assert proc.returncode == -signal.SIGKILL
    return reported


def prefix_end(steps: list[int], first: int) -> int:
    """The last step of a series that must be first, first+1, ... with no gap."""
    assert steps == list(range(first, first + len(steps))), steps
    return steps[-1] if steps else first - 1


def test_killed_run_loads_and_a_resumed_run_continues_its_steps(tmp_path):
    # Epochs up to the last one the child reported are flushed whole; the kill may land in
    # the middle of the next epoch's end-of-epoch writes, whose records are then partly there.
    r = train_until_killed(tmp_path)
    assert r >= KILL_AFTER_EPOCH

    crashed = Store(tmp_path)
    crashed.reload()  # loads: a record cut short at the end is pending, not an error
    ends = {
        "train loss": prefix_end(list(crashed.scalars("train", "epoch/loss").steps), 1),
        "validation loss": prefix_end(list(crashed.scalars("validation", "epoch/loss").steps),
                                      1),
        "kernels": prefix_end([p.step for p in crashed.series(P.KIND_KERNELS, "train",
                                                              "kernels/conv")], 0),
        "confusion": prefix_end([p.step for p in crashed.series(
            P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)], 1),
    }
    assert all(end in (r, r + 1) for end in ends.values()), (r, ends)
    batches = list(crashed.scalars("train", "batch/loss").steps)
    every = crash_child.UPDATE_FREQ
    assert batches == list(range(every, batches[-1] + 1, every))
    assert batches[-1] >= r * STEPS_PER_EPOCH  # every flushed epoch's batches are there

    # Resume from the last complete epoch, as from a checkpoint saved at its end.
    keras.utils.set_random_seed(1)
    x, y, xv, yv = tiny.data()
    model = tiny.sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hook = Inspector(tmp_path, validation_data=(xv, yv), update_freq=crash_child.UPDATE_FREQ)
    model.fit(x, y, batch_size=32, initial_epoch=r, epochs=r + 2, validation_data=(xv, yv),
              callbacks=[hook], verbose=0)

    resumed = Store(tmp_path)
    resumed.reload()
    for run in ("train", "validation"):
        assert list(resumed.scalars(run, "epoch/loss").steps) == list(range(1, r + 3)), run
    assert [p.step for p in resumed.series(P.KIND_KERNELS, "train", "kernels/conv")] == \
        list(range(0, r + 3))
    assert [p.step for p in resumed.series(P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)] \
        == list(range(1, r + 3))
    assert [p.step for p in resumed.graphs("train")] == [0, r]
    batches = list(resumed.scalars("train", "batch/loss").steps)
    assert batches == list(range(every, (r + 2) * STEPS_PER_EPOCH + 1, every))
    # Only what the killed run logged after its last complete epoch comes again, and the
    # later data replaces it (TensorBoard's purge): batch steps past that epoch, and the
    # partial epoch r + 1 itself.
    for purge in resumed.purges():
        limit = r * STEPS_PER_EPOCH if purge.tag.startswith(P.TAG_BATCH) else r
        assert purge.from_step > limit, purge
