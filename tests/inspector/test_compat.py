"""Compatible both ways (first half): logs written by other writers open in Inspector with the
series, steps, wall times and values that TensorBoard's own loader reports for them.

The oracle is TensorBoard's ``plugin_event_accumulator`` keeping every point: each series it
holds must be in Inspector's store under the kind its plugin names, point for point, and
Inspector must hold no series of those kinds that TensorBoard does not. The writers are
tf.summary, the Keras TensorBoard callback, tf.compat.v1 graph-mode summaries and
tensorboardX, all writing into tmp_path here, and PyTorch, whose logs are a committed fixture
(``tests/fixtures/make_torch_fixture.py`` says why and how to refresh them).
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator as legacy_ea
from tensorboard.backend.event_processing import io_wrapper
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
from tensorboard.compat.proto import config_pb2, graph_pb2
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

from inspector.events import plugins as P
from inspector.events.decode import ImageValue
from inspector.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STEPS = 3

# The store kind each TensorBoard plugin's series belongs to. TensorBoard's loader turns an
# Event.graph_def into a "__run_graph__" series of plugin "graphs" and an Event's
# tagged_run_metadata into a "graph_tagged_run_metadata" series; Inspector keeps the graph
# under tag "" and all three run-metadata forms under one kind.
KIND_OF_PLUGIN = {
    "scalars": P.KIND_SCALARS,
    "histograms": P.KIND_HISTOGRAMS,
    "images": P.KIND_IMAGES,
    "audio": P.KIND_AUDIO,
    "text": P.KIND_TEXT,
    "pr_curves": P.KIND_PR_CURVES,
    "hparams": P.KIND_HPARAMS,
    "graphs": P.KIND_GRAPHS,
    "graph_keras_model": P.KIND_KERAS_MODEL,
    "graph_run_metadata": P.KIND_RUN_METADATA,
    "graph_run_metadata_graph": P.KIND_RUN_METADATA,
    "graph_tagged_run_metadata": P.KIND_RUN_METADATA,
}

Series = dict[tuple[str, str], list[tuple[int, float, Any]]]  # (kind, tag) -> points

# ---------------------------------------------------------------- the two views of a logdir
def tensorboard_runs(logdir: Path) -> dict[str, Series]:
    """{run: series} as TensorBoard's loader holds them, in the store's kinds and value forms."""
    runs = {}
    for run_dir in io_wrapper.GetLogdirSubdirectories(str(logdir)):
        acc = pea.EventAccumulator(run_dir, size_guidance={k: 0 for k in pea.DEFAULT_SIZE_GUIDANCE},
                                   tensor_size_guidance={})
        acc.Reload()
        series: Series = {}
        for tag in acc.Tags()["tensors"]:
            meta = acc.SummaryMetadata(tag).plugin_data
            points = [(e.step, e.wall_time, tensor_util.make_ndarray(e.tensor_proto))
                      for e in acc.Tensors(tag)]
            series.update(as_store_series(meta.plugin_name, meta.content, tag, points))
        runs[Path(os.path.relpath(run_dir, logdir)).as_posix()] = series
    return runs


def as_store_series(plugin: str, content: bytes, tag: str, points) -> Series:
    kind = KIND_OF_PLUGIN.get(plugin, P.KIND_TENSORS)
    return {(kind, "" if kind == P.KIND_GRAPHS else tag):
            [(step, wall, store_value(kind, content, array)) for step, wall, array in points]}


def store_value(kind: str, content: bytes, array: np.ndarray) -> Any:
    """What the store should hand out for one of TensorBoard's tensors of ``kind``."""
    flat = array.reshape(-1)
    if kind == P.KIND_SCALARS:
        return float(array.item())
    if kind == P.KIND_IMAGES:
        return ImageValue(int(flat[0]), int(flat[1]), [bytes(b) for b in flat[2:]])
    if kind == P.KIND_TEXT:
        return np.array([b.decode() for b in flat], dtype=object).reshape(array.shape)
    if kind == P.KIND_KERAS_MODEL:
        return flat[0].decode()
    if kind in (P.KIND_GRAPHS, P.KIND_RUN_METADATA):
        return bytes(flat[0])
    if kind == P.KIND_HPARAMS:
        return hparams_as_dict(content)
    return array  # histograms, pr curves, generic tensors


def hparams_as_dict(content: bytes) -> dict:
    """The hparams plugin data in the store's dict form, parsed with TensorBoard's proto."""
    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    which = data.WhichOneof("data")
    if which == "experiment":
        return {"experiment": {"hparams": [h.name for h in data.experiment.hparam_infos],
                               "metrics": [m.name.tag for m in data.experiment.metric_infos]}}
    if which == "session_start_info":
        info = data.session_start_info
        values = {k: getattr(v, v.WhichOneof("kind")) if v.WhichOneof("kind") else None
                  for k, v in info.hparams.items()}
        return {"session_start": {"hparams": values, "group_name": info.group_name,
                                  "start_time_secs": info.start_time_secs}}
    end = data.session_end_info
    return {"session_end": {"status": end.status, "end_time_secs": end.end_time_secs}}


def inspector_runs(store: Store) -> dict[str, Series]:
    runs = {}
    for run in store.runs():
        series: Series = {}
        for kind, tags in store.kinds(run).items():
            for tag in tags:
                if kind == P.KIND_SCALARS:
                    s = store.scalars(run, tag)
                    points = list(zip(s.steps.tolist(), s.wall_times.tolist(), s.values.tolist(),
                                      strict=True))
                else:
                    points = [(p.step, p.wall_time, p.value) for p in store.series(kind, run, tag)]
                series[(kind, tag)] = points
        runs[run] = series
    return runs


def load_both(logdir: Path) -> SimpleNamespace:
    store = Store(logdir)
    store.reload()
    return SimpleNamespace(store=store, inspector=inspector_runs(store),
                           tensorboard=tensorboard_runs(logdir))


# ---------------------------------------------------------------- comparison
def assert_same_series(inspector: dict[str, Series], tensorboard: dict[str, Series],
                       kinds: set[str] | None = None) -> None:
    """Same runs; the same series (of ``kinds``, or all) with equal steps, wall times and
    values."""
    __tracebackhide__ = True
    assert sorted(inspector) == sorted(tensorboard), "runs differ"
    for run, want in tensorboard.items():
        want = {k: v for k, v in want.items() if kinds is None or k[0] in kinds}
        got = {k: v for k, v in inspector[run].items() if kinds is None or k[0] in kinds}
        assert sorted(got) == sorted(want), f"run {run!r}: series differ"
        for key, want_points in want.items():
            where = f"run {run!r} {key[0]} {key[1]!r}"
            got_points = got[key]
            assert [p[:2] for p in got_points] == [p[:2] for p in want_points], \
                f"{where}: steps or wall times differ"
            for (step, _, g), (_, _, w) in zip(got_points, want_points, strict=True):
                assert_same_value(g, w, f"{where} step {step}")


def assert_same_value(got: Any, want: Any, where: str) -> None:
    __tracebackhide__ = True
    if isinstance(want, np.ndarray):
        got = np.asarray(got)
        assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
        if want.dtype == object:
            assert got.tolist() == want.tolist(), where
        else:
            # TensorBoard holds legacy histograms as float32; compare at its precision.
            np.testing.assert_array_equal(got.astype(want.dtype), want, err_msg=where)
    else:
        assert got == want, where


def assert_read_cleanly(store: Store) -> None:
    assert store.damage() == {}
    assert store.purges() == []
    for run in store.runs():
        assert store.decode_errors(run) == [], run


def only_run(runs: dict[str, Series], run: str) -> dict[str, Series]:
    return {run: runs[run]}


def tags_of(series: Series, kind: str) -> set[str]:
    return {tag for k, tag in series if k == kind}


# ---------------------------------------------------------------- writers
@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def tf_summary_logs(tf, tmp_path_factory):
    """tf.summary (TF2) scalars, histograms, images, text and a graph; a trace in run "trace"."""
    logdir = tmp_path_factory.mktemp("tf_summary")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(STEPS, 2, 4, 5, 3), dtype=np.uint8)

    @tf.function
    def layer(x):
        return tf.nn.relu(tf.matmul(x, x) + 1.0)

    graph = layer.get_concrete_function(tf.TensorSpec([2, 2], tf.float32)).graph
    with tf.summary.create_file_writer(str(logdir)).as_default() as writer:
        for step in range(STEPS):
            tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
            tf.summary.histogram("weights", rng.normal(size=50) * (step + 1), step=step, buckets=6)
            tf.summary.image("samples", pixels[step], step=step, max_outputs=2)
            tf.summary.text("note", f"step **{step}** of {STEPS}", step=step)
        tf.summary.graph(graph)
        writer.flush()
    with tf.summary.create_file_writer(str(logdir / "trace")).as_default() as writer:
        tf.summary.trace_on(graph=True)
        layer(tf.ones([2, 2]))
        tf.summary.trace_export("layer_trace", step=0)
        writer.flush()
    return SimpleNamespace(**vars(load_both(logdir)), pixels=pixels,
                           node_names=sorted(n.name for n in graph.as_graph_def().node))


def test_tf_summary_scalars_histograms_and_text_equal_tensorboards(tf_summary_logs):
    logs = tf_summary_logs
    assert_read_cleanly(logs.store)
    assert tags_of(logs.inspector["."], P.KIND_SCALARS) == {"loss"}
    assert_same_series(logs.inspector, logs.tensorboard,
                       {P.KIND_SCALARS, P.KIND_HISTOGRAMS, P.KIND_TEXT})
    assert logs.store.series(P.KIND_TEXT, ".", "note")[1].value.tolist() == "step **1** of 3"


def test_tf_summary_images_equal_tensorboards_and_decode_to_the_pixels_written(tf_summary_logs):
    logs = tf_summary_logs
    assert_same_series(logs.inspector, logs.tensorboard, {P.KIND_IMAGES})
    points = logs.store.series(P.KIND_IMAGES, ".", "samples")
    assert [p.step for p in points] == list(range(STEPS))
    for p in points:
        assert (p.value.width, p.value.height) == (5, 4)
        decoded = [np.asarray(Image.open(io.BytesIO(png))) for png in p.value.encoded]
        np.testing.assert_array_equal(np.stack(decoded), logs.pixels[p.step])


def test_tf_summary_graph_equals_tensorboards_and_names_the_functions_nodes(tf_summary_logs):
    logs = tf_summary_logs
    assert_same_series(logs.inspector, logs.tensorboard, {P.KIND_GRAPHS})
    (point,) = logs.store.graphs(".")
    graph = graph_pb2.GraphDef.FromString(point.value)
    assert sorted(n.name for n in graph.node) == logs.node_names


def test_tf_trace_export_is_read_as_run_metadata_holding_the_traced_graph(tf_summary_logs):
    logs = tf_summary_logs
    assert_same_series(logs.inspector, logs.tensorboard,
                       {P.KIND_RUN_METADATA, P.KIND_TENSORS})
    (point,) = logs.store.series(P.KIND_RUN_METADATA, "trace", "layer_trace")
    metadata = config_pb2.RunMetadata.FromString(point.value)
    traced = {n.name for f in metadata.function_graphs for n in f.pre_optimization_graph.node}
    assert {"MatMul", "Relu"} <= traced


# ---------------------------------------------------------------- Keras callback
@pytest.fixture(scope="module")
def keras_logs(tf, tmp_path_factory):
    """Two epochs of a tiny conv net with every option of the stock TensorBoard callback."""
    logdir = tmp_path_factory.mktemp("keras_callback")
    keras = tf.keras
    rng = np.random.default_rng(0)
    x = rng.random((32, 4, 4, 1), dtype=np.float32)
    y = rng.integers(0, 2, size=32)
    # Named, so tags do not depend on how many models this process built before.
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(3, 2, name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(2, name="dense")],
                             name="sequential")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = keras.callbacks.TensorBoard(str(logdir), histogram_freq=1, write_graph=True,
                                           write_images=True, update_freq="batch")
    model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0,
              callbacks=[callback])
    return load_both(logdir)


def test_keras_callback_train_and_validation_runs_equal_tensorboards(keras_logs):
    logs = keras_logs
    assert_read_cleanly(logs.store)
    assert logs.store.runs() == ["train", "validation"]
    train, validation = logs.tensorboard["train"], logs.tensorboard["validation"]
    # Not vacuous: the callback wrote what it says it writes, and TensorBoard sees it.
    assert {"epoch_loss", "epoch_accuracy", "batch_loss"} <= tags_of(train, P.KIND_SCALARS)
    assert {"epoch_loss", "epoch_accuracy"} <= tags_of(validation, P.KIND_SCALARS)
    assert "sequential/conv/kernel/histogram" in tags_of(train, P.KIND_HISTOGRAMS)
    assert "sequential/conv/kernel/image" in tags_of(train, P.KIND_IMAGES)
    assert tags_of(train, P.KIND_KERAS_MODEL) == {"keras"}
    assert_same_series(logs.inspector, logs.tensorboard)
    (model,) = logs.store.series(P.KIND_KERAS_MODEL, "train", "keras")
    assert json.loads(model.value)["class_name"] == "Sequential"


# ---------------------------------------------------------------- tf.compat.v1, graph mode
@pytest.fixture(scope="module")
def tf1_logs(tf, tmp_path_factory):
    """Graph-mode summaries through tf.compat.v1.summary.FileWriter (which strips the metadata
    of every value after a tag's first). Run "v1_tensors" holds tensor-form scalars written
    by TensorBoard's own v1 summary op."""
    from tensorboard.summary import v1 as tb_v1

    logdir = tmp_path_factory.mktemp("tf1")
    v1 = tf.compat.v1
    rng = np.random.default_rng(0)
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [None], name="inputs")
        image = v1.placeholder(tf.uint8, [1, 3, 4, 1], name="pixels")
        v1.summary.scalar("mean", tf.reduce_mean(x))
        v1.summary.histogram("x", x)
        v1.summary.image("image", image)
        v1.summary.text("note", tf.strings.format("mean {}", tf.reduce_mean(x)))
        merged = v1.summary.merge_all()
        tensor_scalar = tb_v1.scalar("tensor_mean", tf.reduce_mean(x))
        with v1.Session(graph=graph) as session:
            writer = v1.summary.FileWriter(str(logdir), graph)
            tensors_writer = v1.summary.FileWriter(str(logdir / "v1_tensors"))
            for step in range(STEPS):
                feed = {x: rng.normal(size=40) + step,
                        image: rng.integers(0, 256, size=(1, 3, 4, 1), dtype=np.uint8)}
                options = v1.RunOptions(trace_level=v1.RunOptions.FULL_TRACE)
                run_metadata = v1.RunMetadata()
                summary, tensor_summary = session.run([merged, tensor_scalar], feed,
                                                      options=options, run_metadata=run_metadata)
                writer.add_summary(summary, step)
                tensors_writer.add_summary(tensor_summary, step)
            writer.add_run_metadata(run_metadata, "last_step", STEPS - 1)
            writer.close()
            tensors_writer.close()
    logs = load_both(logdir)
    legacy = legacy_ea.EventAccumulator(str(logdir), size_guidance={
        k: 0 for k in legacy_ea.DEFAULT_SIZE_GUIDANCE})
    legacy.Reload()
    return SimpleNamespace(**vars(logs), legacy=legacy)


def test_tf1_simple_values_equal_tensorboards(tf1_logs):
    logs = tf1_logs
    assert_read_cleanly(logs.store)
    assert_same_series(only_run(logs.inspector, "."), only_run(logs.tensorboard, "."),
                       {P.KIND_SCALARS})
    # The legacy loader hands out the simple_value itself: equal as float32 widened to double.
    (tag,) = logs.legacy.Tags()["scalars"]
    s = logs.store.scalars(".", tag)
    legacy = logs.legacy.Scalars(tag)
    assert s.steps.tolist() == [e.step for e in legacy]
    assert s.wall_times.tolist() == [e.wall_time for e in legacy]
    assert s.values.tolist() == [e.value for e in legacy]


def test_tf1_histogram_protos_equal_tensorboards_buckets(tf1_logs):
    logs = tf1_logs
    assert_same_series(only_run(logs.inspector, "."), only_run(logs.tensorboard, "."),
                       {P.KIND_HISTOGRAMS})


def test_tf1_histogram_protos_keep_count_min_and_max(tf1_logs):
    logs = tf1_logs
    legacy = logs.legacy.Histograms("x")
    points = logs.store.series(P.KIND_HISTOGRAMS, ".", "x")
    assert [p.step for p in points] == [e.step for e in legacy]
    for p, e in zip(points, legacy, strict=True):
        buckets = p.value
        assert buckets[:, 2].sum() == e.histogram_value.num
        assert buckets[0, 0] == e.histogram_value.min
        assert buckets[-1, 1] == e.histogram_value.max
        assert np.all(buckets[:, 0] <= buckets[:, 1]), "a bucket's left edge is past its right"


def test_tf1_images_text_graph_and_run_metadata_equal_tensorboards(tf1_logs):
    logs = tf1_logs
    assert_same_series(only_run(logs.inspector, "."), only_run(logs.tensorboard, "."),
                       {P.KIND_IMAGES, P.KIND_TEXT, P.KIND_GRAPHS, P.KIND_RUN_METADATA})
    (graph,) = logs.store.graphs(".")
    names = {n.name for n in graph_pb2.GraphDef.FromString(graph.value).node}
    assert {"inputs", "pixels", "Mean"} <= names
    assert [p.step for p in logs.store.series(P.KIND_RUN_METADATA, ".", "last_step")] == [2]


def test_tf1_tensor_scalars_stay_scalars_when_filewriter_strips_their_metadata(tf1_logs):
    logs = tf1_logs
    want = only_run(logs.tensorboard, "v1_tensors")
    assert list(want["v1_tensors"]) == [(P.KIND_SCALARS, "tensor_mean/scalar_summary")]
    assert_same_series(only_run(logs.inspector, "v1_tensors"), want)


def test_tensor_scalars_whose_later_events_carry_no_metadata_stay_scalars(tmp_path):
    # The same case without TensorFlow: what tf.compat.v1's FileWriter writes for tensor-form
    # scalars (metadata on a tag's first value only), through TensorBoard's own writer.
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(tmp_path))
    for step in range(STEPS):
        summary = scalar_pb("loss", 1.0 / (step + 1))
        if step:
            summary.value[0].ClearField("metadata")
        writer.add_event(event_pb2.Event(step=step, wall_time=100.0 + step, summary=summary))
    writer.close()
    logs = load_both(tmp_path)
    assert list(logs.tensorboard["."]) == [(P.KIND_SCALARS, "loss")]
    assert_same_series(logs.inspector, logs.tensorboard)


# ---------------------------------------------------------------- tensorboardX
@pytest.fixture(scope="module")
def tensorboardx_logs(tmp_path_factory):
    from tensorboardX import SummaryWriter

    logdir = tmp_path_factory.mktemp("tensorboardx")
    rng = np.random.default_rng(0)
    with SummaryWriter(str(logdir)) as w:
        for step in range(STEPS):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_scalars("acc", {"train": 0.5 + 0.1 * step, "val": 0.4 + 0.1 * step}, step)
            w.add_histogram("weights", rng.normal(size=100) * (step + 1), step)
            w.add_image("sample", rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8), step)
            w.add_text("note", f"step **{step}**", step)
            w.add_pr_curve("pr", rng.integers(0, 2, size=20), rng.random(20), step,
                           num_thresholds=5)
        w.add_hparams({"lr": 0.01, "optimizer": "adam", "layers": 2}, {"hparam/acc": 0.75},
                      name="hparams")
    return load_both(logdir)


def test_tensorboardx_scalars_and_add_scalars_runs_equal_tensorboards(tensorboardx_logs):
    logs = tensorboardx_logs
    assert_read_cleanly(logs.store)
    assert sorted(logs.tensorboard) == [".", "acc/train", "acc/val", "hparams"]
    assert_same_series(logs.inspector, logs.tensorboard, {P.KIND_SCALARS})


def test_tensorboardx_histograms_equal_tensorboards(tensorboardx_logs):
    assert_same_series(tensorboardx_logs.inspector, tensorboardx_logs.tensorboard,
                       {P.KIND_HISTOGRAMS})


def test_tensorboardx_images_text_and_pr_curves_equal_tensorboards(tensorboardx_logs):
    logs = tensorboardx_logs
    assert_same_series(logs.inspector, logs.tensorboard,
                       {P.KIND_IMAGES, P.KIND_TEXT, P.KIND_PR_CURVES, P.KIND_TENSORS})
    assert tags_of(logs.inspector["."], P.KIND_PR_CURVES) == {"pr"}


def test_tensorboardx_hparams_equal_tensorboards(tensorboardx_logs):
    logs = tensorboardx_logs
    assert_same_series(logs.inspector, logs.tensorboard, {P.KIND_HPARAMS})
    (start,) = logs.store.series(P.KIND_HPARAMS, "hparams", P.HPARAMS_SESSION_START_TAG)
    assert start.value["session_start"]["hparams"] == {"lr": 0.01, "optimizer": "adam",
                                                       "layers": 2}


# ---------------------------------------------------------------- PyTorch (committed fixture)
def recorded_torch_view() -> dict[str, Series]:
    """tests/fixtures/torch_expected.json: what TensorBoard's loader read when it was made."""
    recorded = json.loads((FIXTURES / "torch_expected.json").read_text())
    runs = {}
    for run, tags in recorded["runs"].items():
        series: Series = {}
        for tag, s in tags.items():
            points = []
            for step, wall, shape, dtype, values in s["points"]:
                if dtype == "object":
                    array = np.array([base64.b64decode(v) for v in values], dtype=object)
                else:
                    array = np.array(values, dtype=dtype)
                points.append((step, wall, array.reshape(shape)))
            series.update(as_store_series(s["plugin"], base64.b64decode(s["content"]), tag,
                                          points))
        runs[run] = series
    return runs


@pytest.fixture(scope="module")
def torch_logs():
    logs = load_both(FIXTURES / "torch_logs")
    return SimpleNamespace(**vars(logs), recorded=recorded_torch_view())


@pytest.mark.parametrize("oracle", ["recorded", "tensorboard"])
def test_torch_scalars_images_text_pr_curves_and_graph_equal_tensorboards(torch_logs, oracle):
    logs = torch_logs
    assert_read_cleanly(logs.store)
    kinds = {P.KIND_SCALARS, P.KIND_IMAGES, P.KIND_TEXT, P.KIND_PR_CURVES, P.KIND_GRAPHS,
             P.KIND_RUN_METADATA, P.KIND_TENSORS}
    assert_same_series(logs.inspector, getattr(logs, oracle), kinds)


@pytest.mark.parametrize("oracle", ["recorded", "tensorboard"])
def test_torch_histograms_equal_tensorboards(torch_logs, oracle):
    assert_same_series(torch_logs.inspector, getattr(torch_logs, oracle), {P.KIND_HISTOGRAMS})


@pytest.mark.parametrize("oracle", ["recorded", "tensorboard"])
def test_torch_hparams_equal_tensorboards(torch_logs, oracle):
    assert_same_series(torch_logs.inspector, getattr(torch_logs, oracle), {P.KIND_HPARAMS})


def test_torch_graph_names_the_modules_layers(torch_logs):
    (graph,) = torch_logs.store.graphs(".")
    names = [n.name for n in graph_pb2.GraphDef.FromString(graph.value).node]
    recorded = json.loads((FIXTURES / "torch_expected.json").read_text())
    assert names == recorded["runs"]["."]["__run_graph__"]["node_names"]
    assert any("Conv2d[conv]" in n for n in names) and any("Linear[fc]" in n for n in names)


def test_torch_fixture_is_still_what_tensorboard_reads(torch_logs):
    assert_same_series(torch_logs.recorded, torch_logs.tensorboard)
