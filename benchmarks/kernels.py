"""Acceptance benchmark of the kernels issue: time to draw every filter of a 3x3x64x128 conv
layer (8,192 small kernels) and to move the step slider one step, in headless Chromium.

Inspector: ``inspector serve`` on a logdir holding that layer's raw kernels at STEPS steps as
the hook writes them (``inspector.kinds.kernels``, float16); the Kernels page paints them on
a canvas from int8 frames cached in the browser (``dashboards/assets/kernels.js``).
Anchor: what Dash alone offers, a Plotly heatmap of the same 8,192 kernels laid out as one
mosaic (NaN gaps between kernels), in a static page loading the same plotly.min.js; its next
step is ``Plotly.react`` with the next frame's values already in page memory (so the anchor
pays no network at all). TensorBoard itself cannot show this layer: the stock Keras callback
draws conv kernels only with 1, 3 or 4 output channels.

- grid: from navigation start to the grid drawn (Inspector: the canvas painted, page boot,
  layer payload and first frame included; anchor: Plotly's first ``afterplot``, plotly.js
  load included), then the next animation frame. Also, for Inspector, from choosing the
  layer on an already loaded page (from a small layer) to the grid painted.
- slider step: from an ArrowRight key on the slider handle (Inspector) / the ``Plotly.react``
  call (anchor) to the next animation frame after the new step is drawn.

Runs alternate A B A B; medians and ranges are printed.

    .venv/bin/python benchmarks/kernels.py [--repeat 5] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, REPO, median_range  # noqa: E402

SHAPE = (3, 3, 64, 128)
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


def write_logdir(root: Path, steps: int) -> list[np.ndarray]:
    """The layer's kernels at ``steps`` steps (a drifting random walk), as the hook writes."""
    from inspector.kinds import kernels
    from inspector.summary import SummaryWriter

    rng = np.random.default_rng(0)
    k = rng.normal(0, 0.1, SHAPE).astype(np.float32)
    frames = []
    shutil.rmtree(root, ignore_errors=True)
    with SummaryWriter(root / "big" / "train") as writer:
        for step in range(steps):
            kernels.write(writer, "conv", k, step)
            kernels.write(writer, "small", k[:, :, :1, :8], step)  # the layer switched from
            frames.append(k.astype(np.float16).astype(np.float32))
            k = k + rng.normal(0, 0.01, SHAPE).astype(np.float32)
    return frames


def mosaic(k: np.ndarray) -> list:
    """[kh, kw, in, out] as one 2-D array: 16 x 8 filters, each 8 x 8 kernels, NaN gaps."""
    kh, kw, cin, out = k.shape
    cell_h, cell_w = kh + 1, kw + 1
    tile_h, tile_w = 8 * cell_h + 1, 8 * cell_w + 1
    m = np.full((8 * tile_h, 16 * tile_w), np.nan, np.float32)
    for f in range(out):
        ty, tx = divmod(f, 16)
        for c in range(cin):
            sy, sx = divmod(c, 8)
            y, x = ty * tile_h + sy * cell_h, tx * tile_w + sx * cell_w
            m[y:y + kh, x:x + kw] = k[:, :, c, f]
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in m]


def anchor_page(frames: list[np.ndarray], path: Path) -> Path:
    plotly = Path(__import__("plotly").__file__).parent / "package_data" / "plotly.min.js"
    z = [mosaic(frames[0]), mosaic(frames[1])]
    scale = float(max(np.abs(frames[0]).max(), np.abs(frames[1]).max()))
    path.write_text(f"""<!doctype html><html><body style="margin:0">
<div id="g" style="width:1200px;height:700px"></div>
<script src="file://{plotly}"></script>
<script>
window.frames_z = {json.dumps(z)};
const layout = {{margin: {{l: 10, r: 60, t: 10, b: 10}}, xaxis: {{visible: false}},
                yaxis: {{visible: false, autorange: 'reversed', scaleanchor: 'x'}}}};
const trace = (i) => [{{type: 'heatmap', z: window.frames_z[i], zmin: -{scale}, zmax: {scale},
                        colorscale: 'RdBu', reversescale: true, hoverongaps: false}}];
Plotly.newPlot('g', trace(0), layout).then(() => requestAnimationFrame(() => {{
  window.firstDrawn = performance.now(); }}));
window.step = (i) => new Promise((resolve) => {{
  const t0 = performance.now();
  Plotly.react('g', trace(i % 2), layout).then(() => requestAnimationFrame(
    () => resolve(performance.now() - t0)));
}});
</script></body></html>""")
    return path


def start_server(logdir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "serve", "--logdir", str(logdir),
                             "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            layout = urllib.request.urlopen(url + "/_dash-layout").read().decode()
            if "big" in layout and "train" in layout:
                return proc, url
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"inspector serve did not start: {proc.stderr.read()}")


def chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='kern-bench-')}")
    options.add_argument("--allow-file-access-from-files")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(60)
    return driver


def wait(driver, script: str, timeout: float = 60.0):
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"timed out: {script}")


INSPECTOR_DRAWN = """const c = document.getElementById('kern-canvas');
const d = window.inspectorKernels && window.inspectorKernels.lastDraw;
return c && c.dataset.tiles === '128' && d && d.painted ? d : null;"""
ALL_CACHED = """const api = window.inspectorKernels;
const c = Object.values(api.cache)[0];
return c && c.frames.every((f) => f) ? true : null;"""
INSPECTOR_STEP = """const done = arguments[arguments.length - 1];
const canvas = document.getElementById('kern-canvas'), before = canvas.dataset.drawn;
const handle = document.querySelector('#kern-slider [role="slider"]');
const t0 = performance.now();
const obs = new MutationObserver(() => {
  if (canvas.dataset.drawn === before) return;
  obs.disconnect();
  requestAnimationFrame(() => done(performance.now() - t0));
});
obs.observe(canvas, {attributes: true});
handle.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', code: 'ArrowRight',
                                                    keyCode: 39, bubbles: true}));"""


SWITCH = """const done = arguments[arguments.length - 1];
const canvas = document.getElementById('kern-canvas');
const t0 = performance.now();
const obs = new MutationObserver(() => {
  if (canvas.dataset.tiles !== '128') return;
  obs.disconnect();
  requestAnimationFrame(() => done(performance.now() - t0));
});
obs.observe(canvas, {attributes: true});
window.dash_clientside.set_props('kern-layer', {value: 'conv'});"""


def time_inspector(driver, url: str, steps: int) -> tuple[float, float, float, list[float]]:
    """(navigation -> grid painted, the paint alone, layer switch -> painted, slider steps)."""
    driver.get("about:blank")
    driver.get(url + "/kernels?run=big/train&layer=conv&step=0")
    drawn = wait(driver, INSPECTOR_DRAWN)
    first = drawn["painted"]  # performance.now() counts from navigation start
    wait(driver, ALL_CACHED)
    moves = [driver.execute_async_script(INSPECTOR_STEP) for _ in range(min(10, steps - 1))]
    driver.get(url + "/kernels?run=big/train&layer=small&step=0")
    wait(driver, "const c = document.getElementById('kern-canvas');"
         "return c && c.dataset.tiles === '8';")
    switch = driver.execute_async_script(SWITCH)
    return first, drawn["ms"], switch, moves


def time_anchor(driver, page: Path) -> tuple[float, list[float]]:
    driver.get("about:blank")
    driver.get(page.as_uri())
    first = wait(driver, "return window.firstDrawn || null;")
    moves = [driver.execute_async_script(
        f"window.step({i + 1}).then(arguments[arguments.length - 1]);") for i in range(10)]
    return first, moves


def show(name: str, values: list[float]) -> float:
    med, lo, hi = median_range(values)
    print(f"  {name:<46} median {med:8.1f} ms  (range {lo:.1f} – {hi:.1f}, n={len(values)})")
    return med


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    root = DATA_DIR / "kernels"
    frames = write_logdir(root / "logs", args.steps)
    page = anchor_page(frames, root / "anchor.html")
    proc, url = start_server(root / "logs")
    driver = chrome()
    results = {"i_first": [], "i_paint": [], "i_switch": [], "i_step": [], "a_first": [],
               "a_step": []}
    try:
        time_inspector(driver, url, args.steps)  # warm both (server caches, Chromium's JIT)
        time_anchor(driver, page)
        for _ in range(args.repeat):
            first, paint, switch, moves = time_inspector(driver, url, args.steps)
            results["i_first"].append(first)
            results["i_paint"].append(paint)
            results["i_switch"].append(switch)
            results["i_step"] += moves
            first, moves = time_anchor(driver, page)
            results["a_first"].append(first)
            results["a_step"] += moves
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=30)
    print(f"3x3x64x128 conv layer (8,192 kernels), {args.steps} logged steps, "
          f"{args.repeat} alternating rounds")
    print("grid drawn (navigation start -> painted):")
    a = show("anchor: Plotly heatmap mosaic (Dash alone)", results["a_first"])
    i = show("Inspector: Kernels page canvas", results["i_first"])
    show("  of which the canvas paint itself", results["i_paint"])
    show("Inspector: layer chosen -> painted (app loaded)", results["i_switch"])
    print(f"  ratio anchor / Inspector: {a / i:.2f}x   target: Inspector < 1000 ms "
          f"({'met' if i < 1000 else 'MISSED'})")
    print("slider one step (input -> next frame painted):")
    a = show("anchor: Plotly.react of the next frame", results["a_step"])
    i = show("Inspector: ArrowRight on the step slider", results["i_step"])
    print(f"  ratio anchor / Inspector: {a / i:.2f}x   target: Inspector < 150 ms "
          f"({'met' if i < 150 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
