"""``inspector.show`` embeds the live dashboard in a notebook: a real notebook executed by
nbclient in a real IPython kernel, whose server is then asked for the page and its data."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request

import nbformat
import pytest
from nbclient import NotebookClient

from inspector.summary import SummaryWriter


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_show_embeds_a_live_dashboard_in_a_notebook(tmp_path, monkeypatch):
    with SummaryWriter(tmp_path / "logs" / "run") as w:
        for s in range(3):
            w.scalar("loss", 1.0 / (s + 1), s)
    port = _free_port()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            f"import inspector\nurl = inspector.show({str(tmp_path / 'logs')!r}, port={port})"),
        nbformat.v4.new_code_cell(
            "import json, time, urllib.request\n"
            "page = urllib.request.urlopen(url, timeout=10).read().decode()\n"
            "deadline = time.time() + 30\n"
            "while True:  # the first read of the logdir runs in the background\n"
            "    layout = json.loads(urllib.request.urlopen(url + '_dash-layout').read())\n"
            "    if 'run-list' in json.dumps(layout) and '\"run\"' in json.dumps(layout)"
            " or time.time() > deadline: break\n"
            "    time.sleep(0.2)\n"
            "print(json.dumps({'page': 'Inspector' in page,"
            " 'run listed': '\"run\"' in json.dumps(layout)}))"),
    ]
    # The kernel imports this checkout, as a notebook next to it would.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([os.getcwd(),
                                                      os.environ.get("PYTHONPATH", "")]))
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    shown = nb.cells[0].outputs
    html = "".join(o.get("data", {}).get("text/html", "") for o in shown)
    assert "<iframe" in html and f"127.0.0.1:{port}" in html
    [printed] = [o["text"] for o in nb.cells[1].outputs if o.get("name") == "stdout"]
    assert json.loads(printed) == {"page": True, "run listed": True}
    with pytest.raises(OSError):  # the kernel is gone, and its server with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_show_outside_a_notebook_says_what_to_run_instead(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import inspector; inspector.show('.')"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "inspector serve --logdir" in result.stderr and "runs inside a Jupyter" in \
        result.stderr
