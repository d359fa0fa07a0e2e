"""Acceptance benchmark of issue 15: load 500,000 events cold, keeping every point, on four
logdirs, Inspector against RustBoard side by side.

The logdirs (written once, cached under benchmarks/_data/, gitignored):

(a) tf.summary TF2: 10 runs x 10 tags x 5,000 steps of scalars, TensorBoard's own
    EventFileWriter with summary_v2.scalar_pb (a rank-0 tensor with the scalars metadata on
    every value, as tf.summary.scalar writes);
(b) metadata on the first event only: the same, with each tag's metadata cleared after its
    first value, as TF1's FileWriter writes;
(c) simple_value: the same, as PyTorch's and tensorboardX's add_scalar write;
(d) a mixed logdir of Inspector's Keras hook: 20 LeNet-5 runs (histograms, images, kernels,
    feature maps, embeddings, confusion matrices, PR curves, graphs, hparams, batch and epoch
    scalars), see _hook_logdir.py.

Each load runs in a fresh process: RustBoard (the tensorboard_data_server binary, one load
cycle with ``--samples-per-plugin scalars=all --checksum``, timed from process start to its
"Finished load cycle" log line) and Inspector's ``Store().reload()``; contenders alternate.
The OS page cache cannot be dropped here (no privileges), so every load, of every contender,
reads page-cache-warm files. ``--tensorboard`` adds TensorBoard's Python multiplexer and
RustBoard with its defaults on (a); ``--large`` adds (a) at 5,000,000 events.

    .venv/bin/python benchmarks/ingest.py [--repeat 3] [--only a,b] [--tensorboard] [--large]
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
LOGDIRS = {
    "a": ("(a) tf.summary TF2 scalars", "tf2"),
    "b": ("(b) metadata on first event only", "first_metadata"),
    "c": ("(c) simple_value (PyTorch, tbX)", "simple_value"),
    "d": ("(d) hook, 20 LeNet-5 runs, mixed", "hook"),
}


# ---------------------------------------------------------------- the logdirs
def _write_run(job: tuple[str, int, int, int, str]) -> None:
    """One run of a scalar logdir: random walks, one event per tag and step."""
    import numpy as np

    run_dir, tags, steps, seed, form = job
    rng = np.random.default_rng(seed)
    walks = np.cumsum(rng.normal(scale=0.01, size=(tags, steps)), axis=1).astype(np.float32)
    write_scalar_run(run_dir, walks, 1.7e9 + seed * 1e5, form)


def _cached(logdir: Path, make) -> tuple[Path, dict]:
    manifest_path = logdir / "manifest.json"
    if manifest_path.exists():
        return logdir, json.loads(manifest_path.read_text())
    partial = logdir.with_name(logdir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    print(f"writing {logdir} (once) ...", flush=True)
    start = time.perf_counter()
    manifest = make(partial)
    manifest["write_seconds"] = round(time.perf_counter() - start, 1)
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    partial.rename(logdir)
    print(f"  written in {manifest['write_seconds']:.0f} s: {manifest['bytes']:,} bytes",
          flush=True)
    return logdir, manifest


def scalar_logdir(root: Path, steps: int, form: str) -> tuple[Path, dict]:
    """The cached logdir of RUNS x TAGS x ``steps`` scalars written in ``form``."""
    import multiprocessing

    name = f"scalars_{RUNS}x{TAGS}x{steps}" + ("" if form == "tf2" else f"_{form}")

    def make(partial: Path) -> dict:
        jobs = [(str(partial / f"run_{i:02d}"), TAGS, steps, i, form) for i in range(RUNS)]
        with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 2) as pool:
            pool.map(_write_run, jobs, chunksize=1)
        files = [p for p in partial.rglob("*") if "tfevents" in p.name]
        return {"runs": RUNS, "tags": TAGS, "steps": steps, "events": RUNS * TAGS * steps,
                "expected_points": RUNS * TAGS * steps, "event_files": len(files),
                "bytes": sum(p.stat().st_size for p in files), "form": form,
                "writer": f"tensorboard EventFileWriter, form {form} (_tb_writer.py)"}

    return _cached(root / name, make)


def hook_logdir(root: Path) -> tuple[Path, dict]:
    """The cached mixed logdir of the hook (``_hook_logdir.py``)."""
    from _hook_logdir import make_template, write_logdir

    def make(partial: Path) -> dict:
        template = make_template(root / "hook_template")
        return write_logdir(template, partial)

    return _cached(root / "hook_lenet5_20runs", make)


# ---------------------------------------------------------------- what runs in each child
def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(mode: str, logdir: str) -> None:
    """One cold load in this fresh process; prints one JSON line of figures."""
    import resource

    bare = _rss_now()
    t0 = time.perf_counter()
    if mode == "tensorboard":
        from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
        from tensorboard.compat import tf

        # TensorBoard imports TensorFlow lazily, on its first read: do it here, not in the load.
        out_tf = tf.__version__
    else:
        from inspector.store import Store
    t1 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    out = {"import_s": t1 - t0, "rss_bare": bare, "rss_imported": _rss_now()}
    if mode == "import":
        print(json.dumps(out))
        return
    if mode == "tensorboard":
        out["tensorflow"] = out_tf
        multiplexer = pem.EventMultiplexer()
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        out["load_s"] = time.perf_counter() - t1
        out["points"] = sum(len(multiplexer.Tensors(run, tag)) for run, tags in
                            multiplexer.PluginRunToTagToContent("scalars").items() for tag in tags)
    else:
        store = Store(logdir)
        store.reload()
        out["load_s"] = time.perf_counter() - t1
        usage = resource.getrusage(resource.RUSAGE_SELF)  # CPU of the load (not the import)
        out["cpu_s"] = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
        points, every_step, series = 0, True, 0
        for run in store.runs():
            for kind, tags in store.kinds(run).items():
                for tag in tags:
                    series += 1
                    if kind == "scalars":
                        steps = store.scalars(run, tag).steps
                        points += len(steps)
                        every_step &= bool(steps[0] == 0 and (steps[1:] - steps[:-1] == 1).all())
                    else:
                        points += len(store.series(kind, run, tag))
        out.update(points=points, series=series, every_step=every_step,
                   damage=len(store.damage()))
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
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
    # CPU: the whole process (start, one load cycle, exit; it idles between the two).
    return {"load_s": run.wall_s, "peak_rss": run.peak_rss, "cpu_s": run.cpu_s,
            "own_cycle_s": _seconds(own.group(1)) if own else float("nan")}


def load_python(mode: str, logdir: Path) -> dict:
    _, figures = run_python([__file__, "--child", mode, str(logdir)])
    return figures


def bench(title: str, logdir: Path, manifest: dict, repeat: int, extra: bool) -> dict:
    """Time the contenders on one logdir, print its block, return its summary row."""
    contenders = {RUST_ALL: lambda: load_rustboard(logdir, "--samples-per-plugin",
                                                   "scalars=all", "--checksum"),
                  INSPECTOR: lambda: load_python("inspector", logdir)}
    if extra:
        contenders[RUST] = lambda: load_rustboard(logdir)
        contenders[TENSORBOARD] = lambda: load_python("tensorboard", logdir)
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    load_before = os.getloadavg()[0]
    for i in range(repeat):
        for name, load in contenders.items():
            if name == TENSORBOARD and i >= 1:
                continue
            results[name].append(load())
            print(f"  [{i + 1}/{repeat}] {title} {name}: {results[name][-1]['load_s']:.3f} s",
                  flush=True)
    events = manifest["events"]
    print(f"\n== {title}: {events:,} events, {manifest['bytes']:,} bytes in "
          f"{manifest.get('event_files', manifest.get('files'))} files; written by "
          f"{manifest['writer']}; 1-min load average {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")
    print(f"   {'loader':<52} {'median s':>9} {'range s':>15} {'events/s':>11} "
          f"{'CPU s':>6} {'peak RSS':>9} {'points held':>12} {'n':>2}")
    medians, cpus = {}, {}
    for name, rows in results.items():
        med, lo, hi = median_range([r["load_s"] for r in rows])
        medians[name] = (med, lo, hi)
        cpus[name] = median_range([r.get("cpu_s", float("nan")) for r in rows])[0]
        held = f"{rows[0]['points']:,}" if "points" in rows[0] else "(not queried)"
        print(f"   {name:<52} {med:>9.3f} {f'{lo:.3f}-{hi:.3f}':>15} {events / med:>11,.0f} "
              f"{cpus[name]:>6.2f} {max(r['peak_rss'] for r in rows) / 1e6:>6,.0f} MB "
              f"{held:>12} {len(rows):>2}")
    own = median_range([r["own_cycle_s"] for r in results[RUST_ALL]])[0]
    print(f"   {RUST_ALL}: its own load-cycle timer says {own:.3f} s (median)")
    insp = results[INSPECTOR]
    kept = all(r["points"] == manifest["expected_points"] for r in insp) and (
        manifest.get("form") is None or all(r["every_step"] for r in insp))
    print(f"   Inspector kept every point: {'yes' if kept else 'NO'} (held "
          f"{sorted({r['points'] for r in insp})}, written {manifest['expected_points']:,} "
          f"values in {insp[0]['series']} series; damaged runs: {insp[0]['damage']})")
    ratio = medians[INSPECTOR][0] / medians[RUST_ALL][0]
    best = medians[INSPECTOR][1] / medians[RUST_ALL][1]
    return {"title": title, "events": events, "bytes": manifest["bytes"],
            "rust": medians[RUST_ALL], "inspector": medians[INSPECTOR], "ratio": ratio,
            "best": best, "kept": kept, "cpu_ratio": cpus[INSPECTOR] / cpus[RUST_ALL]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="loads per contender (default 5)")
    parser.add_argument("--only", default="a,b,c,d", help="logdirs to run (default a,b,c,d)")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also TensorBoard's Python multiplexer and RustBoard defaults "
                        "on (a)")
    parser.add_argument("--large", action="store_true",
                        help=f"also (a) at {RUNS * TAGS * LARGE_STEPS:,} events")
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
    with tempfile.TemporaryDirectory() as empty:  # RustBoard's own footprint, nothing loaded
        print(f"RustBoard on an empty logdir: {load_rustboard(Path(empty))['load_s']:.3f} s")
    rows = []
    for key in args.only.split(","):
        title, form = LOGDIRS[key]
        logdir, manifest = hook_logdir(args.data) if form == "hook" else \
            scalar_logdir(args.data, STEPS, form)
        rows.append(bench(title, logdir, manifest, args.repeat, args.tensorboard and key == "a"))
    if args.large:
        logdir, manifest = scalar_logdir(args.data, LARGE_STEPS, "tf2")
        rows.append(bench("(a) at 5,000,000 events", logdir, manifest, args.repeat, False))
    imports = [load_python("import", args.data) for _ in range(args.repeat)]
    imp = median_range([r["import_s"] for r in imports])

    print(f"\n== side by side: cold load, page cache warm, {args.repeat} loads each "
          "(median, range); ratio = Inspector / RustBoard (target <= 0.5)")
    print(f"   {'logdir':<36} {'events':>9} {'MB':>5} {'RustBoard s':>20} "
          f"{'Inspector s':>20} {'ratio':>6} {'best/best':>9} {'CPU ratio':>9} "
          f"{'every point':>11}")
    for r in rows:
        rust, ins = r["rust"], r["inspector"]
        print(f"   {r['title']:<36} {r['events']:>9,} {r['bytes'] / 1e6:>5.0f} "
              f"{rust[0]:>7.3f} ({rust[1]:.3f}-{rust[2]:.3f}) "
              f"{ins[0]:>7.3f} ({ins[1]:.3f}-{ins[2]:.3f}) {r['ratio']:>6.2f} "
              f"{r['best']:>9.2f} {r['cpu_ratio']:>9.2f} {'yes' if r['kept'] else 'NO':>11}")
    print(f"   (Inspector's import, not in its times: median {imp[0]:.3f} s, "
          f"{imp[1]:.3f}-{imp[2]:.3f}; RustBoard's times include its process start. CPU: "
          "user + system seconds, RustBoard's whole process (it uses several threads), "
          "Inspector's load without its import; a steadier figure than wall time when the "
          "machine is shared)")


if __name__ == "__main__":
    main()
