"""The ``inspector`` command: train, serve, export, info, demo.

User errors print one line (``inspector <cmd>: error: ...``) and exit 2; no traceback.
Heavy imports (TensorFlow, Dash) happen only inside the subcommand that needs them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time

from inspector import __version__
from inspector.errors import InspectorError

DEFAULT_LOGDIR = "logs"


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr, exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="inspector",
        description="See how neural networks learn: train the classic architectures with a "
        "logging hook, read TensorBoard-format event logs, and watch them live in a dashboard.",
        epilog="Quick start: 'inspector demo' trains a small curriculum and serves it at "
        "http://127.0.0.1:8050. Run 'inspector COMMAND --help' for each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"inspector {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = sub.add_parser(
        "train", help="train an architecture with the logging hook",
        description="Train one architecture (see --list) and log it under LOGDIR/NAME/RUN.")
    _configure_train(train)

    serve = sub.add_parser(
        "serve", help="serve the dashboard for a logdir",
        description="Serve the dashboard; it re-reads the logdir every second, so runs that are "
        "still training update live.")
    _add_serve_args(serve)

    export = sub.add_parser(
        "export", help="export scalars as CSV or JSON lines",
        description="Write every scalar point under LOGDIR as rows run,tag,step,wall_time,value.")
    export.add_argument("logdir", help="directory holding runs (searched recursively)")
    export.add_argument("--kind", choices=["scalars"], default="scalars",
                        help="what to export (default: scalars)")
    export.add_argument("--format", choices=["csv", "json"], default="csv",
                        help="csv (with a header row) or json (one object per line); default csv")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--runs", metavar="REGEX", help="only runs whose name matches")
    export.add_argument("--tags", metavar="REGEX", help="only tags that match")
    export.add_argument("--include-superseded", action="store_true",
                        help="also write points a restarted run logged again (left out by "
                        "default), with a 'superseded' column")

    info = sub.add_parser(
        "info", help="list runs, tags and any damage found in a logdir",
        description="Read a logdir and print its runs, the series of each kind, every "
        "restart (points superseded by a resumed run), every damaged or incomplete byte range, "
        "and the values that failed to decode, counted per reason.")
    info.add_argument("logdir", help="directory holding runs (searched recursively)")
    for p in (export, info):
        _add_cache_arg(p)

    _configure_visualize(sub)

    demo = sub.add_parser(
        "demo", help="serve the dashboard and train the demo curriculum behind it",
        description="Start the dashboard on LOGDIR at once, then train every architecture with "
        "--quick settings in the background; the curves grow while you watch.")
    _add_serve_args(demo)
    demo.add_argument("--no-train", action="store_true", help="only serve; train nothing")
    return parser


def _add_serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--logdir", default=DEFAULT_LOGDIR,
                   help=f"directory holding runs, or a URL such as s3://bucket/prefix "
                   f"(default: {DEFAULT_LOGDIR}/)")
    p.add_argument("--port", type=_port, default=8050, help="port to listen on (default: 8050)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1; any other address needs a token)")
    p.add_argument("--token", help="access token every request must carry (open the printed "
                   "URL with ?token=T once); required when --host is not a loopback address")
    p.add_argument("--reload-interval", type=float, default=1.0, metavar="SECONDS",
                   help="how often the logdir is re-read (default: 1.0)")
    p.add_argument("--certfile", metavar="PEM", help="serve HTTPS with this certificate "
                   "(with --keyfile); use it with --token when serving beyond loopback")
    p.add_argument("--keyfile", metavar="PEM", help="the private key of --certfile")
    _add_cache_arg(p)


def _add_cache_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the decoded-column cache (kept in "
                   "$INSPECTOR_CACHE_DIR, else ~/.cache/inspector) that makes reopening a "
                   "large logdir fast")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def _configure_train(p: argparse.ArgumentParser) -> None:
    try:
        from trainers.cli import configure_parser
    except ImportError:
        p.add_argument("name", nargs="?", help="architecture to train")
        p.add_argument("--list", action="store_true", help="list the architectures")
        return
    configure_parser(p)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        # An unknown architecture gets the registry's "did you mean", not argparse's list.
        try:
            from trainers.cli import check_name
        except ImportError:
            pass
        else:
            try:
                check_name(argv[1:])
            except InspectorError as err:
                print(f"inspector train: error: {err}", file=sys.stderr)
                return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return {
            "train": _cmd_train, "serve": _cmd_serve, "export": _cmd_export,
            "info": _cmd_info, "demo": _cmd_demo, "visualize": _cmd_visualize,
        }[args.command](args)
    except InspectorError as err:
        print(f"inspector {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `inspector export ... | head`: the reader left; not an error.
        sys.stderr.close()
        return 0


def _cmd_train(args) -> int:
    try:
        from trainers.cli import run
    except ImportError:
        raise InspectorError("no trainers are installed yet; nothing to train") from None
    return run(args)


def _check_logdir(logdir: str) -> None:
    """A missing logdir is the user's first problem to hear about (before a busy port).
    Local or remote (``s3://...``), as the dashboard will read it."""
    from inspector.remote import open_logdir

    fs, root = open_logdir(logdir)
    if not fs.isdir(root):
        raise InspectorError(f"logdir {logdir!r} is not a directory; pass an existing "
                             "directory (trainers write to logs/ by default)")


def _check_port_free(host: str, port: int) -> None:
    """InspectorError if ``host:port`` cannot be bound now (checked before anything is
    created on disk; the server binds it for good a moment later)."""
    import errno
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as err:
        raise InspectorError(f"cannot resolve host {host!r}: {err.strerror}") from None
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise InspectorError(
                    f"port {port} is in use; pass --port N or stop the other server") from None
            raise InspectorError(f"cannot listen on {host}:{port}: {err.strerror or err}") \
                from None


def _cmd_serve(args) -> int:
    from dashboards.app import serve

    _check_logdir(args.logdir)
    if args.no_cache:
        from inspector.column_cache import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"  # the dashboard's store (and its workers) see it
    serve(logdir=args.logdir, host=args.host, port=args.port, token=args.token,
          reload_interval=args.reload_interval, certfile=args.certfile, keyfile=args.keyfile)
    return 0


def _cmd_export(args) -> int:
    from inspector.export import write_scalars
    from inspector.store import Store

    store = Store(args.logdir, cache=False if args.no_cache else None)
    store.reload()
    extra = {"include_superseded": args.include_superseded}
    if args.output:
        with open(args.output, "w", newline="") as out:
            n = write_scalars(store, out, args.format, args.runs, args.tags, **extra)
        print(f"wrote {n} rows to {args.output}", file=sys.stderr)
    else:
        write_scalars(store, sys.stdout, args.format, args.runs, args.tags, **extra)
    return 0


def _cmd_info(args) -> int:
    from inspector.hook_warnings import hook_warnings
    from inspector.store import Store

    store = Store(args.logdir, cache=False if args.no_cache else None)
    t0 = time.perf_counter()
    store.reload()
    runs = store.runs()
    print(f"{args.logdir}: {len(runs)} runs, {store.point_count()} scalar points, "
          f"read in {time.perf_counter() - t0:.2f} s"
          + (f" ({len(store.cached_runs)} from the cache)" if store.cached_runs else ""))
    damage = store.damage()
    not_logged = hook_warnings(store)
    failed = False
    for run in runs:
        kinds = store.kinds(run)
        summary = ", ".join(f"{len(tags)} {kind}" for kind, tags in sorted(kinds.items()))
        print(f"  {run}: {summary or 'no series (empty event files; the dashboard hides it)'}")
        for d in damage.get(run, []):
            print(f"    damage: {d.describe()}")
        for line in not_logged.get(run, []):
            print(f"    not logged: {line}")
        for r in store.restarts(run):
            why = "SessionLog.START" if r.reason == "session_start" else \
                "started after all earlier data, steps go back"
            print(f"    restart: {os.path.basename(r.file)} ({why}): {r.superseded} earlier "
                  f"points of {r.series} series superseded, from step {r.from_step} "
                  "(kept; export --include-superseded shows them)")
        health = store.health(run)
        if health.decode_errors:
            failed = True
            print(f"    decode errors: {health.decode_errors} values could not be decoded")
            for reason, count in sorted(health.reasons.items(), key=lambda x: -x[1])[:10]:
                print(f"      {count} x {reason}")
    failed |= any(d.reason != "pending" for ds in damage.values() for d in ds)
    return 1 if failed else 0


def _configure_visualize(sub) -> None:
    p = sub.add_parser(
        "visualize", help="feature visualizations of a saved Keras model's filters",
        description="For each chosen layer of a saved Keras model, find the input that most "
        "excites each filter (gradient ascent from noise) and write it, with the layer's "
        "kernels, into LOGDIR for the Kernels page.")
    p.add_argument("model_path", metavar="MODEL_PATH", help="a saved Keras model (.keras)")
    p.add_argument("--logdir", default=DEFAULT_LOGDIR,
                   help=f"run directory to write into (default: {DEFAULT_LOGDIR}/)")
    p.add_argument("--layers", help="comma-separated layer paths (default: every conv layer)")
    p.add_argument("--step", type=int, default=0, help="step to log them at (default: 0)")
    p.add_argument("--iterations", type=int, default=64,
                   help="gradient-ascent steps (default: 64)")
    p.add_argument("--max-filters", type=int, default=64,
                   help="filters per layer at most (default: 64)")
    p.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"), default=(0.0, 1.0),
                   help="the model's input value range (default: 0 1)")
    p.add_argument("--objective", choices=["mean", "centre"], default="mean",
                   help="maximise the filter's mean activation over the map (default) or its "
                   "activation at the map's centre (a receptive-field pattern; clearer for "
                   "saturating activations such as tanh)")


def _cmd_visualize(args) -> int:
    if not os.path.exists(args.model_path):
        raise InspectorError(f"no model at {args.model_path!r}; pass a file saved with "
                             "model.save('model.keras')")
    import keras

    from inspector.feature_vis import log_feature_vis
    from inspector.layer_summaries import log_kernels
    from inspector.summary import SummaryWriter

    try:
        model = keras.models.load_model(args.model_path, compile=False)
    except (OSError, ValueError) as err:
        raise InspectorError(f"cannot load {args.model_path!r} as a Keras model: {err}") from None
    layers = [s.strip() for s in args.layers.split(",") if s.strip()] if args.layers else None
    with SummaryWriter(args.logdir) as writer:
        log_kernels(writer, model, args.step, input_shape=tuple(model.inputs[0].shape[1:]))
        n = log_feature_vis(writer, model, args.step, layers, value_range=tuple(args.range),
                            iterations=args.iterations, max_filters=args.max_filters,
                            objective=args.objective)
    print(f"wrote feature visualizations of {n} layers to {args.logdir}", file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    # Nothing is created on disk for a server that cannot start.
    from dashboards.security import check_bind

    check_bind(args.host, args.token)
    _check_port_free(args.host, args.port)
    os.makedirs(args.logdir, exist_ok=True)
    if not args.no_train:
        threading.Thread(target=_train_curriculum, args=(args.logdir,), daemon=True).start()
    return _cmd_serve(args)


def _train_curriculum(logdir: str) -> None:
    try:
        from trainers.registry import demo_curriculum
    except ImportError:
        print("inspector demo: nothing to train yet (no trainers installed)", file=sys.stderr)
        return
    for name in demo_curriculum():
        cmd = [sys.executable, "-m", "inspector", "train", name, "--quick", "--logdir", logdir,
               "--no-progress"]
        print(f"inspector demo: training {name} ...", file=sys.stderr, flush=True)
        result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
            print(f"inspector demo: {name} failed: {last}", file=sys.stderr, flush=True)
    print("inspector demo: curriculum finished; the dashboard keeps serving (Ctrl+C to stop)",
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
