"""``inspector.show(logdir)``: the dashboard inside a Jupyter notebook, through Dash's own
Jupyter mode (a server thread in the kernel, shown in an iframe below the cell). Imports Dash
only when called; never imports TensorFlow."""

from __future__ import annotations

import os
import socket

from inspector.errors import InspectorError


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def show(logdir: str | os.PathLike = "logs", *, port: int | None = None, height: int = 800,
         mode: str = "inline", reload_interval: float = 1.0):
    """Serve ``logdir`` (a directory or a URL such as ``s3://bucket/prefix``) on 127.0.0.1 and
    show the dashboard in the notebook: ``mode`` "inline" (an iframe ``height`` pixels high),
    "external" (a link) or "jupyterlab" (a JupyterLab tab). ``port``: a free one when None.
    Calling it again with the same port replaces the earlier server. Returns the URL.

    Raises ``InspectorError`` outside a Jupyter kernel (use ``inspector serve`` there), for a
    logdir that is not a directory, or for a port in use."""
    if not _in_kernel():
        raise InspectorError("inspector.show() runs inside a Jupyter notebook; in a terminal "
                             "use: inspector serve --logdir LOGDIR")
    from dashboards.app import create_app

    host = "127.0.0.1"
    if port is None:
        port = _free_port(host)
    app = create_app(logdir, reload_interval=reload_interval)
    try:
        app.run(jupyter_mode=mode, jupyter_height=height, host=host, port=port)
    except OSError as err:
        raise InspectorError(f"cannot serve on {host}:{port}: {err}; pass another port=") \
            from None
    return f"http://{host}:{port}/"
