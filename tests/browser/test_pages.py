"""Distributions, images and text pages in real Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .conftest import wait_for

pytestmark = pytest.mark.browser


def test_distributions_show_percentile_bands_and_stacked_histograms(driver, server):
    driver.get(server + "/distributions")
    count = wait_for(driver, """const g = document.querySelectorAll('.hist-graph .js-plotly-plot');
        return g.length && [...g].every((x) => x.data && x.data.length) ? g.length : 0;""",
                     what="histogram cards drawn")
    assert count >= 2 + 10  # tf.summary's two runs, the hook's weights/gradients/activations
    fills = driver.execute_script("return document.querySelector('.hist-graph .js-plotly-plot')"
                                  ".data.filter((t) => t.fill === 'tonexty').length")
    assert fills == 4  # the four percentile bands
    box = driver.find_element(By.ID, "dist-view")
    next(e for e in box.find_elements(By.TAG_NAME, "label")
         if e.text == "Histograms: offset").click()
    wait_for(driver, """return document.querySelector('.hist-graph .js-plotly-plot').data
        .some((t) => t.fill === 'toself')""", what="offset ridges")


def test_images_slider_reaches_every_logged_step(driver, server):
    driver.get(server + "/images")
    wait_for(driver, "return document.querySelectorAll('.img-card img[src^=\"data:image/png\"]')"
             ".length >= 2", what="images")
    card = next(c for c in driver.find_elements(By.CSS_SELECTOR, ".img-card")
                if "samples" in c.text and "tfsum/seed0" in c.text)
    assert "step 150" in card.text and "(4 of 4)" in card.text  # steps 0, 50, 100, 150
    card.find_element(By.CSS_SELECTOR, "[role='slider']").send_keys(Keys.HOME)
    wait_for(driver, "return arguments[0].textContent.includes('step 0')", card,
             what="first step")


def test_text_is_markdown_without_raw_html(driver, server):
    driver.get(server + "/text")
    body = wait_for(driver, """const b = [...document.querySelectorAll('.txt-card')]
        .find((c) => c.textContent.includes('notes') && c.textContent.includes('tfsum/seed0'));
        return b ? b.querySelector('.text-body') : null;""", what="text card")
    assert body.find_elements(By.TAG_NAME, "strong")  # **bold** is Markdown
    assert not body.find_elements(By.TAG_NAME, "script")
    assert not body.find_elements(By.TAG_NAME, "b")  # <b> stays text
    assert "<b>raw html</b>" in body.text
    assert driver.execute_script("return window.injected") is None
