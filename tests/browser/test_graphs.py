"""The graphs page in real Chromium: a LeNet-5 training step (logged by the hook) opens on its
layers, a click opens ``conv1`` on its ops, search reveals a node inside a closed group, a
layer's details link to its kernels, a PyTorch graph opens, and the view downloads as SVG.

The app runs as ``inspector serve`` in its own process on its own logdir, so the session
server of the other browser tests keeps its state.
"""

from __future__ import annotations

import shutil
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .conftest import inspector_serve, wait_for

pytestmark = pytest.mark.browser

TORCH_LOGS = Path(__file__).parents[1] / "fixtures" / "torch_logs"
CY = "const el = document.getElementById('graph-cy'); const cy = el && el._cyreg && el._cyreg.cy;"
NODE_IDS = CY + "return cy ? cy.nodes().map((n) => n.id()) : [];"
LAYOUTS = "return window.__graphLayouts ? window.__graphLayouts.count : 0;"
SETTLED = ("const l = window.__graphLayouts;"
           "return l && l.count > 0 && performance.now() - l.last > 400;")


def _write_lenet5(root: Path) -> None:

    from inspector.hooks import Inspector
    from trainers.conv import LeNet5Config, build_lenet5

    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 32).astype("int32")
    model = build_lenet5(LeNet5Config(), type("D", (), {"input_shape": (28, 28, 1),
                                                         "num_classes": 10})())
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hook = Inspector(str(root / "lenet5"), validation_data=(x[:8], y[:8]), activation_freq=0,
                     eval_freq=0)
    model.fit(x, y, epochs=1, batch_size=16, validation_data=(x[:8], y[:8]), verbose=0,
              callbacks=[hook])


@pytest.fixture(scope="module")
def graph_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("graph-logs")
    _write_lenet5(root)
    shutil.copytree(TORCH_LOGS, root / "torch")
    with inspector_serve(root, ready="lenet5/train") as url:
        yield url


def open_graph(driver, url: str, run: str) -> list[str]:
    driver.get(url + "/graphs?" + urllib.parse.urlencode({"run": run}))
    wait_for(driver, SETTLED, timeout=30, what="the graph laid out")
    return wait_for(driver, NODE_IDS, what="graph nodes")


def click_node(driver, node_id: str) -> None:
    """A real mouse click on the node's drawn position (viewport coordinates: the canvas may
    reach below the window, where Selenium's element-centred offsets would miss)."""
    pos = wait_for(driver, CY + """
        const n = cy.getElementById(arguments[0]);
        if (!n.length) return null;
        window.__taps = [];
        cy.one('tap', (e) => window.__taps.push(e.target === cy ? 'background' : e.target.id()));
        const box = el.getBoundingClientRect(), bb = n.renderedBoundingBox();
        return {x: box.left + (bb.x1 + bb.x2) / 2, y: box.top + (bb.y1 + bb.y2) / 2};""", node_id,
                   what=f"node {node_id} drawn")
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(int(pos["x"]), int(pos["y"]))
    actions.pointer_action.click()
    actions.perform()
    hit = wait_for(driver, "return window.__taps && window.__taps[0];", what="a tap")
    assert hit == node_id, f"the click meant for {node_id} hit {hit} at {pos}"


def test_lenet5_training_step_opens_collapsed_to_its_layers(driver, graph_server):
    ids = open_graph(driver, graph_server, "lenet5/train")
    layers = {"conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "output"}
    assert {f"g:lenet5/{name}" for name in layers} <= set(ids)
    assert not [i for i in ids if i.startswith("n:lenet5/conv1/")], "conv1 opens closed"
    assert "g:gradient_tape" in ids and "g:gradient_tape/lenet5" not in ids


def test_clicking_conv1_shows_its_ops(driver, graph_server):
    open_graph(driver, graph_server, "lenet5/train")
    before = driver.execute_script(LAYOUTS)
    click_node(driver, "g:lenet5/conv1")
    ids = wait_for(driver, CY + """
        const ids = cy.nodes().map((n) => n.id());
        return ids.includes('n:lenet5/conv1/BiasAdd') ? ids : null;""",
                   what="conv1's ops drawn")
    wait_for(driver, "return window.__graphLayouts.count > arguments[0];", before,
             what="the view laid out again")
    # The Conv2D op "convolution" opens a scope of its own (its kernel read): a group.
    assert {"n:lenet5/conv1/Tanh", "g:lenet5/conv1/convolution"} <= set(ids)
    assert driver.execute_script(CY + "return cy.getElementById('n:lenet5/conv1/BiasAdd')"
                                 ".data('parent');") == "g:lenet5/conv1"
    panel = driver.find_element(By.ID, "graph-details").text
    assert "conv1" in panel and "Conv2D" in panel  # the group's op types


def test_search_reveals_a_node_inside_a_collapsed_group(driver, graph_server):
    ids = open_graph(driver, graph_server, "lenet5/train")
    assert not [i for i in ids if i.startswith("n:lenet5/fc2/")]
    box = driver.find_element(By.ID, "graph-search")
    box.send_keys("lenet5/fc2/MatMul$", Keys.ENTER)
    found = wait_for(driver, CY + """
        const m = cy.nodes('.match').map((n) => n.id());
        return m.length ? m : null;""", what="a match drawn")
    assert found == ["n:lenet5/fc2/MatMul"]
    assert "match" in driver.find_element(By.ID, "graph-status").text


def test_a_layers_details_link_to_its_kernels(driver, graph_server):
    open_graph(driver, graph_server, "lenet5/train")
    click_node(driver, "g:lenet5/conv2")
    link = wait_for(driver, "const a = document.getElementById('graph-kernels-link');"
                    "return a && a.getAttribute('href');", what="the kernels link")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)
    assert link.startswith("/kernels?")
    assert query == {"run": ["lenet5/train"], "layer": ["conv2"]}
    driver.find_element(By.ID, "graph-kernels-link").click()
    wait_for(driver, "return location.pathname === '/kernels';", what="the kernels page")
    assert "layer=conv2" in driver.current_url


def test_a_pytorch_graph_opens(driver, graph_server):
    ids = open_graph(driver, graph_server, "torch")
    assert "g:TinyNet" in ids and "g:input" in ids
    wait_for(driver, SETTLED, what="the graph laid out")
    click_node(driver, "g:TinyNet")
    ids = wait_for(driver, CY + """
        const ids = cy.nodes().map((n) => n.id());
        return ids.includes('g:TinyNet/Conv2d[conv]') ? ids : null;""", what="TinyNet opened")
    label = driver.execute_script(CY + "return cy.getElementById('g:TinyNet/Conv2d[conv]')"
                                  ".data('label');")
    assert label.startswith("conv (Conv2d)")


def test_the_view_downloads_as_svg(driver, graph_server, downloads):
    open_graph(driver, graph_server, "lenet5/train")
    driver.find_element(By.ID, "graph-svg").click()
    path = Path(downloads)
    svg = []
    deadline = time.time() + 15
    while time.time() < deadline:
        svg = list(path.glob("graph-*.svg"))
        if svg:
            break
        time.sleep(0.1)
    assert svg, "an SVG was downloaded"
    assert "<svg" in svg[0].read_text()[:500]
