"""Evaluation, HParams, Projector and Compare pages in real Chromium, on logs of a real trainer
run (``inspector train playground --quick``) and of trials written with the hook's own
evaluation functions from predictions kept here, so the numbers shown can be checked against
scikit-learn on the same predictions.

The app runs as ``inspector serve`` in its own process on its own logdir, so the session
server of the other browser tests keeps its state.
"""

from __future__ import annotations

import csv
import glob
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from tests.dashboards.test_samples_playground_data import write_samples
from tests.dashboards.view_logs import CLASSES, write_trial

from .conftest import inspector_serve, wait_for

pytestmark = pytest.mark.browser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    root = tmp_path_factory.mktemp("views")
    env = dict(os.environ, INSPECTOR_OFFLINE="1", PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "inspector", "train", "playground", "--quick",
                           "--epochs", "3", "--logdir", str(root)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    logs = {name: write_trial(root, f"sweep/{name}", {"lr": lr, "optimizer": "sgd"}, seed=i)
            for i, (name, lr) in enumerate((("a", 0.1), ("b", 0.2), ("c", 0.3)))}
    write_samples(root)
    with inspector_serve(root, ready="sweep/c") as url:
        yield url, logs, root


def _figure(driver, graph_id: str, what: str):
    return wait_for(driver, f"""const gd = document.querySelector('#{graph_id} .js-plotly-plot');
        return gd && gd.data && gd.data.length ? gd.data : null;""", what=what)


def test_evaluation_shows_the_scores_scikit_learn_computes_from_the_predictions(driver, views):
    url, logs, _ = views
    driver.get(url + "/evaluation?run=sweep/a/validation&step=2")
    data = _figure(driver, "eval-confusion", "confusion heatmap")
    y, predicted = logs["a"].labels[2], logs["a"].probs[2].argmax(1)
    expected = confusion_matrix(y, predicted, labels=[0, 1, 2])
    assert data[0]["text"] == expected.astype(str).tolist()
    assert data[0]["x"] == list(CLASSES) and data[0]["y"] == list(CLASSES)
    rows = wait_for(driver, """const rows = [...document.querySelectorAll(
            '#eval-table .ag-center-cols-container .ag-row')];
        return rows.length === 3 ? rows.map((r) => [...r.querySelectorAll('.ag-cell')]
            .map((c) => [c.getAttribute('col-id'), c.textContent])) : null;""", what="table")
    pinned = driver.execute_script("""return [...document.querySelectorAll(
        '#eval-table .ag-pinned-left-cols-container .ag-row')].map((r) => r.textContent)""")
    p, r, f, s = precision_recall_fscore_support(y, predicted, labels=[0, 1, 2], zero_division=0)
    shown = {name: dict(cells) for name, cells in zip(pinned, rows, strict=True)}
    for c, name in enumerate(CLASSES):
        assert float(shown[name]["precision"]) == pytest.approx(p[c], abs=5e-5)
        assert float(shown[name]["recall"]) == pytest.approx(r[c], abs=5e-5)
        assert float(shown[name]["f1"]) == pytest.approx(f[c], abs=5e-5)
        assert int(shown[name]["support"]) == s[c]
    summary = driver.find_element(By.ID, "eval-summary").text
    assert f"accuracy {(y == predicted).mean():.4f}" in summary
    assert f"most frequent class {np.bincount(y).max() / len(y):.4f}" in summary
    pr = _figure(driver, "eval-pr", "PR curves")
    assert [t["name"] for t in pr] == list(CLASSES)


def test_clicking_a_confusion_cell_shows_its_misclassified_probes(driver, views):
    url, logs, _ = views
    driver.get(url + "/evaluation?run=sweep/a/validation&step=2")
    _figure(driver, "eval-confusion", "confusion heatmap")
    py, pp, pc = logs["a"].probes[2]
    t, p = next((int(a), int(b)) for a, b in zip(py, pp, strict=True) if a != b)
    want = [i for i in range(len(py)) if py[i] == t and pp[i] == p]
    x, y = driver.execute_script("""const gd = document.querySelector(
            '#eval-confusion .js-plotly-plot');
        const L = gd._fullLayout, box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [L.xaxis.l2p(arguments[1]) - box.width / 2,
                L.yaxis.l2p(arguments[0]) - box.height / 2];""", t, p)
    drag = driver.find_element(By.CSS_SELECTOR, "#eval-confusion .nsewdrag")
    ActionChains(driver).move_to_element_with_offset(drag, int(x), int(y)).click().perform()
    shown = wait_for(driver, """const f = [...document.querySelectorAll(
            '#eval-probes .probe-example')];
        return f.length ? f.map((e) => e.textContent) : null;""", what="probe examples")
    assert [s.split()[0] for s in shown] == [f"#{i}" for i in want]
    assert all(CLASSES[p] in s for s in shown)
    assert f"{pc[want[0]]:.2f}" in shown[0]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#eval-probes img[src^='data:image/png']")) \
        == len(want)


def test_evaluation_step_slider_and_row_share(driver, views):
    url, logs, _ = views
    driver.get(url + "/evaluation?run=sweep/b/validation")
    _figure(driver, "eval-confusion", "confusion heatmap")
    driver.find_element(By.CSS_SELECTOR, "#eval-step [role='slider']").send_keys(Keys.HOME)
    y, predicted = logs["b"].labels[1], logs["b"].probs[1].argmax(1)
    want = confusion_matrix(y, predicted, labels=[0, 1, 2]).astype(str).tolist()
    wait_for(driver, """const gd = document.querySelector('#eval-confusion .js-plotly-plot');
        return JSON.stringify(gd.data[0].text) === arguments[0];""",
             __import__("json").dumps(want).replace(" ", ""), what="step 1 matrix")
    box = driver.find_element(By.ID, "eval-norm")
    next(e for e in box.find_elements(By.TAG_NAME, "label") if e.text == "Row share").click()
    wait_for(driver, """const gd = document.querySelector('#eval-confusion .js-plotly-plot');
        return gd.data[0].text[0][0].includes('.');""", what="row shares")


def test_evaluation_of_a_real_trainer_run_names_both_classes(driver, views):
    url, _, root = views
    run = next(p for p in glob.glob(str(root / "playground" / "*" / "validation")))
    name = os.path.relpath(run, root)
    driver.get(url + "/evaluation?run=" + name)
    data = _figure(driver, "eval-confusion", "playground confusion")
    assert len(data[0]["x"]) == 2
    acc = _figure(driver, "eval-accuracy", "accuracy chart")
    assert {t["name"] for t in acc} == {"accuracy", "most frequent class", "random guess"}
    assert len(acc[0]["x"]) == 3  # three epochs


def test_hparams_table_lists_trials_and_ticking_rows_selects_their_runs(driver, views,
                                                                          downloads):
    url, logs, _ = views
    driver.get(url + "/hparams")
    runs = wait_for(driver, """const r = [...document.querySelectorAll(
            '#hp-grid .ag-pinned-left-cols-container .ag-row')].map((e) => e.textContent);
        return r.length >= 4 ? r : null;""", what="trial rows")
    assert {"sweep/a", "sweep/b", "sweep/c"} <= set(runs)
    assert len(runs) == 4  # and the playground run (lstm and ae log no hparams)
    _figure(driver, "hp-parallel", "parallel coordinates")
    imp = driver.find_element(By.ID, "hp-importance").text
    assert "lr" in imp
    total = driver.find_element(By.ID, "runs-count").text  # "N of N shown"
    n_all = int(total.split()[0])
    # untick every trial but sweep/a: the run picker keeps only sweep/a's runs
    driver.execute_script("""const api = dash_ag_grid.getApi('hp-grid');
        api.forEachNode((n) => n.setSelected(n.data.run === 'sweep/a'));""")
    # runs of no trial (the samples runs) keep their ticks
    wait_for(driver, """return document.getElementById('runs-count').textContent
        .startsWith('5 of');""", what="selection follows the ticked row")
    checked = driver.execute_script("""return [...document.querySelectorAll(
        '.run-checklist input:checked')].map((e) => e.value)""")
    assert {"ae/train", "lstm/train", "sweep/a", "sweep/a/train",
            "sweep/a/validation"} <= set(checked)  # (and the trainings' head boxes)
    assert not any(c.startswith(("sweep/b", "sweep/c", "playground")) for c in checked)
    assert n_all > 5
    for old in glob.glob(os.path.join(downloads, "hparams*.csv")):
        os.remove(old)
    driver.find_element(By.ID, "hp-csv").click()
    path, end = None, time.time() + 15
    while time.time() < end and not path:
        found = glob.glob(os.path.join(downloads, "hparams*.csv"))
        path = found[0] if found and not found[0].endswith(".crdownload") else None
        time.sleep(0.1)
    assert path, "no CSV downloaded"
    with open(path, newline="") as f:
        table = list(csv.DictReader(f))
    assert {row["run"] for row in table} >= {"sweep/a", "sweep/b", "sweep/c"}
    row = next(r for r in table if r["run"] == "sweep/c")
    assert float(row["hp:lr"]) == pytest.approx(0.3)
    assert float(row["final:validation/evaluation/accuracy"]) == pytest.approx(
        (logs["c"].labels[3] == logs["c"].probs[3].argmax(1)).mean())


def test_projector_draws_labelled_points_and_shows_the_input_on_hover(driver, views):
    url, _, _ = views
    driver.get(url + "/projector?run=sweep/a/train&tag=embeddings/dense1")
    data = _figure(driver, "proj-graph", "projection")
    assert {t["name"] for t in data} == set(CLASSES)
    assert driver.execute_script("""return document.querySelector('#proj-graph .js-plotly-plot')
        ._fullData.reduce((n, t) => n + t.x.length, 0)""") == 60
    x, y = driver.execute_script("""
        const gd = document.querySelector('#proj-graph .js-plotly-plot');
        const L = gd._fullLayout, t = gd._fullData[0];
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [L.xaxis.l2p(t.x[0]) - box.width / 2, L.yaxis.l2p(t.y[0]) - box.height / 2];""")
    drag = driver.find_element(By.CSS_SELECTOR, "#proj-graph .nsewdrag")
    ActionChains(driver).move_to_element_with_offset(drag, int(x), int(y)).perform()
    wait_for(driver, "return document.querySelector(\"img.proj-thumb[src^='data:image/png']\")",
             what="hover picture")
    box = driver.find_element(By.ID, "proj-dims")
    next(e for e in box.find_elements(By.TAG_NAME, "label") if e.text == "3-D").click()
    wait_for(driver, """const gd = document.querySelector('#proj-graph .js-plotly-plot');
        return gd && gd.data && gd.data[0].type === 'scatter3d';""", what="3-D projection")
    box = driver.find_element(By.ID, "proj-method")
    next(e for e in box.find_elements(By.TAG_NAME, "label") if e.text == "t-SNE").click()
    wait_for(driver, """const gd = document.querySelector('#proj-graph .js-plotly-plot');
        return gd && gd.layout.title.text.includes('t-SNE');""", timeout=60, what="t-SNE")


def test_compare_shows_hparam_differences_curves_and_confusion_matrices(driver, views):
    url, _, _ = views
    driver.get(url + "/compare")
    table = wait_for(driver, """const t = document.querySelector('.compare-table');
        return t ? t.textContent : null;""", what="hparam table")
    assert "lr" in table
    graphs = wait_for(driver, """const g = [...document.querySelectorAll(
            '.compare-confusion .js-plotly-plot')];
        return g.length >= 2 && g.every((x) => x.data) ? g.length : 0;""", what="confusions")
    assert graphs >= 2
    curves = driver.execute_script("""return [...document.querySelectorAll(
        '.compare-curve .js-plotly-plot')].map((g) => g.layout.title.text)""")
    assert "validation/epoch/accuracy" in curves


def test_playground_shows_boundary_and_neuron_maps_of_every_epoch_of_a_trainer_run(driver,
                                                                                  views):
    url, _, _ = views
    driver.get(url + "/playground")
    src = wait_for(driver, """const b = document.querySelector('.pg-boundary');
        return b ? b.getAttribute('src') : null;""", what="decision boundary")
    assert src.startswith("data:image/png")
    layers = driver.execute_script("""return [...document.querySelectorAll('.pg-label')]
        .map((e) => e.textContent)""")
    assert "dense1 · 4 neurons" in layers and "dense2 · 4 neurons" in layers  # --depth 2 --width 4
    assert len(driver.find_elements(By.CSS_SELECTOR, ".pg-neurons img")) == 8
    assert "epoch 3" in driver.find_element(By.CSS_SELECTOR, ".pg-title").text
    driver.find_element(By.CSS_SELECTOR, "#pg-step [role='slider']").send_keys(Keys.HOME)
    wait_for(driver, """const t = document.querySelector('.pg-title');
        return t && t.textContent.includes('epoch 1 ');""", what="first epoch")
    assert driver.find_element(By.CSS_SELECTOR, ".pg-boundary").get_attribute("src") != src
    driver.find_element(By.ID, "pg-play").click()  # plays on from epoch 1
    wait_for(driver, """const t = document.querySelector('.pg-title');
        return t && t.textContent.includes('epoch 2 ');""", what="played to epoch 2")
    driver.find_element(By.ID, "pg-play").click()


def test_samples_show_text_per_temperature_and_reconstruction_pictures(driver, views):
    url, _, _ = views
    driver.get(url + "/samples")
    heads = wait_for(driver, """const t = document.querySelector('.samples-table');
        return t ? [...t.querySelectorAll('th')].map((e) => e.textContent) : null;""",
                     what="text table")
    assert heads == ["step", "temperature_0.5", "temperature_1.0", "temperature_1.5"]
    cells = driver.execute_script("""return [...document.querySelectorAll(
        '.samples-table tbody tr')].map((r) => [...r.querySelectorAll('td')]
        .map((c) => c.textContent))""")
    assert cells[2] == ["3", "epoch 3 at 0.5", "epoch 3 at 1.0", "epoch 3 at 1.5"]
    wait_for(driver, """return [...document.querySelectorAll('.smp-card')].some((c) =>
        c.textContent.includes('samples/reconstructions')
        && c.querySelectorAll('img[src^="data:image/png"]').length === 4)""",
             what="reconstruction pictures")
    tags = driver.execute_script("""return [...document.querySelectorAll('.smp-card')]
        .map((c) => c.textContent)""")
    assert not any("other/picture" in t for t in tags)
