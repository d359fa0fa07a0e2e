"""Issue 22 benchmark: cold and warm load against RustBoard on the 500,000- and
5,000,000-event logdirs, side by side in one run.

Contenders, interleaved, each load in a fresh process:

- RustBoard cold (the tensorboard_data_server binary, one load cycle with
  ``--samples-per-plugin scalars=all --checksum`` so that it keeps every point too, timed from
  process start to its "Finished load cycle" line; it has no cache to be warm with);
- Inspector cold, no cache (``Store(cache=False)``: what every open cost before the cache);
- Inspector cold, writing the cache (an empty cache directory per load: the first open);
- Inspector warm (the cache written once before the timed loads: every later open).

Two times per Inspector load: *to ready*, from the parent's spawn to the store loaded (the
interpreter's start and imports included, comparable to RustBoard's figure), and *load*, the
part under test on its own (``Store(...).reload()``, imports excluded). Every load's store is
then checked outside the timing: all points held, every step 0..N-1 present, runs opened from
the cache. Logdirs come from ``ingest.py``'s generator (cached under benchmarks/_data/). The
OS page cache cannot be dropped here, so every contender reads page-cache-warm files.

    .venv/bin/python benchmarks/scale.py [--repeat 3] [--small-only]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA_DIR, REPO, median_range, run_python  # noqa: E402
from ingest import LARGE_STEPS, STEPS, load_rustboard, scalar_logdir  # noqa: E402

RUST = "RustBoard cold (scalars=all --checksum)"
NO_CACHE = "Inspector cold, no cache"
COLD = "Inspector cold, writing the cache"
WARM = "Inspector warm (from the cache)"


def child(logdir: str, cache: str, spawned: float) -> None:
    """One load in this fresh process; prints one JSON line of figures."""
    import resource

    t0 = time.perf_counter()
    from inspector.store import Store

    t1 = time.perf_counter()
    store = Store(logdir, cache=False if cache == "-" else cache)
    store.reload()
    t2 = time.perf_counter()
    ready = time.time() - spawned
    usage = resource.getrusage(resource.RUSAGE_SELF)  # from process start, imports included
    cpu = usage.ru_utime + usage.ru_stime
    points, every_step = 0, True
    for run in store.runs():
        for tag in store.tags("scalars", run).get(run, []):
            steps = store.scalars(run, tag).steps
            points += len(steps)
            every_step &= bool(steps[0] == 0 and (steps[1:] - steps[:-1] == 1).all())
    print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "ready_s": ready, "cpu_s": cpu,
                      "points": points, "every_step": every_step,
                      "from_cache": len(store.cached_runs), "runs": len(store.runs())}))


def load_inspector(logdir: Path, cache: str) -> dict:
    return run_python([__file__, "--child", str(logdir), cache, repr(time.time())])[1]


def bench(title: str, logdir: Path, manifest: dict, repeat: int, scratch: Path) -> dict:
    warm_dir = scratch / f"warm_{logdir.name}"
    first = load_inspector(logdir, str(warm_dir))  # writes the cache the warm loads use
    size = sum(p.stat().st_size for p in warm_dir.iterdir())
    print(f"  {title}: cache written by a first open ({first['load_s']:.2f} s): "
          f"{size / 1e6:,.0f} MB in {len(list(warm_dir.iterdir()))} files", flush=True)

    def cold() -> dict:
        d = Path(tempfile.mkdtemp(dir=scratch))
        try:
            return load_inspector(logdir, str(d))
        finally:
            shutil.rmtree(d)

    contenders = {RUST: lambda: load_rustboard(logdir, "--samples-per-plugin", "scalars=all",
                                               "--checksum"),
                  NO_CACHE: lambda: load_inspector(logdir, "-"),
                  COLD: cold,
                  WARM: lambda: load_inspector(logdir, str(warm_dir))}
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    for i in range(repeat):
        for name, load in contenders.items():
            results[name].append(load())
            r = results[name][-1]
            print(f"  [{i + 1}/{repeat}] {title} {name}: {r.get('ready_s', r['load_s']):.3f} s",
                  flush=True)
    events = manifest["events"]
    print(f"\n== {title}: {events:,} events, {manifest['bytes'] / 1e6:,.0f} MB of event files "
          f"in {manifest['event_files']} files; cache {size / 1e6:,.0f} MB; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"   {'contender':<40} {'to ready s':>10} {'range':>15} {'load s':>8} {'range':>15} "
          f"{'CPU s':>6} {'all points':>10}")
    rows = {}
    for name, rs in results.items():
        ready = median_range([r.get("ready_s", r["load_s"]) for r in rs])
        load = median_range([r["load_s"] for r in rs]) if name != RUST else \
            median_range([r["own_cycle_s"] for r in rs])
        ok = "-" if name == RUST else ("yes" if all(
            r["points"] == manifest["expected_points"] and r["every_step"] and
            r["from_cache"] == (r["runs"] if name == WARM else 0) for r in rs) else "NO")
        cpu = median_range([r["cpu_s"] for r in rs])
        rows[name] = (ready, load, ok, cpu)
        print(f"   {name:<40} {ready[0]:>10.3f} {f'{ready[1]:.3f}-{ready[2]:.3f}':>15} "
              f"{load[0]:>8.3f} {f'{load[1]:.3f}-{load[2]:.3f}':>15} {cpu[0]:>6.2f} {ok:>10}")
    print("   (RustBoard's 'load s' is its own load-cycle timer; Inspector's is "
          "Store(...).reload() without the imports. CPU s: user + system from process start; "
          "RustBoard's whole process, Inspector's up to the store loaded)")
    return {"title": title, "events": events, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="loads per contender (default 3)")
    parser.add_argument("--small-only", action="store_true", help="only the 500,000 events")
    parser.add_argument("--data", type=Path, default=DATA_DIR,
                        help=f"where generated logdirs are cached (default {DATA_DIR})")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]))
        return
    import tensorboard_data_server

    os.environ["PYTHONPATH"] = str(REPO)  # the children import this checkout's inspector
    print(f"{os.cpu_count()} cores, RustBoard {tensorboard_data_server.__version__}, "
          f"repeat {args.repeat}, load average {os.getloadavg()[0]:.1f}")
    args.data.mkdir(parents=True, exist_ok=True)
    sizes = [("500,000 events", STEPS)] + ([] if args.small_only else
                                           [("5,000,000 events", LARGE_STEPS)])
    out = []
    with tempfile.TemporaryDirectory(prefix="inspector-scale-") as scratch:
        for title, steps in sizes:
            logdir, manifest = scalar_logdir(args.data, steps, "tf2")
            out.append(bench(title, logdir, manifest, args.repeat, Path(scratch)))
    print(f"\n== side by side, to ready (median, range over {args.repeat} fresh processes); "
          "ratio = RustBoard cold / Inspector (target: warm >= 10x)")
    print(f"   {'logdir':<18} {'RustBoard cold':>22} {'Inspector no cache':>22} "
          f"{'Inspector cold+write':>22} {'Inspector warm':>22} {'cold x':>7} {'warm x':>7}")
    for r in out:
        cells = [r["rows"][n][0] for n in (RUST, NO_CACHE, COLD, WARM)]
        text = [f"{m:.3f} ({lo:.3f}-{hi:.3f})" for m, lo, hi in cells]
        print(f"   {r['title']:<18} " + " ".join(f"{t:>22}" for t in text) +
              f" {cells[0][0] / cells[1][0]:>7.1f} {cells[0][0] / cells[3][0]:>7.1f}")
    print("   the part under test alone (load s: RustBoard's own cycle timer; Inspector's "
          "reload without imports):")
    for r in out:
        cells = [r["rows"][n][1] for n in (RUST, NO_CACHE, COLD, WARM)]
        print(f"   {r['title']:<18} " + " ".join(
            f"{f'{m:.3f} ({lo:.3f}-{hi:.3f})':>22}" for m, lo, hi in cells) +
            f" {cells[0][0] / cells[1][0]:>7.1f} {cells[0][0] / cells[3][0]:>7.1f}")
    print("   CPU seconds to ready (steadier than wall time on a shared machine):")
    for r in out:
        cells = [r["rows"][n][3] for n in (RUST, NO_CACHE, COLD, WARM)]
        print(f"   {r['title']:<18} " + " ".join(
            f"{f'{m:.3f} ({lo:.3f}-{hi:.3f})':>22}" for m, lo, hi in cells) +
            f" {cells[0][0] / cells[1][0]:>7.1f} {cells[0][0] / cells[3][0]:>7.1f}")
    print("   every Inspector load kept every point, every step, and the warm ones opened every "
          "run from the cache: " + ("yes" if all(
              ok == "yes" for r in out for n, (_, _, ok, _) in r["rows"].items() if n != RUST)
              else "NO"))


if __name__ == "__main__":
    main()
