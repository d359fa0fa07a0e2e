"""Kernels and activations pages in real Chromium on runs written by the hook: a tiny LeNet-5
and softmax regression trained by ``inspector train`` (offline digits, 2 epochs each), and
conv-kernel images written by the stock Keras TensorBoard callback.

The app runs as ``inspector serve`` in its own process on its own logdir, so the session
server of the other browser tests keeps its state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .conftest import inspector_serve, wait_for

pytestmark = pytest.mark.browser


def _train(root, name: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, INSPECTOR_OFFLINE="1")
    return subprocess.Popen(
        [sys.executable, "-m", "inspector", "train", name, "--quick", "--limit", "300",
         "--logdir", str(root), "--no-progress", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def _keras_callback_images(root) -> None:
    import keras
    import numpy as np

    x = np.random.default_rng(0).random((32, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int32")
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(2, name="dense")])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(
        str(root / "keras_tb"), write_images=True, histogram_freq=1)])


@pytest.fixture(scope="module")
def kern_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernels-logs")
    trainings = [("lenet5", "--epochs", "2"), ("softmax", "--epochs", "1")]
    jobs = [_train(root, *args) for args in trainings]
    _keras_callback_images(root)
    for args, job in zip(trainings, jobs, strict=True):
        _, err = job.communicate(timeout=600)
        if job.returncode != 0:  # once more, alone: the machine is shared and busy
            job = _train(root, *args)
            _, err = job.communicate(timeout=600)
        if job.returncode != 0:
            raise AssertionError(f"{args[0]} training failed ({job.returncode}): {err[-2000:]}")
    runs = {name: str(p.relative_to(root)) for name in ("lenet5", "softmax")
            for p in root.glob(f"{name}/*/train")}
    # Ready once the first read of the logdir is done (the layout lists the runs): a page
    # opened before that shows "Reading the logdir…".
    with inspector_serve(root, ready=runs["softmax"]) as url:
        yield url, runs


def _open(driver, url: str, tiles: int, canvas: str = "kern-canvas") -> None:
    driver.get(url)
    wait_for(driver, f"const c = document.getElementById('{canvas}');"
             f"return c && c.dataset.tiles === '{tiles}';", timeout=30,
             what=f"{tiles} tiles on {canvas}")


def _kernels(server, run: str, layer: str) -> str:
    return f"{server}/kernels?run={quote(run)}&layer={quote(layer)}"


def test_conv1_grid_shows_six_filters_with_a_colour_legend(driver, kern_server):
    server, runs = kern_server
    _open(driver, _kernels(server, runs["lenet5"], "conv1"), 6)
    geometry = driver.execute_script("return window.inspectorKernels.geometry['kern-canvas']")
    assert (geometry["H"], geometry["W"], geometry["S"]) == (5, 5, 1)
    lo = driver.find_element(By.ID, "kern-legend-lo").text
    hi = driver.find_element(By.ID, "kern-legend-hi").text
    assert lo.startswith("−") and hi.startswith("+") and lo[1:] == hi[1:]
    assert driver.execute_script("""const c = document.getElementById('kern-legend-ramp');
        const d = c.getContext('2d').getImageData(0, 5, c.width, 1).data;
        return d[0] < d[2] && d[d.length - 4] > d[d.length - 2];""")  # blue ... red


def test_a_negative_weight_is_drawn_in_the_negative_colour_not_black(driver, kern_server):
    server, runs = kern_server
    _open(driver, _kernels(server, runs["lenet5"], "conv1"), 6)
    colours = driver.execute_script("""
        const api = window.inspectorKernels, g = api.geometry['kern-canvas'];
        const v = g.values, per = g.S * g.H * g.W;
        let lo = 0, hi = 0;
        for (let k = 0; k < v.length; k++) { if (v[k] < v[lo]) lo = k; if (v[k] > v[hi]) hi = k; }
        const ctx = document.getElementById('kern-canvas').getContext('2d');
        const at = (k) => {
            const t = Math.floor(k / per), r = k % per, s = Math.floor(r / (g.H * g.W));
            const i = Math.floor((r % (g.H * g.W)) / g.W), j = r % g.W;
            const [x, y] = api.pixelOf('kern-canvas', g.indices.indexOf(t), s, i, j);
            return [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)];
        };
        return {neg: at(lo), pos: at(hi), lo: v[lo], hi: v[hi]};""")
    assert colours["lo"] < 0 < colours["hi"]
    r, g, b = colours["neg"]
    assert b > r + 60 and r + g + b > 150, colours  # blue, not black
    r, g, b = colours["pos"]
    assert r > b + 60, colours


def test_moving_the_step_slider_changes_the_filters(driver, kern_server):
    server, runs = kern_server
    _open(driver, _kernels(server, runs["lenet5"], "conv1"), 6)
    canvas = driver.find_element(By.ID, "kern-canvas")
    last = driver.execute_script("return arguments[0].toDataURL()", canvas)
    assert canvas.get_attribute("data-step") == "2"
    driver.find_element(By.CSS_SELECTOR, "#kern-slider [role='slider']").send_keys(Keys.HOME)
    wait_for(driver, "return arguments[0].dataset.step === '0'", canvas, what="step 0 drawn")
    assert driver.execute_script("return arguments[0].toDataURL()", canvas) != last
    assert "step 0" in driver.find_element(By.ID, "kern-step-label").text


def test_play_animates_from_the_first_step_to_the_last(driver, kern_server):
    server, runs = kern_server
    _open(driver, _kernels(server, runs["lenet5"], "conv1"), 6)
    driver.execute_script("""window.seenSteps = [];
        new MutationObserver(() => window.seenSteps.push(
            document.getElementById('kern-canvas').dataset.step)).observe(
            document.getElementById('kern-canvas'), {attributes: true,
                                                     attributeFilter: ['data-step']});""")
    driver.find_element(By.ID, "kern-play").click()  # at the end: restarts from step 0
    seen = wait_for(driver, "const s = window.seenSteps;"
                    "return s.length > 1 && s[s.length - 1] === '2' ? s : null;",
                    what="frames up to the last step")
    assert seen[0] == "0" and "1" in seen, seen
    wait_for(driver, "return document.getElementById('kern-play').textContent.includes('Play')",
             what="play stops at the end")


def test_change_since_first_step_and_per_filter_scale_redraw(driver, kern_server):
    server, runs = kern_server
    _open(driver, _kernels(server, runs["lenet5"], "conv2"), 16)
    assert driver.execute_script(
        "return window.inspectorKernels.geometry['kern-canvas'].S") == 6
    before = driver.execute_script("return window.inspectorKernels.draws")
    driver.find_element(By.XPATH, "//label[contains(., 'Change since first step')]").click()
    wait_for(driver, "return window.inspectorKernels.draws > arguments[0]", before)
    assert "change since step 0" in driver.find_element(By.ID, "kern-legend-note").text
    driver.find_element(By.XPATH, "//label[contains(., 'per filter')]").click()
    wait_for(driver, "return document.getElementById('kern-legend-hi').textContent === '+max'")
    rows = driver.find_elements(By.CSS_SELECTOR, "#kern-stats tbody tr")
    assert len(rows) == 16
    assert "change since step 0" in driver.find_element(By.ID, "kern-stats").text


def test_softmax_weights_show_ten_28x28_templates(driver, kern_server):
    server, runs = kern_server
    _open(driver, _kernels(server, runs["softmax"], "softmax"), 10)
    g = driver.execute_script("return window.inspectorKernels.geometry['kern-canvas']")
    assert (g["H"], g["W"], len(g["indices"])) == (28, 28, 10)


def test_activations_of_a_probe_digit_show_six_maps_for_conv1(driver, kern_server):
    server, runs = kern_server
    driver.get(f"{server}/activations?run={quote(runs['lenet5'])}&layer=conv1")
    wait_for(driver, "const c = document.getElementById('act-canvas-0');"
             "return c && c.dataset.tiles === '6';", timeout=30, what="6 maps of probe 0")
    row = driver.find_element(By.CSS_SELECTOR, ".act-row")
    assert row.find_element(By.TAG_NAME, "img").get_attribute("src").startswith("data:image/png")
    assert "probe 0" in row.text
    driver.find_element(By.ID, "act-filter").click()
    wait_for(driver, """return [...document.querySelectorAll('.dash-options-list-option')]
        .find((o) => o.textContent.trim() === 'filter 3');""", what="filter options").click()
    wait_for(driver, "const c = document.getElementById('act-canvas-filter');"
             "return c && c.dataset.tiles === '4';", what="filter 3 across 4 probes")
    assert "excite it most" in driver.find_element(By.ID, "act-body").text


def test_kernel_images_of_the_stock_keras_callback_are_shown_as_images(driver, kern_server):
    server, _ = kern_server
    driver.get(server + "/kernels")
    wait_for(driver, """return [...document.querySelectorAll('.kimg-card')].some((c) =>
        c.textContent.includes('keras_tb') && c.querySelector('img[src^="data:image/png"]'));""",
             timeout=30, what="an image card of the Keras callback's kernels")
