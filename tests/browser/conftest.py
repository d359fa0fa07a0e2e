"""Real headless Chromium against the app served from a background thread.

The logdir is written by ``tf.summary`` (two runs: curves, histograms, images, text with an
HTML injection attempt), by the project's Keras hook (a tiny model, three epochs) and by
``inspector.summary`` (two runs of a series longer than any chart is wide). Debian's
chromium and chromium-driver are installed when missing and we are root; otherwise the
suite fails with what to run (it never skips).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000")
LONG_STEPS = 3000  # longer than any card is wide: the chart is decimated, the CSV is not


def _ensure_chromium() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    install = ["apt-get", "install", "-y", "chromium", "chromium-driver"]
    if os.geteuid() != 0:
        pytest.fail("browser tests need Debian's Chromium: sudo " + " ".join(install))
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True)
        done = subprocess.run(install, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"could not install Chromium ({' '.join(install)}):\n{done.stderr}")


def _write_tf_summary_runs(root) -> None:
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for seed in range(2):
        writer = tf.summary.create_file_writer(str(root / "tfsum" / f"seed{seed}"))
        with writer.as_default():
            for step in range(200):
                tf.summary.scalar("loss", np.exp(-step / 60) + rng.normal(0, 0.05) + seed,
                                  step=step)
                tf.summary.scalar("accuracy", 1 - np.exp(-step / 60) / 2, step=step)
                if step < 20:
                    tf.summary.scalar("live/metric", float(step), step=step)
                if step % 20 == 0:
                    tf.summary.histogram("weights/dense", rng.normal(step / 200, 1, 400),
                                         step=step)
                if step % 50 == 0:
                    images = rng.random((2, 16, 16, 3)).astype("float32")
                    tf.summary.image("samples", images, step=step, max_outputs=2)
                    tf.summary.text("notes", f"## Step {step}\n\n**bold** <b>raw html</b>"
                                    "<script>window.injected = 1</script>", step=step)
        writer.close()


def _write_long_runs(root) -> None:
    from inspector.summary import SummaryWriter

    rng = np.random.default_rng(2)
    for seed in range(2):
        with SummaryWriter(root / "writer" / f"seed{seed}") as writer:
            for step in range(LONG_STEPS):
                writer.scalar("long/noisy", np.sin(step / 200) + rng.normal(0, 0.2), step)


def _write_hook_runs(root) -> None:
    import keras

    from inspector.hooks import Inspector

    rng = np.random.default_rng(1)
    x = rng.random((128, 6)).astype("float32")
    y = (x.sum(axis=1) > 3).astype("int32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hook = Inspector(str(root / "hook"), validation_data=(x[:32], y[:32]), update_freq=2,
                     kernel_freq=0, activation_freq=0, eval_freq=0, write_graph=False)
    model.fit(x, y, epochs=3, batch_size=32, validation_data=(x[:32], y[:32]), verbose=0,
              callbacks=[hook])


@pytest.fixture(scope="session")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-logs")
    _write_tf_summary_runs(root)
    _write_hook_runs(root)
    _write_long_runs(root)
    return root


@pytest.fixture(scope="session")
def served_app(logdir):
    """The app the session server serves, with its first read of the logdir done."""
    from dashboards import state
    from dashboards.app import create_app

    app = create_app(logdir, reload_interval=0.5)
    inspection = state.of(app)
    deadline = time.time() + 30
    while not inspection.ready() and time.time() < deadline:
        time.sleep(0.05)
    yield app
    inspection.stop()


@pytest.fixture(scope="session")
def server(served_app):
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    httpd = make_server("127.0.0.1", 0, served_app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def downloads():
    path = tempfile.mkdtemp(prefix="inspector-downloads-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def driver(downloads):
    _ensure_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="inspector-chrome-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                              "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.execute_cdp_cmd("Browser.setDownloadBehavior",
                        {"behavior": "allow", "downloadPath": downloads})
    drv.set_script_timeout(20)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(drv, script: str, *args, timeout: float = 15.0, what: str = ""):
    """Poll a JS expression (``return ...``) until it is truthy; return its value."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = drv.execute_script(script, *args)
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or script!r} (last: {last!r})")


@contextmanager
def inspector_serve(root, *, ready: str = "", timeout: float = 60.0) -> Iterator[str]:
    """``inspector serve --logdir root`` in a child process on a free loopback port, as a
    user starts it; yields its URL once the app answers (and, with ``ready``, once its layout
    names that text: the first read of the logdir is done). Stops the server after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The child imports this checkout, whatever the current directory.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "serve", "--logdir", str(root),
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                layout = urllib.request.urlopen(url + "/_dash-layout").read().decode()
                # JSON may escape "/" as \u002f
                if not ready or ready in layout.replace("\\u002f", "/"):
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                raise AssertionError(f"inspector serve exited: {proc.stderr.read()}")
            if time.time() > deadline:
                raise AssertionError(f"inspector serve did not show {ready!r} in {timeout} s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
