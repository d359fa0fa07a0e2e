"""Every trainable architecture by name: ``get("mlp") -> TrainerSpec``.

A trainer module registers each of its architectures when it is imported, by calling
``register(...)`` at module level; this module finds the trainer modules through the one
tuple ``TRAINER_MODULES``. Importing this module, or any trainer module, must never import
TensorFlow or Keras: ``inspector train --list`` and ``--help`` import them all and must stay
fast. Trainer modules import TensorFlow inside ``build`` and ``train``.

Adding an architecture:

1. In its module (listed in ``TRAINER_MODULES``; add a new module's name there)::

       @dataclass
       class CnnConfig(TrainConfig):                 # trainers.common.TrainConfig
           filters: int = option(12, "filters of the first convolution", quick=4)

       def build(config: CnnConfig, dataset: Dataset) -> "keras.Model": ...
       def train(config: CnnConfig, run: RunDir) -> RunResult:
           dataset = load_dataset(config)
           return fit(build(config, dataset), dataset, config, run)

       register("cnn", summary="MNIST CNN 3x3x12, 6x6x24/2, 6x6x32/2, dense 200, softmax",
                family="convolutional", config_cls=CnnConfig, build=build, train=train)

2. Its fields become ``inspector train cnn --filters N`` automatically (trainers.cli).

The demo curriculum (``inspector demo``) trains every spec with ``demo=True`` in
registration order: modules in the order of ``TRAINER_MODULES``, architectures in the order
each module registers them. Fast ones come first.
"""

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inspector.errors import InspectorError

# The trainer modules, in demo order. The convolutional, residual and other families add
# their module names here; a name whose module does not exist (yet) is skipped.
TRAINER_MODULES: tuple[str, ...] = (
    "trainers.linear",
    "trainers.dense",
    "trainers.conv",
    "trainers.resnet",
    "trainers.inception",
    "trainers.transfer",
    "trainers.autoencoder",
    "trainers.rbm",
    "trainers.rnn",
    "trainers.lstm",
)


@dataclass(frozen=True)
class TrainerSpec:
    """One architecture.

    name: what the user types (``inspector train NAME``); lower case, ``[a-z0-9_]``.
    summary: one line for ``--list`` (what it is, its shapes).
    family: "linear", "dense", "convolutional", ... (groups the ``--list`` output).
    module: the registering module (filled in by ``register``).
    config_cls: a dataclass subclass of ``trainers.common.TrainConfig``; its fields are the
        architecture's CLI options.
    build: ``build(config, dataset) -> keras.Model`` (or any model object for custom loops).
    train: ``train(config, run: trainers.common.RunDir) -> trainers.common.RunResult``;
        loads the data, builds, trains, logs into ``run`` and evaluates on the test split.
    demo: part of ``inspector demo``'s curriculum (must then finish in seconds with --quick).
    """

    name: str
    summary: str
    family: str
    module: str
    config_cls: type
    build: Callable[..., Any]
    train: Callable[..., Any]
    demo: bool = True


_SPECS: dict[str, TrainerSpec] = {}
_discovered = False


def register(
    name: str,
    *,
    summary: str,
    family: str,
    config_cls: type,
    build: Callable[..., Any],
    train: Callable[..., Any],
    demo: bool = True,
) -> TrainerSpec:
    """Add an architecture (called once per name at the registering module's import).

    Registering a name twice from different modules is a programming error (ValueError);
    re-registering from the same module (a reload) replaces the spec.
    """
    if not name or not all(c.islower() or c.isdigit() or c == "_" for c in name):
        raise ValueError(f"trainer name {name!r} must be lower-case letters, digits and _")
    module = getattr(train, "__module__", "") or ""
    old = _SPECS.get(name)
    if old is not None and old.module != module:
        raise ValueError(f"trainer {name!r} is registered by both {old.module} and {module}")
    spec = TrainerSpec(name, summary, family, module, config_cls, build, train, demo)
    _SPECS[name] = spec
    return spec


def discover() -> None:
    """Import every module of ``TRAINER_MODULES`` once (each registers its trainers)."""
    global _discovered
    if _discovered:
        return
    for module in TRAINER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            # Only a module that does not exist yet is skipped; a broken import inside an
            # existing module is a bug and must show.
            if err.name != module:
                raise
    _discovered = True


def names() -> list[str]:
    """Every registered name, in ``specs()`` (curriculum) order."""
    return [spec.name for spec in specs()]


def specs() -> list[TrainerSpec]:
    """Every registered spec: modules in ``TRAINER_MODULES`` order (others after them),
    each module's specs in the order it registered them."""
    discover()
    rank = {module: i for i, module in enumerate(TRAINER_MODULES)}
    return sorted(_SPECS.values(), key=lambda s: rank.get(s.module, len(rank)))


def get(name: str) -> TrainerSpec:
    """The spec of ``name``; InspectorError naming close matches when there is none."""
    discover()
    try:
        return _SPECS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_SPECS), n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise InspectorError(
            f"unknown architecture {name!r}; {hint}'inspector train --list' lists all "
            f"({', '.join(_SPECS)})"
        ) from None


def demo_curriculum() -> list[str]:
    """The names ``inspector demo`` trains with --quick, fast ones first."""
    return [spec.name for spec in specs() if spec.demo]
