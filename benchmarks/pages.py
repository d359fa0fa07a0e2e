"""Acceptance benchmark of issue 14 ("the house"): on a logdir shaped like the one
``make demo`` writes (63 runs; 236 image cards, 615 histogram cards), each page draws its
first card within 2 s of navigation and applies a run-filter edit within 300 ms, in
headless Chromium.

The logdir is written once by Inspector's SummaryWriter (nothing is trained) and cached
under benchmarks/_data/: 21 experiments of three runs (the experiment's own run with
hparams, 36 scalar tags and a confusion image; ``train`` with 10 batch/epoch scalars over
500 steps, 29-30 histograms, 9-10 image tags of 100-530 px wide textured PNGs, a text
tag; ``validation`` with 36 scalars and a confusion image), ten logged epochs each.

Measured per page, in the page itself (``performance.now()``):
- cold load: from navigation start (``about:blank`` -> the page's URL, HTTP cache kept) to
  the first card drawn: its loading state gone and its chart plotted with data / its image
  decoded / its text rendered;
- in-app navigation: from a click on the page's link in the top bar (coming from another
  page) to the first card of the new page drawn;
- run-filter edit: from the run filter taking a new value (what the input sends after its
  debounce) to the cards shown being exactly those of the matching runs, with the first of
  them drawn (curves: drawn with only the matching runs), narrowing to 6 runs and back to
  all 63.

    .venv/bin/python benchmarks/pages.py [--repeat 5] [--pages curves,images]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, REPO, median_range  # noqa: E402
from dashboard import CHROME_FLAGS  # noqa: E402
from dashboard import chrome as dashboard_chrome  # noqa: E402

EXPERIMENTS = ("logistic", "softmax", "neuron", "perceptron", "mlp", "deep_mlp", "regression",
               "playground", "cnn", "lenet5", "convnet", "resnet", "inception", "densenet",
               "vgg", "autoencoder", "rbm", "boundary", "transfer_pre", "transfer_fine", "gan")
EPOCHS, BATCH_STEPS = 10, 500
PAGES = {"curves": ("/", "curves", "Curves"), "distributions": ("/distributions", "dist",
                                                                  "Distributions"),
         "images": ("/images", "img", "Images"), "text": ("/text", "txt", "Text")}
NARROW = "^(cnn|mlp)/"  # 6 of the 63 runs

# ---------------------------------------------------------------- the logdir
def _texture(rng, width: int, height: int):
    """A kernel-grid-like RGB image: coloured cells, a gradient and sparse specks (PNGs of
    a few to a few tens of KB, like the hook's)."""
    import numpy as np

    cells = rng.random((height // 8 + 1, width // 8 + 1, 3))
    img = np.kron(cells, np.ones((8, 8, 1)))[:height, :width]
    img = img * 0.8 + np.linspace(0, 0.2, width)[None, :, None]
    img[rng.random((height, width)) < 0.04] = 1.0  # sparse specks, as in activation maps
    return (np.clip(img, 0, 1) * 255).astype("uint8")


def _write_experiment(job: tuple[str, int, int, int, int]) -> None:
    import numpy as np

    from inspector.summary import SummaryWriter

    root, index, n_hist, n_img, seed = job
    rng = np.random.default_rng(seed)
    name = EXPERIMENTS[index]
    base = Path(root) / name / "2026-01-01T00-00-00"
    wall0 = 1.7e9 + index * 1e4
    eval_tags = [f"eval/{m}_class{k}" for m in ("precision", "recall", "f1") for k in range(10)]
    eval_tags += ["eval/accuracy", "eval/loss", "eval/top5", "eval/auc", "epoch/loss",
                  "epoch/accuracy"]
    confusion = _texture(rng, 171, 171)
    with SummaryWriter(base) as w:
        w.hparams({"arch": name, "lr": 10.0 ** -int(rng.integers(2, 5)), "epochs": EPOCHS})
        for epoch in range(EPOCHS):
            for tag in eval_tags:
                w.scalar(tag, float(rng.random()), epoch, wall_time=wall0 + epoch * 30)
            w.image("eval/confusion", confusion, epoch, wall_time=wall0 + epoch * 30)
    with SummaryWriter(base / "validation") as w:
        for epoch in range(EPOCHS):
            for tag in eval_tags:
                w.scalar(tag, float(rng.random()), epoch, wall_time=wall0 + epoch * 30 + 1)
            w.image("eval/confusion", confusion, epoch, wall_time=wall0 + epoch * 30 + 1)
    widths = rng.integers(100, 530, n_img)
    images = [_texture(rng, int(wd), int(rng.integers(101, 134))) for wd in widths]
    with SummaryWriter(base / "train") as w:
        w.text("model/summary", "| layer | shape |\n|---|---|\n| dense | (None, 10) |", 0)
        loss = np.exp(-np.arange(BATCH_STEPS) / 150) + rng.normal(0, 0.02, BATCH_STEPS)
        for step in range(BATCH_STEPS):
            wall = wall0 + step * 30 * EPOCHS / BATCH_STEPS
            w.scalar("batch/loss", float(loss[step]), step, wall_time=wall)
            w.scalar("batch/accuracy", float(1 - loss[step] / 2), step, wall_time=wall)
            w.scalar("batch/learning_rate", 1e-3, step, wall_time=wall)
        for epoch in range(EPOCHS):
            step, wall = (epoch + 1) * BATCH_STEPS // EPOCHS - 1, wall0 + epoch * 30 + 29
            for tag in ("epoch/loss", "epoch/accuracy", "epoch/learning_rate", "epoch/time",
                        "epoch/grad_norm", "epoch/weight_norm", "epoch/val_gap"):
                w.scalar(tag, float(rng.random()), step, wall_time=wall)
            for h in range(n_hist):
                layer, part = divmod(h, 3)
                what = ("weights", "gradients", "activations")[part]
                w.histogram(f"{what}/layer_{layer:02d}", rng.normal(epoch / 10, 1 + h / 30, 2000),
                            step, wall_time=wall)
            for k, img in enumerate(images):
                w.image(f"kernels/layer_{k:02d}", img, step, wall_time=wall)


def ensure_logdir() -> Path:
    import multiprocessing

    logdir = DATA_DIR / "pages_demo_shape"
    if (logdir / "manifest.json").exists():
        return logdir
    partial = logdir.with_name(logdir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    # 236 image cards = 21 x (1 + 1) + 194 train ones; 615 histogram cards = 21 x 29 + 6.
    jobs = [(str(partial), i, 30 if i < 6 else 29, 10 if i < 5 else 9, i)
            for i in range(len(EXPERIMENTS))]
    print(f"writing a demo-shaped logdir into {logdir} (once) ...", flush=True)
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_write_experiment, jobs)
    (partial / "manifest.json").write_text(json.dumps({"experiments": len(jobs)}) + "\n")
    partial.rename(logdir)
    print(f"  written in {time.perf_counter() - start:.0f} s", flush=True)
    return logdir


# ---------------------------------------------------------------- server and browser
def start_inspector(logdir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "serve", "--logdir",
                             str(logdir), "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    end = time.time() + 300
    while time.time() < end:
        try:
            with urllib.request.urlopen(url + "/_dash-layout", timeout=30) as r:
                layout = json.dumps(json.loads(r.read()))  # JSON escapes "/" as \u002f
            if f"{EXPERIMENTS[-1]}/2026-01-01T00-00-00/validation" in layout:
                return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("inspector serve did not load the logdir in 300 s")


def chrome():
    """dashboard.py's headless Chromium, with the probe of drawn cards in every page."""
    driver = dashboard_chrome()
    driver.set_script_timeout(60)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE_JS})
    return driver


# In every page: what "a card drawn" means, and a per-frame probe for the first one.
PROBE_JS = """
window.__bench = {
  drawn(card) {
    if (!card.classList.contains('loaded')) return false;
    const plot = card.querySelector('.js-plotly-plot');
    if (plot) return !!(plot.data && plot.data.length && plot.querySelector('.main-svg'));
    const img = card.querySelector('img');
    if (img) return img.complete && img.naturalWidth > 0;
    return !!card.querySelector('.text-body');
  },
  firstDrawn(prefix) {
    for (const c of document.querySelectorAll('.tag-card')) {
      if (c.dataset.prefix === prefix && !c.hidden && window.__bench.drawn(c)) return c;
    }
    return null;
  },
  until(check, since, timeoutMs) {
    return new Promise((resolve) => {
      const loop = () => {
        if (check()) return resolve(performance.now() - since);
        if (performance.now() - since > timeoutMs) return resolve(null);
        requestAnimationFrame(loop);
      };
      loop();
    });
  },
};
"""

COLD_JS = """
const [prefix, done] = [arguments[0], arguments[arguments.length - 1]];
window.__bench.until(() => window.__bench.firstDrawn(prefix), 0, 60000).then(done);
"""

NAV_JS = """
const [label, prefix, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const link = [...document.querySelectorAll('.nav-link')].find((a) => a.textContent === label);
const t0 = performance.now();
link.click();
window.__bench.until(() => window.__bench.firstDrawn(prefix), t0, 60000).then(done);
"""

FILTER_JS = """
const [value, prefix, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const re = value ? new RegExp(value, 'i') : null;
const runsOf = window.inspectorCards.runsOf;
const cards = [...document.querySelectorAll('.tag-card')]
  .filter((c) => c.dataset.prefix === prefix);
const want = new Set(cards.filter((c) => !re || runsOf(c).some((r) => re.test(r))));
// Curves cards draw the selected runs: the first one shown must be drawn again after the
// edit (its loading state ended anew), not merely shown.
const redrawn = new Set();
const watch = new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.classList.contains('tag-card') && r.target.classList.contains('loaded')) {
      redrawn.add(r.target);
    }
  }
});
watch.observe(document.body, { attributes: true, attributeFilter: ['class'], subtree: true });
function applied() {
  const shown = cards.filter((c) => !c.hidden);
  if (shown.length !== want.size || shown.some((c) => !want.has(c))) return false;
  const first = shown.find((c) => c.getBoundingClientRect().bottom > 0);
  if (!first || !window.__bench.drawn(first)) return false;
  return prefix !== 'curves' || redrawn.has(first);
}
const t0 = performance.now();
window.dash_clientside.set_props('run-filter', { value: value });
window.__bench.until(applied, t0, 30000).then((ms) => { watch.disconnect(); done(ms); });
"""


def measure_page(driver, url: str, page: str, repeat: int) -> dict:
    path, prefix, label = PAGES[page]
    other = "Text" if page != "text" else "Images"
    out = {"cold_s": [], "nav_s": [], "narrow_ms": [], "widen_ms": []}
    for _ in range(repeat):
        driver.get("about:blank")
        driver.get(url + path)
        first = driver.execute_async_script(COLD_JS, prefix)
        if first is None:
            raise RuntimeError(f"{page}: no card drawn within 60 s")
        out["cold_s"].append(first / 1000)
        time.sleep(1.0)  # let the first screen settle
        for value, key in ((NARROW, "narrow_ms"), ("", "widen_ms")):
            took = driver.execute_async_script(FILTER_JS, value, prefix)
            if took is None:
                raise RuntimeError(f"{page}: filter edit {value!r} not applied within 30 s")
            out[key].append(took)
            time.sleep(0.7)
        driver.get("about:blank")  # in-app navigation: load another page, click the link
        driver.get(url + PAGES[other.lower()][0])
        driver.execute_async_script(COLD_JS, PAGES[other.lower()][1])
        time.sleep(0.5)
        took = driver.execute_async_script(NAV_JS, label, prefix)
        if took is None:
            raise RuntimeError(f"{page}: no card drawn within 60 s of clicking its link")
        out["nav_s"].append(took / 1000)
    return out


def report(page: str, figures: dict) -> None:
    def line(name: str, values: list[float], unit: str, limit: float) -> str:
        med, lo, hi = median_range(values)
        ok = "ok" if hi <= limit else ("median ok" if med <= limit else "OVER")
        return (f"  {page:13s} {name:24s} median {med:7.{0 if unit == 'ms' else 2}f} {unit}"
                f"  (range {lo:.{0 if unit == 'ms' else 2}f}-{hi:.{0 if unit == 'ms' else 2}f},"
                f" n={len(values)}; limit {limit:g} {unit}: {ok})")
    print(line("first card, cold load", figures["cold_s"], "s", 2.0))
    print(line("first card, in-app nav", figures["nav_s"], "s", 2.0))
    print(line("run filter -> 6 runs", figures["narrow_ms"], "ms", 300))
    print(line("run filter -> all 63", figures["widen_ms"], "ms", 300), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args()
    logdir = ensure_logdir()
    server, url = start_inspector(logdir)
    driver = chrome()
    try:
        print(f"logdir {logdir}: 63 runs; Chromium {CHROME_FLAGS[-1].split('=')[1]}",
              flush=True)
        for page in args.pages.split(","):
            measure_page(driver, url, page, 1)  # warm-up: HTTP cache, server imports
            report(page, measure_page(driver, url, page, args.repeat))
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
