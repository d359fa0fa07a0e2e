"""A card with many runs in real Chromium: its lines are painted on a canvas (Plotly keeps
axes and hover), the smoothing slider repaints them without a Plotly redraw, hovering a
line names its run, and a series of a single point is still seen.

The app runs as ``inspector serve`` in its own process on its own logdir, so the session
server of the other browser tests keeps its state.
"""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from inspector.store import Store

from .conftest import inspector_serve, wait_for

pytestmark = pytest.mark.browser

RUNS, STEPS = 30, 400
TAG, FEW_TAG = "many/loss", "few/metric"


@pytest.fixture(scope="module")
def many_server(tmp_path_factory):
    from inspector.summary import SummaryWriter

    root = tmp_path_factory.mktemp("many-runs")
    rng = np.random.default_rng(5)
    for i in range(RUNS):
        with SummaryWriter(root / f"run_{i:02d}") as writer:
            walk = np.cumsum(rng.normal(0, 0.05, STEPS)) + i * 0.1
            for step in range(STEPS):
                writer.scalar(TAG, float(walk[step]), step)
            if i < 2:  # run_01 logs this tag once: a series of one point
                for step in range(STEPS if i == 0 else 1):
                    writer.scalar(FEW_TAG, float(np.sin(step / 40)), step + 100 * i)
    with inspector_serve(root, ready=f"run_{RUNS - 1:02d}") as url:
        yield url, root


FIND = """
const card = [...document.querySelectorAll('.curve-card')]
    .find((c) => c.dataset.tag === arguments[0]);
"""
CANVAS = FIND + """
if (!card) return null;
card.scrollIntoView({block: 'center'});
const gd = card.querySelector('.js-plotly-plot');
const canvas = gd && gd.querySelector('canvas.curve-lines');
if (!canvas || !gd.data || !gd.data.length) return null;
return {url: canvas.toDataURL(), traces: gd.data.map((t) => ({name: t.name, n: t.x.length,
        opacity: t.opacity === undefined ? 1 : t.opacity, y: Array.from(t.y)})),
        marked: !!gd.data[0].__marked};
"""


def line_pixels(data_url: str) -> np.ndarray:
    """Alpha channel of the lines canvas: where something is painted."""
    png = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]


@pytest.fixture
def page(driver, many_server):
    driver.get(many_server[0] + "/")
    wait_for(driver, CANVAS, TAG, timeout=30, what="the many-runs card painted")
    return driver


def test_many_runs_are_painted_on_a_canvas_with_invisible_hover_traces(page, many_server):
    drawn = page.execute_script(CANVAS, TAG)
    painted = line_pixels(drawn["url"])
    assert (painted > 0).mean() > 0.05, "the lines cover part of the plot"
    hover = [t for t in drawn["traces"] if t["name"] != "bounds"]
    assert hover and all(t["opacity"] == 0 for t in hover)
    assert sum(t["n"] for t in hover) < RUNS * STEPS / 2  # hover holds a sample, not every point
    bounds = next(t for t in drawn["traces"] if t["name"] == "bounds")
    store = Store(many_server[1])  # autorange sees every point's extremes
    store.reload()
    values = np.concatenate([store.scalars(f"run_{i:02d}", TAG).values for i in range(RUNS)])
    assert bounds["y"][0] == pytest.approx(values.min(), rel=1e-6)
    assert bounds["y"][1] == pytest.approx(values.max(), rel=1e-6)


def test_smoothing_repaints_the_canvas_without_a_plotly_redraw(page):
    page.execute_script(CANVAS, TAG)
    page.execute_script(FIND + """
        card.querySelector('.js-plotly-plot').data[0].__marked = true;""", TAG)
    before = line_pixels(page.execute_script(CANVAS, TAG)["url"])
    thumb = page.find_element(By.CSS_SELECTOR, "#curves-smoothing [role='slider']")
    thumb.send_keys(Keys.END)  # 0.99, far from the default 0.6
    wait_for(page, "return document.querySelector('#curves-smoothing-value').textContent == '0.99'",
             what="smoothing set to 0.99")
    end = time.time() + 10
    while time.time() < end:
        after = page.execute_script(CANVAS, TAG)
        changed = (line_pixels(after["url"]) != before).mean()
        if changed > 0.01:
            break
        time.sleep(0.05)
    assert changed > 0.01, "the smoothed lines moved"
    assert after["marked"], "Plotly's figure was not rebuilt for a new smoothing weight"


def test_hovering_a_painted_line_names_its_run(page):
    point = page.execute_script(FIND + """
        const gd = card.querySelector('.js-plotly-plot');
        const t = gd.data.find((d) => d.name !== 'bounds');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const r = gd.getBoundingClientRect();
        const i = Math.floor(t.x.length / 3);
        return [r.left + xa._offset + xa.c2p(t.x[i]), r.top + ya._offset + ya.c2p(t.y[i]),
                t.text[i]];
    """, TAG)
    x, y, name = point
    for dx in (0, 1, -1, 2):  # a hover needs a move
        page.execute_cdp_cmd("Input.dispatchMouseEvent",
                             {"type": "mouseMoved", "x": x + dx, "y": y})
        time.sleep(0.1)
    label = wait_for(page, """
        const t = [...document.querySelectorAll('.hoverlayer .hovertext')]
            .map((e) => e.textContent);
        return t.length ? t.join(' ') : null;""", what="a hover label")
    assert "run_" in label and name in label


def test_a_series_of_one_point_is_drawn(page):
    wait_for(page, FIND + """
        if (!card) return null; card.scrollIntoView({block: 'center'});
        const gd = card.querySelector('.js-plotly-plot');
        return gd && gd.data && gd.data.length ? true : null;""", FEW_TAG, what="few/metric card")
    modes = page.execute_script(FIND + """
        return card.querySelector('.js-plotly-plot').data
            .filter((t) => t.x.length === 1).map((t) => t.mode);""", FEW_TAG)
    assert any("markers" in m for m in modes), modes  # the smoothed trace, when smoothing
    dots = page.execute_script(FIND + """
        return card.querySelectorAll('.scatterlayer .point').length;""", FEW_TAG)
    assert dots >= 1


def test_new_points_of_a_painted_card_appear_live(page, many_server):
    from inspector.summary import SummaryWriter

    before = page.execute_script(CANVAS, TAG)
    bounds = next(t for t in before["traces"] if t["name"] == "bounds")
    with SummaryWriter(many_server[1] / "run_05") as writer:  # a run goes on training
        for step in range(STEPS, STEPS + 200):
            writer.scalar(TAG, 5.0, step)
    end = time.time() + 15
    while time.time() < end:
        now = page.execute_script(CANVAS, TAG)
        grown = next(t for t in now["traces"] if t["name"] == "bounds")
        if grown["y"][1] == pytest.approx(5.0) and (line_pixels(now["url"]) !=
                                                    line_pixels(before["url"])).any():
            break
        time.sleep(0.2)
    assert grown["y"][1] == pytest.approx(5.0), "the new maximum reached the chart"
    assert bounds["y"][1] < 5.0
    assert (line_pixels(now["url"]) != line_pixels(before["url"])).mean() > 0.01
