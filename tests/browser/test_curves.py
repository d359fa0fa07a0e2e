"""The training-curves page in real Chromium: cards, smoothing, x axis, run filter,
aggregation, zoom, download, and live updates."""

from __future__ import annotations

import csv
import glob
import os
import time

import numpy as np
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboards import state
from dashboards.smoothing import debiased_ema
from inspector.events import plugins as P

from .conftest import LONG_STEPS, wait_for

pytestmark = pytest.mark.browser

TRACES = """
const gd = document.querySelector(`.curve-card[data-tag="${arguments[0]}"] .js-plotly-plot`);
if (!gd || !gd.data || !gd.data.length) return null;
return gd.data.map((t) => ({name: t.legendgroup || t.name, n: t.x.length, fill: t.fill || null,
    xmax: Array.from(t.x).reduce((a, b) => (b > a ? b : a), -Infinity),
    y: Array.from(t.y).slice(0, 200), opacity: t.opacity === undefined ? 1 : t.opacity}));
"""
LAYOUT = """
const gd = document.querySelector(`.curve-card[data-tag="${arguments[0]}"] .js-plotly-plot`);
return gd && gd.layout ? {xtype: gd.layout.xaxis.type, xtitle: gd.layout.xaxis.title.text}
                       : null;
"""
LINE_PATHS = """
const gd = document.querySelector(`.curve-card[data-tag="${arguments[0]}"] .js-plotly-plot`);
return gd ? [...gd.querySelectorAll('.scatterlayer path.js-line')].map((p) => p.getAttribute('d'))
          : null;
"""


@pytest.fixture
def curves(driver, server):
    driver.get(server + "/")
    wait_for(driver, TRACES, "loss", what="the loss card drawn")
    return driver


SCROLL_TO = """
const card = [...document.querySelectorAll('.curve-card')]
    .find((c) => c.dataset.tag === arguments[0]);
if (card) card.scrollIntoView({block: 'center'});
return !!card;"""


def traces(driver, tag: str, check=None, what: str = ""):
    """The drawn traces of a card (scrolled into view: cards load when they come near it)."""
    wait_for(driver, SCROLL_TO, tag, what=f"card {tag}")
    if check is None:
        return wait_for(driver, TRACES, tag, what=f"{tag} traces")
    end = time.time() + 10
    while time.time() < end:
        driver.execute_script(SCROLL_TO, tag)
        found = driver.execute_script(TRACES, tag)
        if found and check(found):
            return found
        time.sleep(0.05)
    cards = driver.execute_script(
        "return [...document.querySelectorAll('.curve-card')].map((c) => c.dataset.tag + ' '"
        " + c.getBoundingClientRect().top + ' ' + c.textContent.slice(0, 80))")
    raise AssertionError(f"{what}: {driver.execute_script(TRACES, tag)!r:.600} {cards}")


def click_option(driver, container_id: str, label: str) -> None:
    box = driver.find_element(By.ID, container_id)
    next(e for e in box.find_elements(By.TAG_NAME, "label") if e.text.strip() == label).click()


def test_every_scalar_tag_has_a_card(curves, served_app):
    want = {t for tags in state.of(served_app).store.tags(P.KIND_SCALARS).values() for t in tags}
    assert {"loss", "long/noisy", "epoch/loss", "batch/loss"} <= want  # tf.summary and hook
    shown = wait_for(curves, """
        const tags = [...document.querySelectorAll('.curve-card')].map((c) => c.dataset.tag);
        return tags.length >= arguments[0] ? tags : null;""", len(want), what="all cards")
    assert set(shown) == want


def test_smoothing_slider_changes_the_drawn_line(curves):
    before = traces(curves, "loss", lambda t: len(t) == 4, "raw + smoothed per run")
    paths_before = curves.execute_script(LINE_PATHS, "loss")
    thumb = curves.find_element(By.CSS_SELECTOR, "#curves-smoothing [role='slider']")
    thumb.send_keys(Keys.END)  # 0.99
    after = traces(curves, "loss", lambda t: len(t) == 4 and t[1]["y"] != before[1]["y"],
                   "smoothed line moved")
    assert after[0]["y"] == before[0]["y"]  # the raw line stays
    assert curves.execute_script(LINE_PATHS, "loss") != paths_before
    thumb.send_keys(Keys.HOME)  # 0: raw lines only, drawn opaque
    raw = traces(curves, "loss", lambda t: len(t) == 2, "smoothing off")
    assert all(t["opacity"] == 1 for t in raw)


def test_browser_smoothing_is_tensorboards_ema(curves):
    values = list(np.random.default_rng(3).normal(size=300).cumsum()) + [float("nan"), 1.0]
    counts = list(np.random.default_rng(4).integers(1, 9, size=len(values)).astype(float))
    as_json = [None if np.isnan(v) else v for v in values]  # JSON has no NaN
    for weight, cnt in ((0.6, None), (0.95, None), (0.8, counts)):
        js = curves.execute_script(
            "const v = arguments[0].map((x) => (x === null ? NaN : x));"
            "return Array.from(window.inspectorCurves.ema(v, arguments[1], arguments[2]))"
            ".map((x) => (Number.isFinite(x) ? x : null))", as_json, weight, cnt)
        want = debiased_ema(values, weight, cnt)
        got = np.array([np.nan if v is None else v for v in js])
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_switching_the_x_axis(curves):
    def axis(check, what):
        end = time.time() + 10
        while time.time() < end:
            found = curves.execute_script(LAYOUT, "loss")
            if found and check(found):
                return found
            time.sleep(0.05)
        raise AssertionError(f"{what}: {curves.execute_script(LAYOUT, 'loss')}")

    click_option(curves, "curves-xmode", "Wall")
    axis(lambda a: a["xtype"] == "date", "date axis")
    click_option(curves, "curves-xmode", "Relative")
    axis(lambda a: a["xtitle"].startswith("relative time"), "relative axis")
    click_option(curves, "curves-xmode", "Step")
    axis(lambda a: a["xtitle"] == "step" and a["xtype"] == "linear", "step axis")


def test_run_filter(curves):
    box = curves.find_element(By.ID, "run-filter")
    box.send_keys("seed1$")
    only = traces(curves, "loss", lambda t: {x["name"] for x in t} == {"tfsum/seed1"},
                  "only seed1 drawn")
    assert only
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    traces(curves, "loss", lambda t: len({x["name"] for x in t}) == 2, "both runs back")


def test_aggregation_band(curves):
    click_option(curves, "curves-agg-mode", "by regex")
    curves.find_element(By.ID, "curves-agg-regex").send_keys(r"(.*)/seed\d+")
    band = traces(curves, "loss", lambda t: any(x["fill"] == "tonexty" for x in t),
                  "a min-max band")
    assert {x["name"] for x in band} == {"tfsum (2 runs)"}
    click_option(curves, "curves-agg-band", "±1 std")
    click_option(curves, "curves-agg-mode", "off")
    traces(curves, "loss", lambda t: {x["name"] for x in t} == {"tfsum/seed0", "tfsum/seed1"},
           "runs again")


def test_zoom_requeries_every_point_in_view(curves):
    traces(curves, "long/noisy")
    wait_for(curves, """return document.querySelector(
        '.curve-card[data-tag="long/noisy"] .card-info').textContent.includes('min–max')""",
             what="decimated long series")
    curves.execute_script("""
        const gd = document.querySelector('.curve-card[data-tag="long/noisy"] .js-plotly-plot');
        Plotly.relayout(gd, {'xaxis.range': [1000, 1100]});""")
    wait_for(curves, """return document.querySelector(
        '.curve-card[data-tag="long/noisy"] .card-info').textContent.includes('zoomed')""",
             what="zoomed info")
    zoomed = traces(curves, "long/noisy", lambda t: t[0]["n"] < 200, "zoomed data")
    # every point of the visible range, plus one beyond each edge, no buckets
    assert 101 <= zoomed[0]["n"] <= 103


def test_csv_download_has_every_point(curves, downloads, served_app):
    for old in glob.glob(os.path.join(downloads, "*")):
        os.remove(old)
    card = curves.find_element(By.CSS_SELECTOR, '.curve-card[data-tag="long/noisy"]')
    next(b for b in card.find_elements(By.TAG_NAME, "button") if b.text == "CSV").click()
    path = os.path.join(downloads, "long_noisy.csv")
    wait_for(curves, "return true", timeout=1)
    end = time.time() + 10
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.05)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * LONG_STEPS
    store = state.of(served_app).store
    for run in ("writer/seed0", "writer/seed1"):
        full = store.scalars(run, "long/noisy")
        mine = [r for r in rows if r["run"] == run]
        assert [int(r["step"]) for r in mine] == full.steps.tolist()
        assert [float(r["value"]) for r in mine] == full.values.tolist()


def test_new_points_appear_within_two_seconds(curves, logdir):
    import tensorflow as tf

    traces(curves, "live/metric", lambda t: max(x["xmax"] for x in t) == 19, "initial points")
    writer = tf.summary.create_file_writer(str(logdir / "tfsum" / "seed0"))
    with writer.as_default():
        for step in range(20, 30):
            tf.summary.scalar("live/metric", float(step), step=step)
    writer.flush()
    start = time.time()
    traces(curves, "live/metric", lambda t: max(x["xmax"] for x in t) == 29, "new points")
    elapsed = time.time() - start
    writer.close()
    assert elapsed < 2.0, f"new points took {elapsed:.2f} s to appear"


FAR_CARDS = """
return [...document.querySelectorAll('.curve-card')]
    .filter((c) => c.getBoundingClientRect().top > window.innerHeight + 800)
    .map((c) => [c.dataset.tag, ((c.querySelector('.js-plotly-plot') || {}).data || []).length,
                 (c.querySelector('.card-info') || {textContent: ''}).textContent]);
"""


def test_cards_far_below_the_view_load_when_scrolled_near(curves):
    time.sleep(1.5)  # what is near the view has loaded by now
    far = curves.execute_script(FAR_CARDS)
    assert far, "the session logdir has cards far below the first screen"
    assert all(n == 0 and info == "" for _, n, info in far), far  # not asked for yet
    tag = far[-1][0]
    drawn = traces(curves, tag)  # scrolls it into view
    assert drawn and drawn[0]["n"] > 0


LOADING_STATE = """
const card = [...document.querySelectorAll('.curve-card')]
    .find((c) => c.dataset.tag === arguments[0]);
return [card.classList.contains('loaded'),
        getComputedStyle(card, '::after').content];
"""


def test_a_card_shows_its_loading_state_until_its_line_is_drawn(curves):
    time.sleep(1.5)
    far = curves.execute_script(FAR_CARDS)
    tag = far[-1][0]
    loaded, shown = curves.execute_script(LOADING_STATE, tag)
    assert not loaded and "Loading" in shown  # what a user sees in a card not drawn yet
    drawn = traces(curves, tag)  # scrolled near: asked for, drawn
    assert drawn and drawn[0]["n"] > 0
    loaded, shown = wait_for(curves, LOADING_STATE.replace(
        "return [", "const s = [").replace("];\n", "]; return s[0] ? s : null;\n"), tag,
        what="the card marked loaded")
    assert loaded and "Loading" not in shown
