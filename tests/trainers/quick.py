"""What the trainer tests share: train one architecture with --quick through the command line,
as a user would, and read its logdir back with the store."""

from __future__ import annotations

from inspector.cli import main
from inspector.store import Store


def train(logdir, name, *options, run="r") -> Store:
    """``inspector train NAME --quick`` into ``logdir`` as run ``run``; the loaded store."""
    rc = main(["train", name, "--quick", "--logdir", str(logdir), "--no-progress",
               "--run-name", run, *options])
    assert rc == 0
    store = Store(logdir)
    store.reload()
    return store
