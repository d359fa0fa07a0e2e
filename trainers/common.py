"""What every trainer shares: the config dataclass, optimizer and schedule, run directories,
the callback list with the logging hook, ``fit`` and the test evaluation.

Importing this module never imports TensorFlow or Keras; the functions that need them
import them when called. A trainer is usually::

    @dataclass
    class MlpConfig(TrainConfig):
        width: int = option(128, "units per hidden layer", minimum=1, quick=16)

    def train(config: MlpConfig, run: RunDir) -> RunResult:
        dataset = load_dataset(config)
        return fit(build(config, dataset), dataset, config, run)

API (stable; the convolutional trainers build on it):

- ``option(default, help, *, choices=None, minimum=None, quick=NO_QUICK, hparam=True)``:
  a dataclass field that becomes a CLI option ``--name`` with that help. ``quick`` is the
  value under ``--quick`` (unless the user gives the option too); ``minimum`` and
  ``choices`` are checked in ``__post_init__`` (InspectorError). Field types the CLI
  parses: bool (``--flag`` / ``--no-flag`` for a default of True), int, float, str,
  ``int | None``, ``float | None`` ("none" on the command line) and ``tuple[str, ...]``
  (comma-separated; ``choices`` then applies to each element).
- ``TrainConfig``: the options common to all trainers (see its fields). A subclass may
  redeclare a field to change its default, e.g. ``lr: float = option(0.5, ...)``.
- ``make_config(cls, given) -> config``: defaults, then the quick values if
  ``given["quick"]``, then ``given`` (what the user typed).
- ``RunDir.create(logdir, arch, run_name=None)``: ``logdir/<arch>/<run-name or
  timestamp>``, with ``.train`` and ``.validation`` subdirectories for the hook. A sweep
  passes ``run_name="sweep/<key>=<value>"`` (``sweep-2``... for later sweeps).
- ``load_dataset(config, **kwargs)``: ``trainers.data.load`` with the config's data set,
  seed and limit.
- ``seed_everything(seed)`` (the CLI calls it before ``spec.train``, so initial weights,
  dropout and shuffling follow ``--seed``), ``make_schedule(config)``,
  ``make_optimizer(config)``, ``apply_l2(model, l2)``.
- ``make_callbacks(config, run, dataset, *, samples=None, hook_options=None)``: THE callback
  list (the ``inspector.hooks.Inspector`` hook on ``run.path``, then early stopping).
- ``fit(model, dataset, config, run, *, loss=None, metrics=None, samples=None,
  extra_callbacks=(), hook_options=None, fit_kwargs=None) -> RunResult``: applies L2,
  compiles (default loss from the task and the output width), trains with the callbacks,
  evaluates on the test split and logs the test results. ``samples(model, epoch) ->
  {name: text or [N, H, W, C] images}`` is logged by the hook under ``samples/<name>``.
- ``finish_run(config, run, dataset, epochs, seconds, test_metrics, test_outputs=None, *,
  write_hparams=False) -> RunResult``: the tail of ``fit``, for custom loops too: writes
  ``test/<metric>`` and the test evaluation into the run's root directory.
- ``RunResult.summary_line()``: ``softmax: test accuracy 0.912 (error 8.8 %), loss 0.31
  after 10 epochs in 12.3 s — logs/softmax/2026-11-23T12-40-01``.
"""

import dataclasses
import os
import sys
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inspector.errors import InspectorError
from trainers import data

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
NO_QUICK = object()  # marks an option whose value --quick leaves alone
TIMESTAMP_FORMAT = "%Y-%m-%dT%H-%M-%S"


def option(
    default: Any,
    help: str,
    *,
    choices: typing.Sequence[str] | None = None,
    minimum: float | None = None,
    quick: Any = NO_QUICK,
    hparam: bool = True,
) -> Any:
    """A config field with its CLI help, allowed values, --quick value and whether it is
    logged as an hparam."""
    meta = {"help": help, "choices": tuple(choices) if choices else None, "minimum": minimum,
            "quick": quick, "hparam": hparam}
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """The options every trainer takes. Subclasses add their own fields with ``option``."""

    dataset: str = option("mnist", "data set to train on (see trainers.data.describe())",
                          choices=[name for name, _ in data.describe()])
    epochs: int = option(10, "passes over the training set", minimum=1, quick=2)
    batch_size: int = option(100, "examples per gradient step", minimum=1)
    optimizer: str = option("sgd", "gradient descent variant", choices=OPTIMIZERS)
    lr: float = option(0.01, "learning rate (the initial one when --lr-decay is set)",
                       minimum=0)
    momentum: float = option(0.9, "momentum of 'momentum' and 'nesterov'", minimum=0)
    lr_decay: float = option(0.0, "decay time tau in steps: lr = lr0 * 10^(-step/tau); "
                             "0 keeps the learning rate constant", minimum=0)
    l2: float = option(0.0, "L2 weight penalty: adds l2 * sum(kernel^2) to the loss", minimum=0)
    early_stopping: int = option(0, "stop after this many epochs without a lower validation "
                                 "loss and keep the best weights; 0 never stops early",
                                 minimum=0)
    seed: int = option(0, "seed of data splits, initial weights and shuffling")
    limit: int | None = option(None, "use at most N training examples (none: all)",
                               minimum=1, quick=1000)
    quick: bool = option(False, "seconds-long settings for demos and tests "
                         "(options given explicitly still win)")
    progress: bool = option(True, "show a progress bar per epoch", hparam=False)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value, meta = getattr(self, f.name), f.metadata
            flag = "--" + f.name.replace("_", "-")
            if meta.get("choices") and value is not None:
                for item in value if isinstance(value, tuple) else (value,):
                    if item not in meta["choices"]:
                        raise InspectorError(f"{flag}: {item!r} is not one of "
                                             f"{', '.join(meta['choices'])}")
            if meta.get("minimum") is not None and value is not None and value < meta["minimum"]:
                raise InspectorError(f"{flag} must be at least {meta['minimum']}, not {value}")

    def hparams(self) -> dict[str, bool | int | float | str]:
        """The fields logged as hparams, as the types the hparams plugin takes."""
        out: dict[str, bool | int | float | str] = {}
        for f in dataclasses.fields(self):
            if not f.metadata.get("hparam", True):
                continue
            value = getattr(self, f.name)
            if value is None:
                value = "none"
            elif isinstance(value, tuple):
                value = ",".join(map(str, value))
            out[f.name] = value
        return out


def field_type(cls: type, name: str) -> tuple[type, bool]:
    """(base type, optional) of a config field: ``int | None`` -> (int, True);
    ``tuple[str, ...]`` -> (tuple, False)."""
    hint = typing.get_type_hints(cls)[name]
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        base = next(a for a in args if a is not type(None))
        return (typing.get_origin(base) or base), True
    return (typing.get_origin(hint) or hint), False


def make_config(cls: type, given: dict[str, Any]) -> TrainConfig:
    """A ``cls`` instance: defaults, then --quick values (if ``given["quick"]``), then
    ``given``. Unknown keys and bad values raise InspectorError."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise InspectorError(f"{cls.__name__} has no option {', '.join(unknown)}; "
                             f"options: {', '.join(fields)}")
    values: dict[str, Any] = {}
    if given.get("quick"):
        values.update({name: f.metadata["quick"] for name, f in fields.items()
                       if f.metadata.get("quick", NO_QUICK) is not NO_QUICK})
    values.update(given)
    return cls(**values)


# ----- runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunDir:
    """One run's directory: ``logdir/<arch>/<name>``; the hook writes ``train/`` and
    ``validation/`` under it, the test evaluation and hparams go into the directory itself."""

    logdir: Path
    arch: str
    name: str

    @classmethod
    def create(cls, logdir: str | os.PathLike, arch: str, run_name: str | None = None) -> "RunDir":
        """A new run directory (created). Without ``run_name`` it is named by the local time;
        a name already in use gets ``-2``, ``-3``... appended."""
        base = run_name or time.strftime(TIMESTAMP_FORMAT)
        if not base.strip("/") or ".." in Path(base).parts or Path(base).is_absolute():
            raise InspectorError(f"--run-name {run_name!r} must be a relative name inside the "
                                 "logdir (letters, digits, '-', '_', '/' for groups)")
        name, n = base, 1
        while (Path(logdir) / arch / name).exists():
            n += 1
            name = f"{base}-{n}"
        run = cls(Path(logdir), arch, name)
        run.path.mkdir(parents=True)
        return run

    @property
    def path(self) -> Path:
        return self.logdir / self.arch / self.name

    @property
    def train(self) -> Path:
        return self.path / "train"

    @property
    def validation(self) -> Path:
        return self.path / "validation"


@dataclass
class RunResult:
    """What a finished run reports: test metrics keyed ``loss``, ``accuracy``, ``mae``..."""

    arch: str
    run: RunDir
    metrics: dict[str, float]
    epochs: int
    seconds: float
    extras: dict[str, Any] = field(default_factory=dict)

    def summary_line(self) -> str:
        m = self.metrics
        if "accuracy" in m:
            text = (f"test accuracy {m['accuracy']:.3f} (error {100 * (1 - m['accuracy']):.1f} %)"
                    + (f", loss {m['loss']:.3g}" if "loss" in m else ""))
        else:
            text = "test " + ", ".join(f"{k} {v:.3g}" for k, v in m.items())
        return (f"{self.arch}: {text} after {self.epochs} epochs in {self.seconds:.1f} s "
                f"\u2014 {self.run.path}")


def load_dataset(config: TrainConfig, **kwargs: Any) -> data.Dataset:
    """The config's data set, seeded and limited as the config says."""
    return data.load(config.dataset, seed=config.seed, limit=config.limit, **kwargs)


# ----- optimization (TensorFlow imported here) ------------------------------------------


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow (initial weights, dropout, shuffling)."""
    import keras

    keras.utils.set_random_seed(seed)


def make_schedule(config: TrainConfig) -> Any:
    """The learning rate: the float ``config.lr``, or ``lr * 10^(-step/lr_decay)``."""
    if not config.lr_decay:
        return config.lr
    import keras

    return keras.optimizers.schedules.ExponentialDecay(
        config.lr, decay_steps=config.lr_decay, decay_rate=0.1)


def make_optimizer(config: TrainConfig) -> Any:
    """A Keras optimizer for ``config.optimizer`` with the schedule of ``make_schedule``."""
    import keras

    lr, mom = make_schedule(config), config.momentum
    opt = keras.optimizers
    return {
        "sgd": lambda: opt.SGD(lr),
        "momentum": lambda: opt.SGD(lr, momentum=mom),
        "nesterov": lambda: opt.SGD(lr, momentum=mom, nesterov=True),
        "adagrad": lambda: opt.Adagrad(lr),
        "adadelta": lambda: opt.Adadelta(lr),
        "rmsprop": lambda: opt.RMSprop(lr),
        "adam": lambda: opt.Adam(lr),
    }[config.optimizer]()


def apply_l2(model: Any, l2: float) -> None:
    """Penalize every kernel (dense and convolution weights, not biases) by l2 * sum(w^2).
    Done once here for every architecture, so build() functions need not take it."""
    if not l2:
        return
    import keras

    for variable in model.trainable_weights:
        if variable.path.endswith("kernel"):
            variable.regularizer = keras.regularizers.L2(l2)


def progress_verbosity(config: TrainConfig) -> int:
    """Keras verbose: a bar per epoch on a terminal, a line per epoch otherwise, 0 if off."""
    if not config.progress:
        return 0
    return 1 if sys.stdout.isatty() else 2


def make_callbacks(
    config: TrainConfig,
    run: RunDir,
    dataset: data.Dataset,
    *,
    samples: typing.Callable[[Any, int], dict] | None = None,
    hook_options: dict[str, Any] | None = None,
) -> list:
    """THE callback list of every Keras trainer: the logging hook (``inspector.hooks.
    Inspector`` on ``run.path``, validating on the validation split, with the config as
    hparams and ``samples(model, epoch) -> {name: text or images}`` logged under
    ``samples/``), then early stopping on the validation loss if asked for.
    ``hook_options`` go to the hook unchanged (e.g. ``{"activation_freq": 0}``)."""
    import keras

    from inspector.hooks import Inspector

    classes = dataset.class_names if dataset.task == "classification" else None
    callbacks = [Inspector(str(run.path), validation_data=(dataset.x_val, dataset.y_val),
                           class_names=classes, hparams=config.hparams(), samples=samples,
                           **(hook_options or {}))]
    if config.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.early_stopping, restore_best_weights=True))
    return callbacks


def default_loss(model: Any, dataset: data.Dataset) -> tuple[str, list[str]]:
    """(loss, metrics) for the task: MSE for regression, binary cross-entropy for one
    sigmoid output, sparse categorical cross-entropy for a softmax layer."""
    if dataset.task == "regression":
        return "mse", ["mae"]
    if model.output_shape[-1] == 1:
        return "binary_crossentropy", ["accuracy"]
    return "sparse_categorical_crossentropy", ["accuracy"]


def fit(
    model: Any,
    dataset: data.Dataset,
    config: TrainConfig,
    run: RunDir,
    *,
    loss: Any = None,
    metrics: list | None = None,
    samples: typing.Callable[[Any, int], dict] | None = None,
    extra_callbacks: typing.Sequence[Any] = (),
    hook_options: dict[str, Any] | None = None,
    fit_kwargs: dict[str, Any] | None = None,
) -> RunResult:
    """Train ``model`` (a built, uncompiled Keras model) on ``dataset``'s training split,
    validating on its validation split; evaluate on its test split; log all into ``run``.

    Applies ``config.l2`` first; compiles with
    ``make_optimizer(config)`` and ``loss``/``metrics`` (default: ``default_loss``).
    ``samples`` and ``hook_options`` go to the hook (see ``make_callbacks``),
    ``extra_callbacks`` after the standard ones, ``fit_kwargs`` to ``model.fit``."""
    started = time.perf_counter()
    apply_l2(model, config.l2)
    default, default_metrics = default_loss(model, dataset)
    model.compile(optimizer=make_optimizer(config), loss=loss or default,
                  metrics=default_metrics if metrics is None else metrics)
    callbacks = make_callbacks(config, run, dataset, samples=samples, hook_options=hook_options)
    history = model.fit(
        dataset.x_train, dataset.y_train,
        validation_data=(dataset.x_val, dataset.y_val),
        epochs=config.epochs, batch_size=config.batch_size,
        callbacks=callbacks + list(extra_callbacks),
        verbose=progress_verbosity(config), **(fit_kwargs or {}),
    )
    batch = max(config.batch_size, 256)
    test = model.evaluate(dataset.x_test, dataset.y_test, batch_size=batch, verbose=0,
                          return_dict=True)
    outputs = model.predict(dataset.x_test, batch_size=batch, verbose=0)
    return finish_run(config, run, dataset, len(history.epoch), time.perf_counter() - started,
                      {k: float(v) for k, v in test.items()}, outputs)


def finish_run(
    config: TrainConfig,
    run: RunDir,
    dataset: data.Dataset,
    epochs: int,
    seconds: float,
    test_metrics: dict[str, float],
    test_outputs: np.ndarray | None = None,
    *,
    write_hparams: bool = False,
) -> RunResult:
    """Log the test split's results into ``run.path`` (the run's root, beside its hparams)
    at step ``epochs`` and return the RunResult: scalars ``test/<metric>`` and, when
    ``test_outputs`` (the model's outputs on ``dataset.x_test``) are given for a
    classification, the evaluation (``evaluation/...``: confusion matrix, per-class
    precision, recall, F-score, baselines). ``write_hparams``: also the config as hparams
    (custom loops; the hook writes them for Keras trainers)."""
    from inspector.evaluation import log_evaluation
    from inspector.summary import SummaryWriter

    with SummaryWriter(run.path) as writer:
        if write_hparams:
            writer.hparams(config.hparams(), metrics=[f"test/{k}" for k in test_metrics])
        for key, value in test_metrics.items():
            writer.scalar(f"test/{key}", value, epochs)
        if test_outputs is not None and dataset.task == "classification":
            log_evaluation(writer, dataset.y_test, test_outputs, epochs, dataset.class_names)
    return RunResult(run.arch, run, test_metrics, epochs, seconds)
