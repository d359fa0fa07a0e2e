"""What ``fit`` was given: the data the logging hook takes its probe batch and evaluation
samples from, and the input and label signatures its graphs are traced for.

Keras 3 shows callbacks neither the training nor the validation data, so the hook reads the
arguments of the running ``model.fit`` call from its frame, by their public names (``x``,
``y``, ``validation_data``, ``validation_split``): read-only, nothing in Keras is patched.
Keras replaces ``validation_data`` by the held-out part when ``validation_split`` is set;
where it did not (yet), the split is taken the documented way (the last samples, before
shuffling). Samples are read from arrays, ``tf.data.Dataset``s and ``keras.utils.PyDataset``s;
a Python generator or iterator cannot be read without taking batches away from training,
so it raises ``CannotSample``. Imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import inspect
import math
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf


class CannotSample(Exception):
    """The data cannot be read without disturbing training; the message says what it is."""


@dataclass
class FitArguments:
    """The data arguments of one running ``fit`` call, as Keras uses them."""

    x: Any
    y: Any
    validation_data: Any  # a tuple, Dataset or PyDataset; the held-out part for a split
    validation_split: float = 0.0


def fit_arguments(model) -> FitArguments | None:
    """The arguments of the ``model.fit`` call that is running on this thread (the caller
    is one of its callbacks), or None when there is none."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == "fit":
                local = frame.f_locals
                if local.get("self") is model and "x" in local:
                    return FitArguments(local.get("x"), local.get("y"),
                                        local.get("validation_data"),
                                        float(local.get("validation_split") or 0.0))
            frame = frame.f_back
    finally:
        del frame
    return None


def held_out(args: FitArguments) -> Any:
    """The validation data ``fit`` evaluates on: its ``validation_data``, or the last
    ``validation_split`` of the training arrays (as Keras splits them), or None."""
    if args.validation_data is not None:
        return args.validation_data
    if not args.validation_split or not _is_arrays(args.x):
        return None
    n = len(tf.nest.flatten(args.x)[0])
    split_at = int(math.floor(n * (1.0 - args.validation_split)))
    if split_at in (0, n):
        return None
    cut = lambda a: None if a is None else a[split_at:]  # noqa: E731
    return tf.nest.map_structure(cut, args.x), tf.nest.map_structure(cut, args.y)


def _is_arrays(x) -> bool:
    leaves = tf.nest.flatten(x)
    return bool(leaves) and all(isinstance(a, (np.ndarray, tf.Tensor)) or
                                hasattr(a, "__array__") for a in leaves)


def describe(data) -> str:
    """A short name of a data argument's type, for messages."""
    return type(data).__name__


def _packed(data) -> bool:
    return (isinstance(data, (tuple, list)) and len(data) in (2, 3) and _is_arrays(data[0])
            and (data[1] is None or _is_arrays(data[1])))


def training_data(args: FitArguments) -> Any:
    """``fit``'s training data in the form ``sample`` takes: ``(x, y)`` for arrays, else
    the Dataset, PyDataset or generator itself."""
    return (args.x, args.y) if _is_arrays(args.x) else args.x


def sample(data, limit: int, *, consume: bool = False) -> tuple[Any, Any] | None:
    """At most ``limit`` samples of ``data`` as numpy ``(x, y)`` (``x`` may be nested, ``y``
    None when the data holds no targets), the first ones in the data's own order.

    ``data``: a tuple of arrays ``(x, y[, sample_weight])``, a ``tf.data.Dataset`` or a
    ``keras.utils.PyDataset`` of batches. Raises ``CannotSample`` for generators and other
    iterators (reading them would take batches from training) unless ``consume`` (the data
    was given to the hook itself): then any iterable of batches is read."""
    if data is None:
        return None
    if _packed(data):
        x, y = data[0], data[1]
        take = lambda a: np.asarray(a)[:limit]  # noqa: E731
        return (tf.nest.map_structure(take, x),
                None if y is None else tf.nest.map_structure(take, y))
    if isinstance(data, tf.data.Dataset):
        return _concat(data.as_numpy_iterator(), limit)
    if isinstance(data, keras.utils.PyDataset):
        count = data.num_batches
        batches = (data[i] for i in (range(count) if count is not None else _forever()))
        return _concat(batches, limit)
    if consume and hasattr(data, "__iter__"):
        return _concat(iter(data), limit)
    raise CannotSample(f"a {describe(data)}")


def _forever():
    i = 0
    while True:
        yield i
        i += 1


def _concat(batches, limit: int) -> tuple[Any, Any] | None:
    xs, ys, n = [], [], 0
    for batch in batches:
        if isinstance(batch, (tuple, list)) and len(batch) in (1, 2, 3):
            x, y = batch[0], batch[1] if len(batch) > 1 else None
        else:
            x, y = batch, None
        xs.append(tf.nest.map_structure(np.asarray, x))
        ys.append(None if y is None else tf.nest.map_structure(np.asarray, y))
        n += len(tf.nest.flatten(xs[-1])[0])
        if n >= limit:
            break
    if not xs:
        return None
    x = tf.nest.map_structure(lambda *a: np.concatenate(a)[:limit], *xs)
    y = None if ys[0] is None else tf.nest.map_structure(lambda *a: np.concatenate(a)[:limit],
                                                         *ys)
    return x, y


@dataclass
class Chosen:
    """The evaluation data ``choose`` found: numpy ``(x, y)`` or None, whether it is a
    training sample, and the warning lines about what is missing."""

    data: tuple[Any, Any] | None
    from_training: bool
    warnings: list[str]


def choose(validation, training, limit: int) -> Chosen:
    """At most ``limit`` samples of the ``validation`` data (read whatever its form: it was
    given for this), else of the ``training`` data (not from generators), with one warning
    line for each thing this leaves out and how to enable it."""
    notes: list[str] = []
    what = "probe batch, gradients, layer outputs and evaluation"
    for source, from_training in ((validation, False), (training, True)):
        if source is None:
            continue
        try:
            data = sample(source, limit, consume=not from_training)
        except CannotSample as err:
            notes.append(f"{what}: fit was given {err}, which cannot be read without taking "
                         "batches from training; pass validation_data= to fit or to Inspector")
            continue
        except Exception as err:  # noqa: BLE001 - logging must never stop training
            notes.append(f"{what}: reading the data failed ({type(err).__name__}: {err}); "
                         "pass validation_data=(x, y) arrays to Inspector")
            continue
        if data is None:
            continue
        if from_training:
            notes.append(f"evaluation: fit has no validation data, so the first "
                         f"{len(tf.nest.flatten(data[0])[0])} training samples are evaluated "
                         "(train run); pass validation_data= or validation_split= to fit to "
                         "evaluate held-out data")
        if data[1] is None:
            notes.append("gradients and evaluation: the data holds no targets; give fit "
                         "(x, y) pairs or pass validation_data=(x, y) to Inspector")
        return Chosen(data, from_training, notes)
    if validation is None and training is None:
        notes.append(f"{what}: no data; pass validation_data= to fit or to Inspector")
    return Chosen(None, False, notes)


# ------------------------------------------------------------------------------ signatures


def specs(found, model, *sources) -> tuple[Any, Any] | None:
    """``(x_spec, y_spec)`` to trace graphs for: ``found`` (e.g. the probe batch's) where it
    has a ``y_spec``, else the first of ``sources`` (data in ``sample``'s forms) that has,
    else the model's own signature (``model_specs``); ``y_spec`` None if none has one."""
    for source in sources:
        if found is None or found[1] is None:
            with contextlib.suppress(Exception):
                got = data_specs(source)
                if got is not None and (found is None or got[1] is not None):
                    found = got
    if found is None or found[1] is None:
        with contextlib.suppress(Exception):
            got = model_specs(model)
            if got is not None and (found is None or got[1] is not None):
                found = got if found is None else (found[0], got[1])
    return found



def _spec(shape, dtype) -> tf.TensorSpec:
    dtype = tf.as_dtype(dtype)
    if dtype == tf.float64:
        dtype = tf.float32
    return tf.TensorSpec((None, *shape[1:]), dtype)


def data_specs(data) -> tuple[Any, Any] | None:
    """``(x_spec, y_spec)`` of data in ``sample``'s forms without reading it where it can
    (arrays, a Dataset's ``element_spec``), else from its first batch (PyDataset); None if
    unknown. ``y_spec`` is None for data without targets."""
    if data is None:
        return None
    if _packed(data):
        x, y = data[0], data[1]
        spec = lambda a: _spec(np.shape(a), np.asarray(a[:1]).dtype)  # noqa: E731
        return (tf.nest.map_structure(spec, x),
                None if y is None else tf.nest.map_structure(spec, y))
    if isinstance(data, tf.data.Dataset):
        element = data.element_spec
        if isinstance(element, tuple) and len(element) in (2, 3):
            x, y = element[0], element[1]
        else:
            x, y = element, None
        relax = lambda s: _spec(s.shape.as_list(), s.dtype)  # noqa: E731
        return tf.nest.map_structure(relax, x), (None if y is None else
                                                 tf.nest.map_structure(relax, y))
    if isinstance(data, keras.utils.PyDataset):
        found = sample(data, 1)
        return data_specs(found) if found is not None else None
    return None


def model_specs(model) -> tuple[Any, Any] | None:
    """``(x_spec, y_spec)`` from the model alone: its symbolic inputs (Sequential and
    Functional models, or any model built on known shapes) and, for targets, the output's
    shape in the form its loss expects (class ids for sparse categorical losses); None
    when the model has no known inputs."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        x_spec = [_spec(t.shape, t.dtype) for t in inputs]
        x_spec = x_spec[0] if len(x_spec) == 1 else x_spec
    else:
        shapes = getattr(model, "_build_shapes_dict", None)
        if not shapes or len(shapes) != 1:
            return None
        shape = next(iter(shapes.values()))
        if not isinstance(shape, (tuple, list)) or not all(
                d is None or isinstance(d, int) for d in shape):
            return None
        x_spec = _spec(tuple(shape), "float32")
    try:
        out = model.compute_output_spec(tf.nest.map_structure(
            lambda s: keras.KerasTensor(s.shape, s.dtype.name), x_spec))
    except Exception:  # noqa: BLE001 - an exotic model: graphs without the training step
        return x_spec, None
    losses = tf.nest.flatten(getattr(model, "loss", None))

    def label(t, loss):
        name = loss if isinstance(loss, str) else getattr(loss, "name", "") or type(loss).__name__
        if "sparse" in str(name).lower():
            return tf.TensorSpec((None,), tf.int64)
        return _spec(t.shape, "float32")

    outs = tf.nest.flatten(out)
    y = [label(t, losses[i] if i < len(losses) else (losses[0] if losses else ""))
         for i, t in enumerate(outs)]
    return x_spec, y[0] if len(y) == 1 else y
