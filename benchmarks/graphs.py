"""The op graph of a Keras InceptionV3 (weights=None) training step (about 17,600 nodes,
3.4 MB GraphDef), opened in Inspector's graphs page and in TensorBoard's graph dashboard, in
the same headless Chromium, side by side.

    python benchmarks/graphs.py [--repeats 3] [--screenshots DIR]

Per repetition both servers are started fresh on the same logdir (their reading of the
logdir is not timed, their server-side caches are cold), then each page is loaded in turn
(the order alternates). Measured in the page (``performance.now()``, from navigation start):
- first drawn graph: Inspector: the first frame after the first layout with nodes
  (``window.__graphLayouts``); TensorBoard: the first time its scene holds a drawn node
  (``g.node`` in the graph's shadow DOM, polled every 50 ms: up to 50 ms late);
- Inspector's single expands, each from the opening view (a tap on a group, series or
  scope; a second tap closes it again, untimed): from the tap to the first frame after the
  new layout;
- responsiveness: the longest main-thread task (Long Tasks API) while loading and expanding.
Targets: first overview < 2 s, any single expand < 300 ms, faster than TensorBoard.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, REPO  # noqa: E402

LOGDIR = DATA_DIR / "graphs_inception"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
EXPANDS = ("g:gradient_tape", "s:inception_v3/conv2d", "g:inception_v3/mixed5", "g:adam")

# Installed before any page script: records long tasks, and for TensorBoard polls its shadow
# DOM for the first drawn graph node.
PROBE = """
window.__longest = 0;
try {
  new PerformanceObserver((list) => { for (const e of list.getEntries())
    window.__longest = Math.max(window.__longest, e.duration); })
    .observe({type: 'longtask', buffered: true});
} catch (e) {}
function __deepCount(root, sel) {
  let n = root.querySelectorAll(sel).length;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) n += __deepCount(el.shadowRoot, sel);
  }
  return n;
}
window.__tbDrawn = 0;
if (location.hash.indexOf('graphs') >= 0) {
  const poll = setInterval(() => {
    if (document.body && __deepCount(document, 'g.node') > 0) {
      window.__tbDrawn = performance.now(); clearInterval(poll);
    }
  }, 50);
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, needle: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if needle in urllib.request.urlopen(url, timeout=30).read().decode():
                return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.args}")
        time.sleep(0.3)
    raise RuntimeError(f"{url} never answered with {needle!r}")


def start_inspector() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "serve", "--logdir", str(LOGDIR),
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/_dash-layout", "train", proc)
    return proc, url


def start_tensorboard() -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = Path(sys.executable).with_name("tensorboard")
    proc = subprocess.Popen([str(exe), "--logdir", str(LOGDIR), "--port", str(port),
                             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/data/plugin/graphs/info", "train", proc)
    return proc, url


def make_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1500,1000", "--disable-background-networking"):
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    drv.set_script_timeout(300)
    return drv


def poll(drv, script: str, timeout: float, *args):
    end = time.time() + timeout
    while time.time() < end:
        value = drv.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"timed out: {script}")


SETTLED = """const l = window.__graphLayouts;
return l && l.nodes > 0 && l.count > arguments[0] && performance.now() - l.last > 400 ? l : null;"""
TAP = """const el = document.getElementById('graph-cy'); const cy = el._cyreg.cy;
const t0 = performance.now(); cy.getElementById(arguments[0]).emit('tap'); return t0;"""


def time_inspector(drv, url: str, shot: Path | None) -> dict:
    drv.get(url + "/graphs?run=train")
    first = poll(drv, SETTLED, 120, 0)
    out = {"first": first["last"] / 1000, "nodes": first["nodes"], "expands": {}}
    if shot:
        drv.save_screenshot(str(shot))
    for item in EXPANDS:
        count = drv.execute_script("return window.__graphLayouts.count;")
        t0 = drv.execute_script(TAP, item)
        done = poll(drv, SETTLED, 60, count)
        out["expands"][item] = (done["last"] - t0) / 1000
        out.setdefault("shown", []).append(done["nodes"])
        if shot and item == EXPANDS[-1]:
            drv.save_screenshot(str(shot).replace(".png", "-expanded.png"))
        drv.execute_script(TAP, item)  # close it again: the next expand starts from the opening
        poll(drv, SETTLED, 60, done["count"])
    out["longest_task"] = drv.execute_script("return window.__longest;") / 1000
    return out


def time_tensorboard(drv, url: str, shot: Path | None) -> dict:
    drv.get(url + "/#graphs&run=train")
    drawn = poll(drv, "return window.__tbDrawn;", 300)
    time.sleep(1.0)
    out = {"first": drawn / 1000,
           "longest_task": drv.execute_script("return window.__longest;") / 1000}
    if shot:
        drv.save_screenshot(str(shot))
    return out


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):.3f} s (range {min(values):.3f}-"
            f"{max(values):.3f}, n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, help="save each page's last view here")
    args = parser.parse_args()
    if not (LOGDIR / "train").exists():
        print(f"writing {LOGDIR} (traces InceptionV3; about a minute)", flush=True)
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "_graph_logdir.py"),
                        str(LOGDIR)], check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    drv = make_driver()
    results: dict[str, list[dict]] = {"inspector": [], "tensorboard": []}
    try:
        for rep in range(args.repeats):
            order = ["inspector", "tensorboard"] if rep % 2 == 0 else ["tensorboard", "inspector"]
            for who in order:
                proc, url = (start_inspector if who == "inspector" else start_tensorboard)()
                try:
                    shot = args.screenshots / f"{who}-inception.png" if args.screenshots else None
                    timer = time_inspector if who == "inspector" else time_tensorboard
                    results[who].append(timer(drv, url, shot))
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                print(f"rep {rep + 1} {who}: {results[who][-1]}", flush=True)
    finally:
        drv.quit()
    ins, tb = results["inspector"], results["tensorboard"]
    print("\nInceptionV3 training step op graph, first drawn graph (from navigation start):")
    print(f"  TensorBoard graph dashboard: {summary([r['first'] for r in tb])}")
    print(f"  Inspector graphs page:       {summary([r['first'] for r in ins])}"
          f" ({ins[0]['nodes']} items drawn)")
    ratio = statistics.median(r["first"] for r in tb) / statistics.median(r["first"] for r in ins)
    print(f"  ratio TensorBoard / Inspector: {ratio:.1f}x  (target: Inspector < 2 s and faster)")
    print("Inspector single expands (tap to first frame after layout), target < 300 ms:")
    for k, item in enumerate(EXPANDS):
        print(f"  {item:28s} {summary([r['expands'][item] for r in ins])}, "
              f"{ins[0]['shown'][k]} items drawn after")
    print("Longest main-thread task while loading (and expanding, Inspector):")
    print(f"  TensorBoard: {summary([r['longest_task'] for r in tb])}")
    print(f"  Inspector:   {summary([r['longest_task'] for r in ins])}")


if __name__ == "__main__":
    main()
