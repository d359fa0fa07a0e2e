"""``inspector train``: one sub-command per registered architecture, its options generated
from the architecture's config dataclass (``trainers.common.option`` fields).

    inspector train --list
    inspector train mlp --activation relu --epochs 5
    inspector train mlp --sweep activation=sigmoid,tanh,relu --quick

A sweep's runs are named by the value that differs: ``LOGDIR/mlp/sweep/activation=relu``
(the next sweep of mlp goes to ``sweep-2``, and so on). Building the parser imports every
trainer module but never TensorFlow, so ``--list`` and ``--help`` answer at once. Bad
options, values, sweep keys and architecture names end in one line and exit 2. TensorFlow's
start-up noise is hidden unless ``--verbose`` (``trainers.tf_logging``).
"""

import argparse
import dataclasses
import itertools
import os
from pathlib import Path
from typing import Any

from inspector.errors import InspectorError
from trainers import registry
from trainers.common import (
    NO_QUICK,
    RunDir,
    field_type,
    make_config,
    seed_everything,
)
from trainers.tf_logging import quiet_tensorflow

DEFAULT_LOGDIR = "logs"
_CLI_ONLY = ("logdir", "run_name", "sweep", "verbose")  # options that are not config fields
SWEEP_FOLDER = "sweep"  # LOGDIR/ARCH/sweep/KEY=VALUE; later sweeps sweep-2, sweep-3...


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Give the ``inspector train`` parser ``--list`` and one sub-parser per architecture."""
    parser.add_argument("--list", action="store_true",
                        help="list every architecture with one line each, then exit")
    parser.epilog = ("Each architecture has its own options: "
                     "'inspector train NAME --help'.")
    sub = parser.add_subparsers(dest="name", metavar="NAME", parser_class=type(parser))
    for spec in registry.specs():
        # argparse %-formats help strings; summaries may say "error 7.3 %".
        arch = sub.add_parser(spec.name, help=spec.summary.replace("%", "%%"),
                              description=spec.summary,
                              argument_default=argparse.SUPPRESS)
        _add_run_options(arch)
        _add_config_options(arch, spec.config_cls)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--logdir", default=DEFAULT_LOGDIR,
                   help="directory the run is written under, as LOGDIR/NAME/RUN "
                   f"(default: {DEFAULT_LOGDIR})")
    p.add_argument("--run-name", default=None,
                   help="name of the run directory (default: the local date and time)")
    p.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="train one run per value of option KEY under one experiment folder "
                   "(LOGDIR/NAME/sweep/KEY=VALUE, or --run-name/KEY=VALUE) so the dashboard "
                   "overlays them; repeat for every combination of several keys")
    p.add_argument("--verbose", action="store_true", default=False,
                   help="keep TensorFlow's start-up and tracing messages (hidden by default)")


def _add_config_options(p: argparse.ArgumentParser, cls: type) -> None:
    for f in dataclasses.fields(cls):
        if f.name in _CLI_ONLY:
            raise TypeError(f"{cls.__name__}.{f.name} clashes with a run option")
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if f.metadata.get("quick", NO_QUICK) is not NO_QUICK:
            help_text += f" [--quick: {_show(f.metadata['quick'])}]"
        base, _ = field_type(cls, f.name)
        if base is bool:
            if f.default:
                p.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name,
                               action="store_false", help=f"do not {help_text}")
            else:
                p.add_argument(flag, dest=f.name, action="store_true", help=help_text)
            continue
        choices = f.metadata.get("choices")
        # No argparse default: what the user did not type stays out of the namespace, so
        # --quick can fill it in (see make_config); the help text states the default.
        p.add_argument(flag, dest=f.name, type=_converter(cls, f.name),
                       help=f"{help_text} (default: {_show(f.default)})",
                       metavar=_metavar(f.name, base, choices), default=argparse.SUPPRESS)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return "none" if value is None else str(value)


def _metavar(name: str, base: type, choices: tuple | None) -> str:
    if choices:
        joined = "|".join(choices)
        return f"{{{joined}}}" + (",..." if base is tuple else "")
    return {int: "N", float: "X"}.get(base, name.upper())


def _converter(cls: type, name: str):
    """A function from command-line text to the field's value (ArgumentTypeError if bad)."""
    base, optional = field_type(cls, name)
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    choices = f.metadata.get("choices")

    def convert(text: str) -> Any:
        if optional and text.lower() == "none":
            return None
        if base is bool:
            if text.lower() in ("true", "yes", "1", "on"):
                return True
            if text.lower() in ("false", "no", "0", "off"):
                return False
            raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")
        if base is tuple:
            items = tuple(t.strip() for t in text.split(",") if t.strip())
            if not items:
                raise argparse.ArgumentTypeError("expected a comma-separated list")
        else:
            try:
                items = (base(text),)
            except ValueError:
                kind = {int: "an integer", float: "a number"}.get(base, base.__name__)
                raise argparse.ArgumentTypeError(f"expected {kind}, not {text!r}") from None
        for item in items:
            if choices and item not in choices:
                raise argparse.ArgumentTypeError(
                    f"{item!r} is not one of {', '.join(choices)}")
        return items if base is tuple else items[0]

    convert.__name__ = base.__name__  # argparse names the type in its messages
    return convert


def run(args: argparse.Namespace) -> int:
    """Train what ``args`` asks for; print one summary line per run. Returns 0."""
    if getattr(args, "list", False) and not args.name:
        print(listing())
        return 0
    if not args.name:
        raise InspectorError("name an architecture to train ('inspector train --list' lists "
                             "them)")
    spec = registry.get(args.name)
    fields = [f.name for f in dataclasses.fields(spec.config_cls)]
    given = {name: getattr(args, name) for name in fields if hasattr(args, name)}
    group = args.run_name or free_sweep_folder(args.logdir, spec.name)
    plan = plan_runs(spec.config_cls, given, args.sweep, args.run_name, group)
    configs = [(run_name, make_config(spec.config_cls, values)) for run_name, values in plan]
    # TensorFlow's start-up chatter would bury the progress bar and the summary line.
    quiet_tensorflow(verbose=getattr(args, "verbose", False))
    results = []
    for i, (run_name, config) in enumerate(configs):
        if i:
            _fresh_graph_state()
        run_dir = RunDir.create(args.logdir, spec.name, run_name)
        seed_everything(config.seed)
        result = spec.train(config, run_dir)
        print(result.summary_line(), flush=True)
        results.append(result)
    if len(results) > 1:
        print(f"{spec.name}: {len(results)} runs side by side under "
              f"{results[0].run.path.parent}", flush=True)
    return 0


def listing() -> str:
    """Every architecture, grouped by family, with its one-line summary."""
    specs = registry.specs()
    width = max((len(s.name) for s in specs), default=0)
    families = dict.fromkeys(s.family for s in specs)  # in registration order
    lines = []
    for family in families:
        lines.append(f"{family}:")
        lines.extend(f"  {s.name:<{width}}  {s.summary}" for s in specs if s.family == family)
    return "\n".join(lines)


def check_name(argv: list[str]) -> None:
    """Refuse an unknown architecture in ``inspector train`` arguments (those after
    ``train``) with the registry's one-line "did you mean" (InspectorError), before argparse
    would answer with its raw "invalid choice" list. Options before the name are flags."""
    name = next((a for a in argv if not a.startswith("-")), None)
    if name is not None:
        registry.get(name)


def free_sweep_folder(logdir: str | os.PathLike, arch: str) -> str:
    """``sweep``, or ``sweep-2``, ``sweep-3``... : the first not yet under LOGDIR/ARCH."""
    base, n = Path(logdir) / arch, 1
    name = SWEEP_FOLDER
    while (base / name).exists():
        n += 1
        name = f"{SWEEP_FOLDER}-{n}"
    return name


def _fresh_graph_state() -> None:
    """Between the runs of a sweep: drop the previous model's graph and traced functions,
    so the next run neither grows memory nor retraces against stale ones."""
    import keras

    keras.backend.clear_session()


def plan_runs(
    cls: type, given: dict[str, Any], sweeps: list[str], run_name: str | None,
    group: str = SWEEP_FOLDER,
) -> list[tuple[str | None, dict[str, Any]]]:
    """(run name, option values) per run: one run, or one per combination of sweep values
    named ``<group>/<key>=<value>[,<key>=<value>...]`` (``group``: ``run_name`` if given,
    else the sweep folder, see ``free_sweep_folder``)."""
    if not sweeps:
        return [(run_name, given)]
    axes = [_parse_sweep(cls, text, given) for text in sweeps]
    keys = [key for key, _ in axes]
    if len(set(keys)) != len(keys):
        raise InspectorError("--sweep: each key may be swept once")
    group = run_name or group
    plan = []
    for combo in itertools.product(*(values for _, values in axes)):
        label = ",".join(f"{key}={_show(value)}" for key, value in zip(keys, combo, strict=True))
        plan.append((f"{group}/{label}", {**given, **dict(zip(keys, combo, strict=True))}))
    return plan


def _parse_sweep(cls: type, text: str, given: dict[str, Any]) -> tuple[str, list[Any]]:
    key, sep, values_text = text.partition("=")
    key = key.strip().lstrip("-").replace("-", "_")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if not sep or not values_text.strip():
        raise InspectorError(f"--sweep {text!r}: expected KEY=V1,V2,... "
                             "(e.g. --sweep activation=sigmoid,tanh,relu)")
    if key not in fields or not fields[key].metadata.get("hparam", True):
        options = ", ".join(n for n, f in fields.items() if f.metadata.get("hparam", True))
        raise InspectorError(f"--sweep: {key!r} is not an option of this architecture; "
                             f"sweepable: {options}")
    if key in given:
        raise InspectorError(f"--sweep {key}=... and --{key.replace('_', '-')} both set "
                             f"{key}; give one")
    base, _ = field_type(cls, key)
    if base is tuple:
        raise InspectorError(f"--sweep: {key} takes a list itself and cannot be swept")
    convert = _converter(cls, key)
    values = []
    for item in values_text.split(","):
        try:
            values.append(convert(item.strip()))
        except argparse.ArgumentTypeError as err:
            raise InspectorError(f"--sweep {key}: {err}") from None
    if len(set(values)) != len(values):
        raise InspectorError(f"--sweep {key}: a value is repeated")
    return key, values
