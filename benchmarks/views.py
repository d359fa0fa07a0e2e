"""Acceptance benchmark of the judging views (issue 19): each of Evaluation, HParams,
Projector and Compare must open in under 2 s on a 200-run logdir whose runs all have
hparams and evaluation.

The logdir (cached under benchmarks/_data/, gitignored) is written with Inspector's own
SummaryWriter and the functions the hook calls: 200 trials, each ``trial_NNN`` (hparams:
lr, optimizer, width, dropout, seed) with ``/validation`` (5 evaluations of 10 classes:
confusion matrix, accuracy and baselines, per-class precision/recall/F1, PR curves of 51
thresholds, probe predictions, epoch curves) and ``/train`` (loss curve, 32 probe pictures,
256 x 32 embeddings with labels per evaluation): 600 runs.

The server (``inspector serve``) has read the whole logdir before timing starts. One
headless Chromium session visits the views in turn, interleaved (E H P C E H P C ...), each
from about:blank with the HTTP cache cleared; "open" is from navigation to the view's main
content drawn: the confusion heatmap with its cells and the per-class table rows
(Evaluation), the grid's rows and the parallel coordinates (HParams), the projected points
(Projector), every picked run's confusion matrix (Compare). Prints per view the median and
range over the repeats against the 2 s target.

    .venv/bin/python benchmarks/views.py [--repeat 5] [--trials 200]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, REPO, median_range  # noqa: E402
from dashboard import _get, chrome, free_port, wait_until  # noqa: E402

TARGET_S = 2.0
CLASSES = 10
STEPS = 5

READY = {
    # Reference: Inspector's Curves page on the same logdir and machine (its own benchmark is
    # benchmarks/dashboard.py), to read the views' figures against under the same load.
    "Curves (ref)": ("/", """
        return document.querySelectorAll('.curve-card .js-plotly-plot').length > 0;"""),
    "Evaluation": ("/evaluation", """
        const gd = document.querySelector('#eval-confusion .js-plotly-plot');
        const cells = gd && gd.querySelectorAll('.heatmaplayer image, .heatmaplayer .hm').length;
        const rows = document.querySelectorAll('#eval-table .ag-center-cols-container .ag-row');
        return !!(cells && rows.length >= 10);"""),
    "HParams": ("/hparams", """
        const rows = document.querySelectorAll('#hp-grid .ag-center-cols-container .ag-row');
        const pc = document.querySelector('#hp-parallel .js-plotly-plot');
        return !!(rows.length >= 5 && pc && pc.querySelectorAll('g.y-axis').length >= 2);"""),
    "Projector": ("/projector", """
        const gd = document.querySelector('#proj-graph .js-plotly-plot');
        return !!(gd && gd._fullData && gd._fullData.length >= 10
                  && gd.querySelector('canvas, .scatterlayer .point'));"""),
    "Compare": ("/compare", """
        const g = [...document.querySelectorAll('.compare-confusion .js-plotly-plot')];
        return g.length >= 2 && g.every((x) => x.querySelector('.heatmaplayer image'));"""),
}


# ---------------------------------------------------------------- the logdir
def _write_trial(job: tuple[str, int]) -> None:
    import numpy as np

    from inspector.evaluation import log_evaluation
    from inspector.events import plugins as P
    from inspector.kinds import embeddings, predictions
    from inspector.summary import SummaryWriter

    root, i = job
    rng = np.random.default_rng(i)
    hp = {"lr": float(10 ** rng.uniform(-4, -1)), "optimizer": ["sgd", "adam"][i % 2],
          "width": int(2 ** rng.integers(4, 9)), "dropout": float(rng.choice([0, 0.2, 0.5])),
          "seed": i}
    run = Path(root) / f"trial_{i:03d}"
    names = [f"class_{c}" for c in range(CLASSES)]
    skill = 1 + 3 * (np.log10(hp["lr"]) + 4) / 3 + (hp["optimizer"] == "adam")
    with SummaryWriter(run) as w:
        w.hparams(hp)
    with SummaryWriter(run / "validation") as val, SummaryWriter(run / "train") as train:
        pictures = rng.integers(0, 255, (32, 28, 28, 1), dtype=np.uint8)
        train.image(P.TAG_PROBE_INPUTS, pictures, 0, max_outputs=32)
        for step in range(1, STEPS + 1):
            y = rng.integers(0, CLASSES, 500)
            logits = rng.normal(0, 1, (500, CLASSES))
            logits[np.arange(500), y] += skill * step / STEPS
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            log_evaluation(val, y, p, step, class_names=names, num_thresholds=51)
            val.scalar("epoch/loss", float(-np.log(p[np.arange(500), y]).mean()), step)
            val.scalar("epoch/accuracy", float((p.argmax(1) == y).mean()), step)
            train.scalar("epoch/loss", float(2.3 / step), step)
            predictions.write(val, y[:32], p[:32].argmax(1), p[:32].max(1), step, labels=names)
            vectors = rng.normal(0, 1, (256, 32)) + y[:256, None] * 0.5
            embeddings.write(train, "dense1", vectors, step, labels=y[:256], label_names=names)


def ensure_logdir(trials: int) -> Path:
    logdir = DATA_DIR / f"views_{trials}_trials"
    if (logdir / "manifest.json").exists():
        return logdir
    partial = logdir.with_name(logdir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    print(f"writing {trials} trials ({3 * trials} runs) into {logdir} (once) ...", flush=True)
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(min(2, os.cpu_count() or 1)) as pool:
        pool.map(_write_trial, [(str(partial), i) for i in range(trials)], chunksize=8)
    (partial / "manifest.json").write_text(json.dumps({"trials": trials}) + "\n")
    partial.rename(logdir)
    print(f"  written in {time.perf_counter() - start:.0f} s", flush=True)
    return logdir


# ---------------------------------------------------------------- timing
def start_inspector(logdir: Path, trials: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "serve", "--logdir",
                             str(logdir), "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    last = f"trial_{trials - 1:03d}"
    start = time.perf_counter()
    wait_until(lambda: last in _get(f"{url}/_dash-layout"), 900, "Inspector to load")
    print(f"inspector serve read the logdir in {time.perf_counter() - start:.1f} s", flush=True)
    return proc, url


def time_view(driver, url: str, ready_js: str, timeout: float = 60.0) -> float:
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    start = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - start < timeout:
        try:
            if driver.execute_script(ready_js):
                return time.perf_counter() - start
        except Exception:  # noqa: BLE001 - the page is still being replaced
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} not drawn within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    logdir = ensure_logdir(args.trials)
    proc, url = start_inspector(logdir, args.trials)
    driver = chrome()
    try:
        for path, ready in READY.values():  # warm-up: first import of each page
            time_view(driver, url + path, ready)
        times: dict[str, list[float]] = {name: [] for name in READY}
        for _ in range(args.repeat):
            for name, (path, ready) in READY.items():
                times[name].append(time_view(driver, url + path, ready))
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=30)
    print(f"\n{args.trials} trials ({3 * args.trials} runs), {args.repeat} repeats, "
          "interleaved; open = navigation to main content drawn")
    print(f"{'view':<12}{'target s':>10}{'Inspector s (median, range)':>32}{'ratio':>8}")
    for name, values in times.items():
        med, lo, hi = median_range(values)
        print(f"{name:<12}{TARGET_S:>10.2f}{med:>14.2f} ({lo:.2f}-{hi:.2f}){'':>6}"
              f"{med / TARGET_S:>8.2f}")


if __name__ == "__main__":
    main()
