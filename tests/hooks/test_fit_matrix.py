"""The drop-in hook (``Inspector(logdir)``, no data given to it) logs everything from what
``fit`` already has, for every way of calling fit in ``fit_styles.CASES``: each case trains
once (one epoch) and its logdir is read back with Inspector's Store."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pytest
from tensorboard.compat.proto.graph_pb2 import GraphDef

import inspector
from inspector import cli
from inspector.evaluation import output_tag
from inspector.events import plugins as P
from inspector.hook_warnings import hook_warnings
from inspector.kinds import Kind, predictions
from inspector.probes import layer_paths
from inspector.store import Store
from tests.hooks import fit_styles, tiny

README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass
class Run:
    case: fit_styles.Case
    model: keras.Model
    hook: inspector.Inspector
    store: Store
    warned: list[str]


@pytest.fixture(scope="module", params=sorted(fit_styles.CASES))
def run(request, tmp_path_factory) -> Run:
    case = fit_styles.CASES[request.param]
    keras.utils.set_random_seed(0)
    model, fit_kwargs = case.build()
    logdir = tmp_path_factory.mktemp("fit")
    hook = inspector.Inspector(logdir, update_freq="epoch")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(**fit_kwargs, epochs=1, callbacks=[hook], verbose=0)
    store = Store(logdir)
    store.reload()
    warned = [str(w.message) for w in caught if str(w.message).startswith("Inspector:")]
    return Run(case, model, hook, store, warned)


def graph_nodes(store, run) -> list[str]:
    graph = GraphDef()
    graph.ParseFromString(store.graphs(run)[0].value)
    return [n.name for n in graph.node]


def test_op_graphs_of_the_training_step_and_of_inference(run):
    train = graph_nodes(run.store, "train")
    assert any(n.startswith("gradient_tape/") for n in train)
    assert any(n.startswith(f"{run.model.name}/") for n in train)
    inference = graph_nodes(run.store, "validation")
    assert not any(n.startswith("gradient_tape/") for n in inference)
    assert P.KERAS_MODEL_TAG in run.store.kinds("train")[P.KIND_KERAS_MODEL]
    assert run.hook.errors == []
    # The layers' calls were routed through the recorder during training, and are plain again.
    assert not any("call" in vars(layer) for layer in layer_paths(run.model).values())


def test_gradient_and_activation_histograms_or_the_warning(run):
    tags = run.store.kinds("train")[P.KIND_HISTOGRAMS]
    if run.case.evaluation_run is None:
        assert not any(t.startswith(P.TAG_GRADIENTS) for t in tags)
        return
    assert P.TAG_GRADIENTS + run.case.gradients in tags
    for layer in run.case.conv_layers:
        assert P.TAG_ACTIVATIONS + layer in tags
        points = run.store.series(P.KIND_HISTOGRAMS, "train", P.TAG_GRADIENTS + run.case.gradients)
        assert [p.step for p in points] == [0, 1]


def test_feature_maps_of_every_conv_layer(run):
    tags = run.store.kinds("train").get(P.KIND_ACTIVATIONS, [])
    if run.case.evaluation_run is None:
        assert tags == []
        return
    for layer in run.case.conv_layers:
        maps = run.store.series(P.KIND_ACTIVATIONS, "train", P.TAG_FEATURE_MAPS + layer)
        assert [p.step for p in maps] == [0, 1]
        assert maps[-1].value.ndim == 4 and len(maps[-1].value) == 4


def test_evaluation_of_every_output_with_probe_predictions_or_the_warning(run):
    case = run.case
    if case.evaluation_run is None:
        assert all(P.KIND_CONFUSION not in run.store.kinds(r) for r in run.store.runs())
        return
    kinds = run.store.kinds(case.evaluation_run)
    probe_images = run.store.series(P.KIND_IMAGES, "train", P.TAG_PROBE_INPUTS)
    for output in case.outputs:
        matrix = run.store.series(P.KIND_CONFUSION, case.evaluation_run,
                                  output_tag(P.TAG_CONFUSION, output))[-1].value
        assert matrix.sum() == case.eval_samples
        assert output_tag(P.TAG_ACCURACY, output) in kinds[P.KIND_SCALARS]
        found = run.store.series(Kind.PREDICTIONS, case.evaluation_run,
                                 output_tag(predictions.TAG, output))[-1].value
        assert len(found.true) == len(probe_images[0].value.encoded) == 32
        assert set(found.misclassified) <= set(range(32))


def test_what_cannot_be_logged_is_one_warning_line_that_info_shows(run, capsys):
    expected = run.case.warning
    shown = hook_warnings(run.store).get("train", [])
    if expected is None:
        assert shown == [] and run.warned == []
        return
    assert len(run.warned) == 1 and expected in run.warned[0]
    assert len(shown) == 1 and expected in shown[0]
    assert " to fit" in shown[0] or "Inspector" in shown[0]  # how to enable it
    cli.main(["info", str(run.store.logdir)])
    assert expected in capsys.readouterr().out


def readme_example() -> str:
    text = README.read_text()
    block = re.search(r"one callback records.*?```python\n(.*?)```", text, re.S)
    return block.group(1)


def test_the_readme_example_is_the_tuple_case(tmp_path, monkeypatch):
    """The README's snippet, run as written (logging to logs/my_run), logs graphs,
    gradients, feature maps and evaluation with nothing passed to the hook."""
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(0)
    model, fit_kwargs = fit_styles.tuple_sequential()
    x, y = fit_kwargs["x"], fit_kwargs["y"]
    xv, yv = fit_kwargs["validation_data"]
    exec(readme_example(), {"model": model, "x": x, "y": y, "xv": xv, "yv": yv})  # noqa: S102
    store = Store(tmp_path / "logs" / "my_run")
    store.reload()
    assert store.graphs("train") and store.graphs("validation")
    assert "gradients/conv/kernel" in store.kinds("train")[P.KIND_HISTOGRAMS]
    assert "feature_maps/conv" in store.kinds("train")[P.KIND_ACTIVATIONS]
    assert store.series(P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)[-1].value.sum() == \
        len(yv)


def test_validation_data_given_to_the_hook_wins_over_fits(tmp_path):
    x, y, xv, yv = tiny.data()
    model = fit_styles.compiled(tiny.sequential())
    hook = inspector.Inspector(tmp_path, validation_data=(xv[:24], yv[:24]))
    model.fit(x, y, validation_data=(xv, yv), epochs=1, callbacks=[hook], verbose=0)
    store = Store(tmp_path)
    store.reload()
    assert store.series(P.KIND_CONFUSION, "validation", P.TAG_CONFUSION)[-1].value.sum() == 24
    assert np.isfinite(store.scalars("validation", "epoch/loss").values).all()
