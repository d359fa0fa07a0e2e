"""Acceptance benchmark of the core issue: load 500,000 scalar events cold, keeping every point.

Writes once (cached under benchmarks/_data/, gitignored) a logdir of 10 runs x 10 tags x
5,000 steps of scalars with TensorBoard's own EventFileWriter and summary_v2.scalar_pb, the
form TF2's tf.summary.scalar writes, then loads it, each load in a fresh process, with:

1. TensorBoard's Python multiplexer (plugin_event_multiplexer, default size guidance, i.e.
   reservoir-sampled), AddRunsFromDirectory + Reload; TensorFlow is installed, so it reads
   through TensorFlow's record reader, as `tensorboard` does on a machine with TF;
2. RustBoard (the tensorboard_data_server binary), one load cycle, timed from process start to
   its "Finished load cycle" log line: with its defaults (1,000 sampled points per scalar
   series, CRCs checked only when a record fails to parse) and like-for-like with Inspector
   (--samples-per-plugin scalars=all --checksum);
3. Inspector's Store().reload().

Contenders alternate (A B C A B C ...). The OS page cache cannot be dropped here (no
privileges), so every load, of every contender, reads page-cache-warm files. Also measured:
Inspector's import, a warm reopen (a new Store in the same process), and a 10x larger logdir
(10 runs x 10 tags x 50,000 steps; TensorBoard's multiplexer loads it once, it takes minutes).

    .venv/bin/python benchmarks/ingest.py [--repeat 5] [--skip-large] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, median_range, run_python, run_until_line  # noqa: E402
from _tb_writer import write_scalar_run  # noqa: E402

RUNS, TAGS, STEPS, LARGE_STEPS = 10, 10, 5_000, 50_000
TENSORBOARD = "TensorBoard multiplexer (Python, default sampling)"
RUST = "RustBoard, defaults"
RUST_ALL = "RustBoard, scalars=all --checksum"
INSPECTOR = "Inspector Store().reload()"


# ---------------------------------------------------------------- the logdir
def _write_run(job: tuple[str, int, int, int]) -> None:
    """One run of the ingest logdir: random walks, one event per tag and step."""
    import numpy as np

    run_dir, tags, steps, seed = job
    rng = np.random.default_rng(seed)
    walks = np.cumsum(rng.normal(scale=0.01, size=(tags, steps)), axis=1).astype(np.float32)
    write_scalar_run(run_dir, walks, 1.7e9 + seed * 1e5)


def ensure_logdir(root: Path, steps: int) -> tuple[Path, dict]:
    """The cached logdir of RUNS x TAGS x ``steps`` scalars and its manifest; made if absent."""
    import multiprocessing

    logdir = root / f"scalars_{RUNS}x{TAGS}x{steps}"
    manifest_path = logdir / "manifest.json"
    if manifest_path.exists():
        return logdir, json.loads(manifest_path.read_text())
    partial = logdir.with_name(logdir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"writing {RUNS * TAGS * steps:,} events into {logdir} (once) ...", flush=True)
    start = time.perf_counter()
    jobs = [(str(partial / f"run_{i:02d}"), TAGS, steps, i) for i in range(RUNS)]
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 2) as pool:
        pool.map(_write_run, jobs, chunksize=1)
    write_s = time.perf_counter() - start
    _, counted = run_python([__file__, "--child", "count", str(partial)])
    files = [p for p in partial.rglob("*") if "tfevents" in p.name]
    manifest = {
        "runs": RUNS, "tags": TAGS, "steps": steps, "events": RUNS * TAGS * steps,
        "event_files": len(files), "bytes": sum(p.stat().st_size for p in files),
        "tensorboard_unsampled_points": counted["points"],
        "writer": "tensorboard EventFileWriter + plugins.scalar.summary_v2.scalar_pb",
        "write_seconds": round(write_s, 1),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    partial.rename(logdir)
    print(f"  written in {write_s:.0f} s: {manifest['bytes']:,} bytes", flush=True)
    return logdir, manifest


# ---------------------------------------------------------------- what runs in each child
def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(mode: str, logdir: str) -> None:
    """One cold load in this fresh process; prints one JSON line of figures."""
    import resource

    bare = _rss_now()
    t0 = time.perf_counter()
    if mode in ("tensorboard", "count"):
        from tensorboard.backend.event_processing import plugin_event_accumulator as pea
        from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
        from tensorboard.compat import tf

        # TensorBoard imports TensorFlow lazily, on its first read: do it here, not in the load.
        out_tf = tf.__version__
    else:
        from inspector.store import Store
    t1 = time.perf_counter()
    out = {"import_s": t1 - t0, "rss_bare": bare, "rss_imported": _rss_now()}
    if mode in ("tensorboard", "count"):
        out["tensorflow"] = out_tf
    if mode == "import":
        print(json.dumps(out))
        return
    if mode == "tensorboard":
        multiplexer = pem.EventMultiplexer()
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        out["load_s"] = time.perf_counter() - t1
        out["points"] = sum(len(multiplexer.Tensors(run, tag)) for run, tags in
                            multiplexer.PluginRunToTagToContent("scalars").items() for tag in tags)
    elif mode == "count":  # what TensorBoard's loader holds when told to keep everything
        keep_all = {k: 0 for k in pea.DEFAULT_SIZE_GUIDANCE}
        multiplexer = pem.EventMultiplexer(size_guidance=keep_all, tensor_size_guidance={})
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        out["points"] = sum(len(multiplexer.Tensors(run, tag)) for run, tags in
                            multiplexer.PluginRunToTagToContent("scalars").items() for tag in tags)
    else:
        store = Store(logdir)
        store.reload()
        out["load_s"] = time.perf_counter() - t1
        out["points"] = store.point_count()
        series = [store.scalars(run, tag) for run in store.runs()
                  for tag in store.kinds(run).get("scalars", [])]
        out["series"] = len(series)
        out["every_step"] = all(len(s.steps) == 0 or (s.steps[0] == 0 and
                                (s.steps[1:] - s.steps[:-1] == 1).all()) for s in series)
        out["damage"] = len(store.damage())
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if mode == "inspector":
        del store, series
        t2 = time.perf_counter()
        warm = Store(logdir)
        warm.reload()
        out["warm_s"] = time.perf_counter() - t2
        out["warm_points"] = warm.point_count()
    print(json.dumps(out))


# ---------------------------------------------------------------- contenders, from the parent
def rustboard_binary() -> str:
    import tensorboard_data_server

    return tensorboard_data_server.server_binary()


def _seconds(text: str) -> float:
    """RustBoard's Debug-printed Duration, e.g. "2.545676ms" or "1.2s"."""
    m = re.fullmatch(r"([\d.]+)(ns|µs|us|ms|s)", text.strip())
    scale = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    return float(m.group(1)) * scale[m.group(2)] if m else float("nan")


def load_rustboard(logdir: Path, *extra: str) -> dict:
    argv = [rustboard_binary(), "--logdir", str(logdir), "--reload", "once", "-v",
            "--port", "0", "--die-after-stdin", *extra]
    run, line = run_until_line(argv, "Finished load cycle")
    own = re.search(r"Finished load cycle \((.*)\)", line)
    return {"load_s": run.wall_s, "peak_rss": run.peak_rss,
            "own_cycle_s": _seconds(own.group(1)) if own else float("nan")}


def load_python(mode: str, logdir: Path) -> dict:
    _, figures = run_python([__file__, "--child", mode, str(logdir)])
    return figures


def bench(logdir: Path, manifest: dict, repeat: int, tensorboard_repeat: int) -> None:
    events = manifest["events"]
    with tempfile.TemporaryDirectory() as empty:  # RustBoard's own footprint, nothing loaded
        rust_bare = min(load_rustboard(Path(empty))["peak_rss"] for _ in range(3))
    contenders = {
        TENSORBOARD: lambda: load_python("tensorboard", logdir),
        RUST: lambda: load_rustboard(logdir),
        RUST_ALL: lambda: load_rustboard(logdir, "--samples-per-plugin", "scalars=all",
                                         "--checksum"),
        INSPECTOR: lambda: load_python("inspector", logdir),
    }
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    load_before = os.getloadavg()[0]
    for i in range(repeat):
        for name, load in contenders.items():
            if name == TENSORBOARD and i >= tensorboard_repeat:
                continue
            results[name].append(load())
            print(f"  [{i + 1}/{repeat}] {name}: {results[name][-1]['load_s']:.3f} s", flush=True)
    imports = [load_python("import", logdir) for _ in range(repeat)]
    load_after = os.getloadavg()[0]

    print()
    print(f"== {events:,} scalar events: {RUNS} runs x {TAGS} tags x {manifest['steps']:,} "
          f"steps, {manifest['bytes']:,} raw event bytes in {manifest['event_files']} files")
    print(f"   written by {manifest['writer']}; page cache warm for every load; 1-min load "
          f"average {load_before:.1f} before, {load_after:.1f} after (other work on the machine "
          "widens the ranges)")
    head = (f"   {'loader':<52} {'median s':>9} {'range s':>15} {'events/s':>11} "
            f"{'peak RSS':>9} {'growth':>8} {'points held':>12} {'n':>2}")
    print(head)
    medians, bests = {}, {}
    for name, rows in results.items():
        if not rows:
            continue
        med, lo, hi = median_range([r["load_s"] for r in rows])
        medians[name], bests[name] = med, lo
        peak = max(r["peak_rss"] for r in rows)
        base = rows[0].get("rss_imported", rust_bare)
        held = f"{rows[0]['points']:,}" if "points" in rows[0] else "(not queried)"
        print(f"   {name:<52} {med:>9.3f} {f'{lo:.3f}-{hi:.3f}':>15} {events / med:>11,.0f} "
              f"{peak / 1e6:>6,.0f} MB {(peak - base) / 1e6:>5,.0f} MB {held:>12} {len(rows):>2}")
    print("   growth: peak RSS above the process after its imports (RustBoard: above its own "
          f"peak on an empty logdir, {rust_bare / 1e6:.0f} MB)")
    for name in (RUST, RUST_ALL):
        own = median_range([r["own_cycle_s"] for r in results[name]])[0]
        print(f"   {name}: its own load-cycle timer says {own:.3f} s (median)")

    insp = results[INSPECTOR]
    imp, imp_lo, imp_hi = median_range([r["import_s"] for r in imports])
    warm, warm_lo, warm_hi = median_range([r["warm_s"] for r in insp])
    print(f"   Inspector import (inspector.store, fresh process): median {imp:.3f} s "
          f"({imp_lo:.3f}-{imp_hi:.3f}), RSS {imports[0]['rss_bare'] / 1e6:.0f} MB bare -> "
          f"{imports[0]['rss_imported'] / 1e6:.0f} MB imported")
    print(f"   Inspector warm reopen (new Store, same process): median {warm:.3f} s "
          f"({warm_lo:.3f}-{warm_hi:.3f}), {events / warm:,.0f} events/s")
    for name in (RUST, RUST_ALL, TENSORBOARD):
        r = medians[INSPECTOR] / medians[name]
        print(f"   Inspector / {name}: {r:.2f}x the time "
              f"({'faster' if r < 1 else 'slower'}); best of each: "
              f"{bests[INSPECTOR] / bests[name]:.2f}x; with Inspector's import: "
              f"{(medians[INSPECTOR] + imp) / medians[name]:.2f}x")
    held = {r["points"] for r in insp} | {r["warm_points"] for r in insp}
    unsampled = manifest["tensorboard_unsampled_points"]
    kept = held == {events} and unsampled == events and all(r["every_step"] for r in insp)
    print(f"   Inspector kept every point: {'yes' if kept else 'NO'} (held {sorted(held)}, "
          f"written {events:,}, TensorBoard's loader unsampled {unsampled:,}, every step "
          f"0..{manifest['steps'] - 1} of all {insp[0]['series']} series: "
          f"{all(r['every_step'] for r in insp)}, damaged runs: {insp[0]['damage']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="loads per contender (default 5)")
    parser.add_argument("--skip-large", action="store_true",
                        help=f"leave out the {RUNS * TAGS * LARGE_STEPS:,}-event logdir")
    parser.add_argument("--data", type=Path, default=DATA_DIR,
                        help=f"where generated logdirs are cached (default {DATA_DIR})")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "LOGDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import tensorboard
    import tensorboard_data_server

    args.data.mkdir(parents=True, exist_ok=True)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, tensorboard "
          f"{tensorboard.__version__}, RustBoard {tensorboard_data_server.__version__}, "
          f"repeat {args.repeat}")
    logdir, manifest = ensure_logdir(args.data, STEPS)
    bench(logdir, manifest, args.repeat, tensorboard_repeat=args.repeat)
    if not args.skip_large:
        logdir, manifest = ensure_logdir(args.data, LARGE_STEPS)
        bench(logdir, manifest, args.repeat, tensorboard_repeat=1)


if __name__ == "__main__":
    main()
