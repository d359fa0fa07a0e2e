"""What the pages share, hung on the app that serves them: the store of the served logdir,
the thread that keeps it fresh, and the colour of each run.

``create_app`` builds one ``Inspection`` and attaches it to its Flask server
(``server.extensions["inspector"]``, Flask's place for per-app extension state), so several
apps can live in one process (tests) without sharing anything. Callbacks and layouts run
inside a request of their app and reach it with ``current()`` (or the shortcuts ``store()``,
``run_colors()``, ...); code outside a request passes the store explicitly, or enters
``inspecting(store)``. Only the reload thread ever calls ``Store.reload``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import flask

from dashboards.components.colors import RunColors
from inspector.store import Store

EXTENSION = "inspector"


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


@dataclass
class Inspection:
    """One served logdir: its store, the thread re-reading it (None: the caller reloads) and
    the run colours, kept for the life of the app so a run looks the same on every page."""

    store: Store
    reloader: Reloader | None = None
    colors: RunColors = field(default_factory=RunColors)

    @classmethod
    def start(cls, store: Store, reload_interval: float | None) -> Inspection:
        """An inspection of ``store`` whose reload thread (unless the interval is None) runs."""
        reloader = Reloader(store, reload_interval) if reload_interval is not None else None
        if reloader is not None:
            reloader.start()
        return cls(store, reloader)

    def ready(self) -> bool:
        """True once the first read of the logdir finished. Never blocks: the store holds its
        lock for a whole reload, and the status bar must answer while a large logdir is read."""
        return self.store.loaded

    def run_colors(self, runs: list[str]) -> dict[str, str]:
        """{run: "#rrggbb"}; colours are handed out in the order runs are first seen."""
        return self.colors.colors(runs)

    def stop(self) -> None:
        """Stop the reload thread (the store stays readable)."""
        if self.reloader is not None:
            self.reloader.stop()

    def attach(self, server: flask.Flask) -> None:
        global _last_attached
        server.extensions[EXTENSION] = self
        _last_attached = self


# The inspection most recently attached to an app. Read only outside a request, where no app
# is current: a script that builds one app with create_app and then calls page code directly
# (the shared bug cases, a notebook exploring a figure) means that app. Requests never use it.
_last_attached: Inspection | None = None


def of(app) -> Inspection:
    """The inspection a Dash app (or its Flask server) serves."""
    server = getattr(app, "server", app)
    return server.extensions[EXTENSION]


def current() -> Inspection:
    """The inspection of the app serving the current request (callbacks, layouts)."""
    if not flask.has_app_context():
        if _last_attached is not None:
            return _last_attached
        raise RuntimeError("dashboards.state.current() outside a request of an app made by "
                           "create_app; pass the store explicitly or use inspecting(store)")
    return of(flask.current_app)


@contextmanager
def inspecting(store: Store) -> Iterator[Inspection]:
    """A bare app context serving ``store``, for calling page code outside a server (tests,
    scripts): inside it ``current()`` is an inspection of ``store`` without a reload thread."""
    server = flask.Flask("inspector-inspecting")
    inspection = Inspection(store)
    inspection.attach(server)
    with server.app_context():
        yield inspection


# Shortcuts for page code running inside a request.
def store() -> Store:
    return current().store


def reloader() -> Reloader | None:
    return current().reloader


def ready() -> bool:
    return (flask.has_app_context() or _last_attached is not None) and current().ready()


def run_color(run: str) -> str:
    """The run's colour, the same on every page for the life of the server."""
    return current().colors.color(run)


def run_colors(runs: list[str]) -> dict[str, str]:
    return current().run_colors(runs)
