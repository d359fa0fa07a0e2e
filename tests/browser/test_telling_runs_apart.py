"""Telling runs apart in real Chromium: a 3-run activation sweep shows three distinct
names in the run tree and a legend, the hover table lists every run at the cursor's step
with its value, a zoom between two logged steps redraws without a console error, and the
grouping controls show only when they apply.

The logdir has the layout the trainers write (``<arch>/sweep/<key>=<value>/{train,
validation}`` and the training's own directory with its test results), written by
``inspector.summary`` so it takes no training; the app runs as ``inspector serve`` in its own
process, so the session server of the other browser tests keeps its state.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from .conftest import inspector_serve, wait_for

pytestmark = pytest.mark.browser

ACTIVATIONS = ("relu", "sigmoid", "tanh")
EPOCHS = 5
LENET = "lenet5/2026-11-29T18-31-11"
ERRORS = """
if (!window.__errors) {
  window.__errors = [];
  window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
  window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
  const original = console.error;
  console.error = (...args) => { window.__errors.push(args.map(String).join(' '));
                                 original.apply(console, args); };
}
return window.__errors;"""


def accuracy(activation: str, part: str, epoch: int) -> float:
    """A different, exactly known value per run and epoch."""
    base = {"relu": 0.8, "sigmoid": 0.2, "tanh": 0.9}[activation]
    return round(base * (1 - 0.5 ** epoch) + (0.01 if part == "validation" else 0.0), 4)


@pytest.fixture(scope="module")
def sweep_server(tmp_path_factory):
    from inspector.summary import SummaryWriter

    root = tmp_path_factory.mktemp("sweep-logs")
    for act in ACTIVATIONS:
        training = root / "mlp" / "sweep" / f"activation={act}"
        for part in ("train", "validation"):
            with SummaryWriter(training / part) as writer:
                for epoch in range(1, EPOCHS + 1):
                    writer.scalar("epoch/accuracy", accuracy(act, part, epoch), epoch)
        with SummaryWriter(training) as writer:
            writer.scalar("test/accuracy", accuracy(act, "test", EPOCHS), EPOCHS)
    for part in ("train", "validation"):
        with SummaryWriter(root / LENET / part) as writer:
            for epoch in (1, 2, 3):
                writer.scalar("lenet/accuracy", 0.5 + epoch / 10, epoch)
    with inspector_serve(root, ready="activation=tanh") as url:
        yield url


CARD = """
const card = [...document.querySelectorAll('.curve-card')]
    .find((c) => c.dataset.tag === arguments[0]);
if (!card) return null;
card.scrollIntoView({block: 'center'});
const gd = card.querySelector('.js-plotly-plot');
"""
DRAWN = CARD + """
if (!gd || !gd.data || !gd.data.length || !gd._fullLayout.xaxis._vals) return null;
return {legend: [...gd.querySelectorAll('.legend .legendtext')].map((e) => e.textContent),
        ticks: gd._fullLayout.xaxis._vals.map((v) => v.x),
        info: card.querySelector('.card-info, [id*="curve-info"]')?.textContent || card.textContent,
        points: gd.data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0)};
"""
POINT_AT = CARD + """
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
return [r.left + xa._offset + xa.c2p(arguments[1]), r.top + ya._offset + ya._length / 2];
"""


@pytest.fixture
def page(driver, sweep_server):
    driver.get(sweep_server + "/")
    driver.execute_script(ERRORS)
    wait_for(driver, DRAWN, "epoch/accuracy", timeout=30, what="the accuracy card drawn")
    return driver


def test_the_sweep_shows_three_distinguishable_names_and_a_legend(page):
    trainings = wait_for(page, """
        const rows = [...document.querySelectorAll('.training-check .run-name')];
        return rows.length >= 3 ? rows.map((e) => e.textContent) : null;""",
                         what="the run tree")
    sweep = [t for t in trainings if t.startswith("activation=")]
    assert sorted(sweep) == [f"activation={a}" for a in ACTIVATIONS]
    parts = page.execute_script(
        "return [...document.querySelectorAll('.run-parts .part-name')].map((e) => e.textContent)")
    assert parts.count("test") == 3 and parts.count("train") == 4  # lenet5 has no test part
    drawn = wait_for(page, DRAWN, "epoch/accuracy", what="legend")
    legend = drawn["legend"]
    assert len(legend) == len(set(legend)) == 6, legend  # 3 x train/validation
    for act in ACTIVATIONS:
        assert sum(f"activation={act}" in entry for entry in legend) == 2, legend
    assert all(float(t).is_integer() for t in drawn["ticks"]), drawn["ticks"]


def test_the_trainings_box_ticks_and_unticks_all_its_parts(page):
    box = wait_for(page, """
        return [...document.querySelectorAll('.training-check label')]
            .find((l) => l.textContent.includes('activation=relu'));""", what="relu entry")
    box.click()
    wait_for(page, CARD + """
        return gd && gd.data && !gd.data.some((t) => (t.legendgroup || '').includes('=relu'));""",
             "epoch/accuracy", what="relu's lines gone")
    ticked = page.execute_script("""
        return [...document.querySelectorAll('.run-parts input')]
            .filter((i) => i.closest('label').querySelector('[title]').title
                .includes('activation=relu'))
            .map((i) => i.checked);""")
    assert ticked == [False, False, False]
    box.click()
    wait_for(page, CARD + """
        return gd && gd.data && gd.data.filter(
            (t) => (t.legendgroup || '').includes('=relu')).length >= 2;""",
             "epoch/accuracy", what="relu's lines back")


def test_hover_table_lists_every_run_at_the_step_with_its_value(page):
    x, y = wait_for(page, POINT_AT, "epoch/accuracy", 3, what="card geometry")
    for dx in (0, 1, 0):  # a hover needs a move
        page.execute_cdp_cmd("Input.dispatchMouseEvent",
                             {"type": "mouseMoved", "x": x + dx, "y": y})
        time.sleep(0.1)
    rows = wait_for(page, """
        const box = document.querySelector('.curve-hover');
        if (!box || box.style.display === 'none') return null;
        const head = [...box.querySelectorAll('th')].map((e) => e.textContent);
        return [...box.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries(
            [...tr.children].map((td, i) => [head[i], td.textContent])
                .concat([['run', tr.title]])));""", what="the hover table")
    sweep = {r["run"]: r for r in rows if "/sweep/" in r["run"]}
    assert len(rows) == len(sweep) == 6
    for run, row in sweep.items():
        act, part = run.split("activation=")[1].split("/")
        assert row["Step"] == "3"
        assert float(row["Value"]) == pytest.approx(accuracy(act, part, 3), abs=1e-4)
    shown = [float(r["Smoothed"]) for r in rows]
    assert shown == sorted(shown, reverse=True)  # sorted by the value shown
    page.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 5, "y": 5})


def test_zoom_between_two_logged_steps_redraws_without_a_console_error(page):
    wait_for(page, DRAWN, "lenet/accuracy", what="the lenet5 card")
    page.execute_script(CARD + """
        window.Plotly.relayout(gd, {'xaxis.range[0]': 1.3, 'xaxis.range[1]': 1.7});""",
                        "lenet/accuracy")
    zoomed = wait_for(page, DRAWN + "", "lenet/accuracy", what="zoomed card")
    end = time.time() + 10
    while "zoomed" not in (zoomed["info"] or "") and time.time() < end:
        time.sleep(0.1)
        zoomed = page.execute_script(DRAWN, "lenet/accuracy")
    assert "zoomed" in zoomed["info"] and "0 points" not in zoomed["info"], zoomed["info"]
    assert zoomed["points"] >= 4  # steps 1 and 2 of both runs: lines cross the view
    assert page.execute_script(ERRORS) == []


def test_grouping_controls_show_only_when_they_apply(page):
    shown = """const s = ['curves-agg-regex', 'curves-agg-hparam', 'curves-agg-band'].map(
        (id) => { const e = document.getElementById(id); return !!e && e.offsetParent !== null; });
        """
    assert wait_for(page, shown + "return s.every((v) => !v);",
                    what="all hidden while grouping is off")
    box = page.find_element(By.ID, "curves-agg-mode")
    next(e for e in box.find_elements(By.TAG_NAME, "label") if e.text == "by hparam").click()
    wait_for(page, shown + "return !s[0] && s[1] && s[2];", what="hparam picker and band shown")
    next(e for e in box.find_elements(By.TAG_NAME, "label") if e.text == "by regex").click()
    wait_for(page, shown + "return s[0] && !s[1] && s[2];", what="regex input and band shown")


def test_smoothing_number_follows_the_slider_while_it_is_dragged(page):
    from selenium.webdriver.common.action_chains import ActionChains

    value = page.find_element(By.ID, "curves-smoothing-value")
    before = wait_for(page, "return document.getElementById('curves-smoothing-value').textContent",
                      what="the smoothing number")
    thumb = page.find_element(By.CSS_SELECTOR, "#curves-smoothing [role='slider']")
    drag = ActionChains(page)
    drag.click_and_hold(thumb).move_by_offset(-40, 0).move_by_offset(-20, 0).perform()
    try:
        during = wait_for(page, """const t = document.getElementById('curves-smoothing-value')
            .textContent; return t !== arguments[0] && t;""", before, what="number while held")
        assert float(during) < float(before)
    finally:
        ActionChains(page).release().perform()
    assert float(value.text) == float(during)
