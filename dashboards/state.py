"""What the pages share: the store of the served logdir, the thread that keeps it fresh, and
the colour of each run.

``create_app`` calls ``install``; pages call ``store()`` and ``run_color()``. Only the reload
thread ever calls ``Store.reload``.
"""

from __future__ import annotations

import threading
import time

from dashboards.components.colors import RunColors
from inspector.store import Store


class Reloader(threading.Thread):
    """Reads what the logdir gained every ``interval`` seconds (the first read at once)."""

    def __init__(self, store: Store, interval: float) -> None:
        super().__init__(name="inspector-reload", daemon=True)
        self.store = store
        self.interval = max(float(interval), 0.05)
        self.last_reload = 0.0  # time.time() of the last finished reload
        self.error: str | None = None  # the last reload's failure, shown in the status bar
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            try:
                self.store.reload()
                self.error = None
            except Exception as err:  # noqa: BLE001 - shown to the user, retried next tick
                self.error = f"{type(err).__name__}: {err}"
            self.last_reload = time.time()
            if self._stop_event.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop_event.set()


_store: Store | None = None
_reloader: Reloader | None = None
_colors = RunColors()


def install(store: Store, reload_interval: float | None) -> Reloader | None:
    """Make ``store`` the one the pages read; start its reload thread unless interval is None."""
    global _store, _reloader, _colors
    if _reloader is not None:
        _reloader.stop()
    _store, _colors = store, RunColors()
    _reloader = Reloader(store, reload_interval) if reload_interval is not None else None
    if _reloader is not None:
        _reloader.start()
    return _reloader


def store() -> Store:
    if _store is None:
        raise RuntimeError("dashboards.state.install() was not called (use create_app)")
    return _store


def reloader() -> Reloader | None:
    return _reloader


def ready() -> bool:
    """True once the first read of the logdir finished. Never blocks: the store holds its
    lock for a whole reload, and the status bar must answer while a large logdir is read."""
    return _store is not None and _store.loaded


def run_color(run: str) -> str:
    """The run's colour, the same on every page for the life of the server."""
    return _colors.color(run)


def run_colors(runs: list[str]) -> dict[str, str]:
    return _colors.colors(runs)
