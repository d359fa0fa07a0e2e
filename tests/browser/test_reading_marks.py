"""What a line cannot show, in real Chromium: NaN and ±inf points marked at the plot's edge,
and the points a restarted run logged again drawn faint on request (issue 15, rules 1, 3)."""

from __future__ import annotations

import logging
import math
import threading
import time

import pytest
from selenium.webdriver.common.by import By
from tensorboardX import SummaryWriter

from .conftest import wait_for

pytestmark = pytest.mark.browser

NAMES = """
const gd = document.querySelector('.curve-card[data-tag="loss"] .js-plotly-plot');
if (!gd || !gd.data || !gd.data.length) return null;
return gd.data.map((t) => [t.name, t.x.length, t.hovertemplate || '', (t.text || []).join('|')]);
"""


@pytest.fixture(scope="module")
def marked_server(tmp_path_factory):
    from werkzeug.serving import make_server

    from dashboards import state
    from dashboards.app import create_app

    root = tmp_path_factory.mktemp("marks")
    w = SummaryWriter(str(root / "diverged"))
    for s, v in enumerate([1.0, 0.5, math.nan, math.inf, -math.inf]):
        w.add_scalar("loss", v, s)
    w.close()
    w = SummaryWriter(str(root / "resumed"), filename_suffix=".1")
    for s in range(6):
        w.add_scalar("loss", 2.0 - s / 10, s, walltime=1000.0 + s)
    w.close()
    w = SummaryWriter(str(root / "resumed"), filename_suffix=".2")  # resumed from step 3
    for s in range(3, 5):
        w.add_scalar("loss", 1.0 - s / 10, s)
    w.close()
    app = create_app(root, reload_interval=None)
    state.of(app).store.reload()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_non_finite_points_are_marked_and_superseded_ones_shown_on_request(driver,
                                                                         marked_server):
    driver.get(marked_server + "/")
    traces = wait_for(driver, NAMES, what="the loss card")
    [nf] = [t for t in traces if t[0] == "diverged non-finite"]
    assert nf[1] == 3 and nf[3] == "NaN at step 2|+inf at step 3|-inf at step 4"
    assert not [t for t in traces if t[0].endswith("superseded")]
    toggle = [e for e in driver.find_elements(By.CSS_SELECTOR, "#curves-options label")
              if "superseded" in e.text]
    toggle[0].click()
    end = time.time() + 10
    while not [t for t in traces if t[0] == "resumed superseded"]:
        assert time.time() < end, traces
        time.sleep(0.05)
        traces = driver.execute_script(NAMES)
    [sup] = [t for t in traces if t[0] == "resumed superseded"]
    assert sup[1] == 3  # steps 3, 4, 5 of the first file, replaced by the resumed run
