"""Acceptance benchmark of the dashboard issue: time from navigation to the first drawn chart,
Inspector vs TensorBoard, in the same headless Chromium; and the smoothing slider's response.

Two logdirs, written once with TensorBoard's own EventFileWriter and summary_v2.scalar_pb
(the form tf.summary.scalar writes) and cached under benchmarks/_data/ (gitignored):
(a) 10 runs x 10 tags x 5,000 steps, (b) 200 runs x 5 tags x 2,000 steps.

Both servers run on loopback with the logdir fully loaded before timing starts:
`tensorboard --logdir X --host 127.0.0.1` (RustBoard data server, its defaults: 1,000
sampled points per series) and `inspector serve` (every point kept; charts decimated per
pixel with each bucket's min and max). One Chromium session alternates A B A B ...; each
navigation starts from about:blank with a fresh HTTP cache state for the page.

"First chart drawn" is the same test for both: the first chart element (TensorBoard's
`line-chart` of the Time Series page, Inspector's `.js-plotly-plot`) is captured through
the DevTools protocol every few milliseconds until it holds at least MIN_LINE_PIXELS pixels
of run colour (saturated, unlike axes, grid and text). The smoothing response is timed in
the page with real mouse events (DevTools Input): from each pointer move while dragging the
slider to the next frame after the cards in view show the new smoothing, and from release to
the last card redrawn with the new weight.

    .venv/bin/python benchmarks/dashboard.py [--repeat 3] [--only a|b]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, REPO, median_range  # noqa: E402
from _tb_writer import write_scalar_run  # noqa: E402

DATASETS = {"a": (10, 10, 5_000), "b": (200, 5, 2_000)}
MIN_LINE_PIXELS = 150
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


# ---------------------------------------------------------------- the logdirs
def _write_run(job: tuple[str, int, int, int]) -> None:
    """One run of the dashboard's logdirs: decaying noisy curves, one event per tag and step."""
    import numpy as np

    run_dir, tags, steps, seed = job
    rng = np.random.default_rng(seed)
    trend = np.exp(-np.arange(steps) / (steps / 4))
    values = trend + np.cumsum(rng.normal(scale=0.01, size=(tags, steps)), axis=1)
    write_scalar_run(run_dir, values, 1.7e9 + seed * 1e4)


def ensure_logdir(key: str) -> Path:
    import multiprocessing

    runs, tags, steps = DATASETS[key]
    logdir = DATA_DIR / f"dashboard_{runs}x{tags}x{steps}"
    if (logdir / "manifest.json").exists():
        return logdir
    partial = logdir.with_name(logdir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"writing {runs * tags * steps:,} events into {logdir} (once) ...", flush=True)
    start = time.perf_counter()
    jobs = [(str(partial / f"run_{i:03d}"), tags, steps, i) for i in range(runs)]
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 2) as pool:
        pool.map(_write_run, jobs, chunksize=4)
    (partial / "manifest.json").write_text(json.dumps(
        {"runs": runs, "tags": tags, "steps": steps, "events": runs * tags * steps}) + "\n")
    partial.rename(logdir)
    print(f"  written in {time.perf_counter() - start:.0f} s", flush=True)
    return logdir


# ---------------------------------------------------------------- the servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def wait_until(predicate, timeout: float, what: str) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


def start_tensorboard(logdir: Path, runs: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = Path(sys.executable).with_name("tensorboard")
    proc = subprocess.Popen([str(exe), "--logdir", str(logdir), "--port", str(port),
                             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def loaded() -> bool:
        tags = json.loads(_get(f"{url}/data/plugin/scalars/tags"))
        return len(tags) >= runs and all(len(t) for t in tags.values())

    wait_until(loaded, 600, "TensorBoard to load the logdir")
    return proc, url + "/#timeseries"


def start_inspector(logdir: Path, runs: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    code = ("import sys; from dashboards.app import serve; "
            "serve(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(logdir), str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    last_run = f"run_{runs - 1:03d}"
    wait_until(lambda: last_run in _get(f"{url}/_dash-layout"), 600, "Inspector to load")
    return proc, url + "/"


# ---------------------------------------------------------------- the browser
def chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument("--user-data-dir=" + tempfile.mkdtemp(prefix="bench-chrome-"))
    options.page_load_strategy = "none"  # get() returns at once; we poll for the chart
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


FIRST_CHART_JS = """
const el = document.querySelector(arguments[0]);
if (!el) return null;
const r = el.getBoundingClientRect();
if (r.width < 50 || r.height < 50) return null;
return [r.left, r.top, r.width, r.height];
"""


def colour_pixels(png: bytes) -> int:
    """Pixels of a saturated colour (run lines), unlike white, greys and black text."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())


def time_first_chart(driver, url: str, selector: str, timeout: float = 120.0) -> float:
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    start = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - start < timeout:
        rect = driver.execute_script(FIRST_CHART_JS, selector)
        if rect:
            left, top, width, height = rect
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": {
                "x": left, "y": top, "width": width, "height": height, "scale": 1}})
            if colour_pixels(base64.b64decode(shot["data"])) >= MIN_LINE_PIXELS:
                return time.perf_counter() - start
        time.sleep(0.005)
    raise RuntimeError(f"no chart drawn at {url} within {timeout:.0f} s")


PREVIEW_SETUP_JS = """
window.__lat = []; window.__lastPlot = 0;
window.addEventListener('pointermove', () => { window.__move = performance.now(); }, true);
window.addEventListener('pointerup', () => { window.__up = performance.now(); }, true);
const cb = window.dash_clientside.curves, original = cb.preview, figure = cb.figure;
cb.preview = function (w) {
  const moved = window.__move, out = original(w);
  requestAnimationFrame(() => window.__lat.push(performance.now() - moved));
  return out;
};
// Release: the card's figure callback repaints a canvas card at once, or hands Plotly a new
// figure (then its redraw ends with plotly_afterplot).
cb.figure = function (...args) {
  const out = figure.apply(this, args);
  requestAnimationFrame(() => { window.__lastPlot = performance.now(); });
  return out;
};
document.querySelectorAll('.curve-card .js-plotly-plot').forEach((g) => g.on('plotly_afterplot',
  () => { window.__lastPlot = performance.now(); }));
const r = document.querySelector('#curves-smoothing [role="slider"]').getBoundingClientRect();
return [r.left + r.width / 2, r.top + r.height / 2];
"""


def _mouse(driver, kind: str, x: float, y: float) -> None:
    driver.execute_cdp_cmd("Input.dispatchMouseEvent", {
        "type": kind, "x": x, "y": y, "button": "left", "buttons": 1 if kind != "mouseReleased"
        else 0, "clickCount": 1})


def time_smoothing(driver, moves: int = 12) -> tuple[list[float], float | None]:
    """Drag the smoothing slider with real mouse events: ms from each pointer move until the
    cards in view show the new smoothing (next frame after the preview drew), and ms from
    release until every card shows the new weight (a canvas card repainted, or Plotly's
    redraw of a card with few runs done)."""
    x, y = driver.execute_script(PREVIEW_SETUP_JS)
    _mouse(driver, "mousePressed", x, y)
    for k in range(1, moves + 1):
        _mouse(driver, "mouseMoved", x - 4 * k, y)
        time.sleep(0.15)
    _mouse(driver, "mouseReleased", x - 4 * moves, y)
    last, quiet_since, end = None, time.time(), time.time() + 30
    while time.time() < end and time.time() - quiet_since < 1.5:  # until 1.5 s without redraws
        now = driver.execute_script("return window.__lastPlot")
        if now != last:
            last, quiet_since = now, time.time()
        time.sleep(0.05)
    lat, settle = driver.execute_script(
        "return [window.__lat, window.__lastPlot ? window.__lastPlot - window.__up : null]")
    return lat, settle


# ---------------------------------------------------------------- the benchmark
def bench(key: str, repeat: int, driver) -> dict:
    runs, tags, steps = DATASETS[key]
    logdir = ensure_logdir(key)
    print(f"\n({key}) {runs} runs x {tags} tags x {steps:,} steps = {runs * tags * steps:,} "
          "points", flush=True)
    tb, tb_url = start_tensorboard(logdir, runs)
    ins, ins_url = start_inspector(logdir, runs)
    try:
        contenders = {"TensorBoard": (tb_url, "line-chart"),
                      "Inspector": (ins_url, ".curve-card .js-plotly-plot")}
        for url, selector in contenders.values():  # warm-up: caches, JIT, first reads
            time_first_chart(driver, url, selector)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(repeat):
            for name, (url, selector) in contenders.items():
                times[name].append(time_first_chart(driver, url, selector))
        result = {"dataset": key, "runs": runs, "tags": tags, "steps": steps}
        for name, values in times.items():
            med, lo, hi = median_range(values)
            result[name] = values
            print(f"  {name:12s} first chart: median {med:.2f} s (range {lo:.2f}-{hi:.2f}, "
                  f"n={len(values)})", flush=True)
        ratio = median_range(times["Inspector"])[0] / median_range(times["TensorBoard"])[0]
        result["ratio"] = ratio
        print(f"  Inspector / TensorBoard: {ratio:.2f}x", flush=True)
        time_first_chart(driver, ins_url, contenders["Inspector"][1])
        time.sleep(2)  # let every card finish its first draw
        lat, settle = time_smoothing(driver)
        if lat:
            med, lo, hi = median_range(lat)
            print(f"  Inspector smoothing drag -> cards in view redrawn: median {med:.0f} ms "
                  f"(range {lo:.0f}-{hi:.0f}, n={len(lat)})", flush=True)
        if settle is not None:
            print(f"  Inspector slider release -> every card redrawn: {settle:.0f} ms",
                  flush=True)
        result["smoothing_drag_ms"], result["release_redraw_ms"] = lat, settle
        return result
    finally:
        for proc in (tb, ins):
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=sorted(DATASETS))
    args = parser.parse_args()
    if not Path("/usr/bin/chromedriver").exists():
        sys.exit("needs Debian's chromium and chromium-driver: "
                 "apt-get install -y chromium chromium-driver")
    driver = chrome()
    try:
        for key in [args.only] if args.only else sorted(DATASETS):
            bench(key, args.repeat, driver)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
