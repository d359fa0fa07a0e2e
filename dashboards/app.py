"""The Dash app: ``create_app(logdir)`` builds it, ``serve(...)`` runs it (``inspector serve``).

The factory knows no page by name: every module in ``dashboards/pages/`` registers itself.
It builds the shell every page shares (navigation, the run picker, the live status line)
and the live poll: every ``poll`` the browser asks what changed since its cursor, and pages
update only the figures of the series that changed.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
import time
from pathlib import Path

import dash
from dash import Input, Output, State, dcc, html
from werkzeug.serving import make_server

from dashboards import state
from dashboards.components import run_picker
from dashboards.security import TokenGate, check_bind, check_tls
from inspector.errors import InspectorError
from inspector.remote import open_logdir
from inspector.store import Store

HERE = Path(__file__).parent


def create_app(logdir: str | os.PathLike, *, reload_interval: float | None = 1.0,
               token: str | None = None, tls: bool = False) -> dash.Dash:
    """A Dash app serving ``logdir``; starts the thread that re-reads it every
    ``reload_interval`` seconds (None: no thread, the caller reloads the store). With
    ``token``, every request must carry it (``tls``: its cookie is marked Secure)."""
    fs, root = open_logdir(logdir)
    if not fs.isdir(root):
        raise InspectorError(f"logdir {os.fspath(logdir)!r} is not a directory; pass an "
                             "existing directory (trainers write to logs/ by default)")
    app = dash.Dash(
        "dashboards", use_pages=True, pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"), title="Inspector", update_title=None,
        suppress_callback_exceptions=True,
        # Pages get the run selection when they are built, so their first render already
        # holds the right cards (no extra round trip before the first chart).
        routing_callback_inputs={"runs": State("selected-runs", "data")},
    )
    state.Inspection.start(Store(logdir), reload_interval).attach(app.server)
    poll_ms = int(max(250, min(1000, (reload_interval or 1.0) * 500)))
    app.layout = lambda: shell(poll_ms)
    run_picker.register(app)
    _register_live(app)
    _register_pages(app)
    if token:
        app.server.wsgi_app = TokenGate(app.server.wsgi_app, token, secure=tls)
    return app


def _register_pages(app: dash.Dash) -> None:
    """Each page module's callbacks, on this app: a page defines ``register(app)`` (callbacks
    made with ``app.callback``, never ``dash.callback``, whose process-wide list would be
    taken over by whichever app is served first)."""
    for page in dash.page_registry.values():
        module = sys.modules.get(page["module"])
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


def shell(poll_ms: int) -> html.Div:
    ready = state.ready()
    store = state.store()
    runs = run_picker.runs_with_data(store) if ready else []
    state.run_colors(runs)  # colours follow discovery order
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
    nav = [dcc.Link(p["name"], href=p["relative_path"], className="nav-link",
                    id={"type": "nav", "path": p["path"]}) for p in pages]
    return html.Div(className="app", children=[
        dcc.Location(id="url"),
        html.Header(className="topbar", children=[
            html.Div([html.Span("◆", className="logo"), html.Span("Inspector")],
                     className="brand"),
            html.Nav(nav, className="nav"),
            html.Div(status(ready), id="status", className="status"),
        ]),
        html.Div(className="body", children=[
            run_picker.layout(runs),
            html.Main(dash.page_container, className="main"),
        ]),
        dcc.Interval(id="live-interval", interval=poll_ms),
        dcc.Store(id="live-cursor", data=store.version if ready else -1),
        dcc.Store(id="live-changes"),
        dcc.Store(id="run-list", data=runs),
        dcc.Store(id="viewport"),
    ])


def status(ready: bool) -> list:
    reloader = state.reloader()
    if not ready:
        return [html.Span(className="spinner small"), html.Span("Reading logdir…")]
    if reloader is not None and reloader.error:
        return [html.Span("●", className="dot error"),
                html.Span(f"Reload failed: {reloader.error}", className="status-text")]
    when = time.strftime("%H:%M:%S", time.localtime(reloader.last_reload)) if reloader else "—"
    return [html.Span("●", className="dot live"),
            html.Span(["Last updated ", html.Time(when, className="updated")],
                      className="status-text", title="the logdir is re-read continuously")]


def _register_live(app: dash.Dash) -> None:
    @app.callback(Output("live-cursor", "data"), Output("live-changes", "data"),
                  Output("status", "children"), Output("run-list", "data"),
                  Input("live-interval", "n_intervals"),
                  State("live-cursor", "data"), State("run-list", "data"),
                  prevent_initial_call=True)
    def poll(_n, cursor, known_runs):
        ready = state.ready()
        if not ready:
            return dash.no_update, dash.no_update, status(False), dash.no_update
        store = state.store()
        version = store.version
        if cursor is not None and version == cursor:
            return dash.no_update, dash.no_update, status(True), dash.no_update
        runs = run_picker.runs_with_data(store)
        state.run_colors(runs)
        changed = store.changed_since(cursor if cursor is not None and cursor >= 0 else 0)
        return (version, {"from": cursor, "version": version, "changed": changed},
                status(True), runs if runs != known_runs else dash.no_update)

    app.clientside_callback(
        """(path) => {
            const ids = dash_clientside.callback_context.outputs_list.map((o) => o.id);
            return ids.map((id) => 'nav-link' + (id.path === path ? ' active' : ''));
        }""",
        Output({"type": "nav", "path": dash.ALL}, "className"), Input("url", "pathname"))
    app.clientside_callback(dash.ClientsideFunction("curves", "viewport"),
                            Output("viewport", "data"), Input("url", "pathname"))


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket; werkzeug's own bind would print and sys.exit on a busy port."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as err:
        raise InspectorError(f"cannot resolve host {host!r}: {err.strerror}") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise InspectorError(
                f"port {port} is in use; pass --port N or stop the other server") from None
        raise InspectorError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return sock


class _Dispatch:
    """The WSGI app behind a server that bound its port before the app existed."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def serve(logdir: str | os.PathLike, host: str = "127.0.0.1", port: int = 8050,
          token: str | None = None, reload_interval: float = 1.0,
          certfile: str | None = None, keyfile: str | None = None) -> None:
    """Serve the dashboard until interrupted, over HTTPS when ``certfile`` and ``keyfile``
    (PEM) are given. Refuses a non-loopback ``host`` without a token, unreadable TLS files
    and a port already in use, with one-line ``InspectorError`` messages."""
    check_bind(host, token)
    tls = check_tls(certfile, keyfile)
    dispatch = _Dispatch()
    sock = _listen(host, port)
    server = make_server(host, port, dispatch, threaded=True, fd=sock.fileno(), ssl_context=tls)
    try:
        dispatch.app = create_app(logdir, reload_interval=reload_interval, token=token,
                                  tls=tls is not None).server
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        shown = f"[{host}]" if ":" in host else host
        scheme = "https" if tls else "http"
        print(f"Inspector serving {os.fspath(logdir)} at {scheme}://{shown}:{port}/"
              + (f"?token={token}" if token else ""), flush=True)
        server.serve_forever()
    finally:
        server.server_close()
        sock.close()
        if dispatch.app is not None:
            state.of(dispatch.app).stop()
