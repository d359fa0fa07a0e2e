"""SummaryWriter writes files TensorBoard's own loaders read back unchanged.

Every test writes a real run into ``tmp_path`` and reads it with TensorBoard's
``event_accumulator`` (legacy fields) or ``plugin_event_accumulator`` (TF2 tensors). Tests that
compare against TensorFlow import it inside the test only.
"""

import hashlib
import io
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator, plugin_event_accumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import summary_v2 as hparams_summary
from tensorboard.plugins.pr_curve import metadata as pr_metadata
from tensorboard.util import tensor_util

import inspector.summary as summary_module
from inspector.errors import InspectorError
from inspector.events import plugins
from inspector.events.framing import scan_buffer
from inspector.events.proto import event_pb2, graph_pb2
from inspector.summary import SummaryWriter, png_encode


def load_tensors(logdir) -> plugin_event_accumulator.EventAccumulator:
    """TensorBoard's TF2-era loader, keeping every event of every plugin."""
    acc = plugin_event_accumulator.EventAccumulator(
        str(logdir), size_guidance=dict(plugin_event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE)
    )
    acc.Reload()
    return acc


def load_legacy(logdir) -> event_accumulator.EventAccumulator:
    """TensorBoard's legacy loader (graphs, run metadata, tensors), keeping everything."""
    guidance = {kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE}
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance=guidance)
    acc.Reload()
    return acc


def values_of(acc, tag) -> list[tuple[int, np.ndarray]]:
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def event_files(logdir) -> list[str]:
    return sorted(name for name in os.listdir(logdir) if name.startswith(plugins.FILE_PREFIX))


def read_events(path) -> list[event_pb2.Event]:
    data = open(path, "rb").read()
    scan = scan_buffer(data)
    assert not scan.damage and not scan.incomplete and scan.stop == len(data)
    events, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 8], "little")
        events.append(event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length]))
        offset += length + 16
    return events


# ----- summary kinds ------------------------------------------------------------------


def test_scalars_read_back_by_tensorboard_with_step_wall_time_and_plugin(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.scalar("loss", 1.0 / (step + 1), step, wall_time=1000.0 + step)
        writer.scalar("acc", np.float64(0.25), 7, description="top-1")
    acc = load_tensors(tmp_path)
    loss = acc.Tensors("loss")
    assert [e.step for e in loss] == list(range(5))
    assert [e.wall_time for e in loss] == [1000.0 + s for s in range(5)]
    assert [float(tensor_util.make_ndarray(e.tensor_proto)) for e in loss] == [
        np.float32(1.0 / (s + 1)) for s in range(5)
    ]
    assert loss[0].tensor_proto.dtype == 1 and not loss[0].tensor_proto.tensor_shape.dim
    meta = acc.SummaryMetadata("acc")
    assert meta.plugin_data.plugin_name == "scalars"
    assert meta.summary_description == "top-1"
    assert values_of(acc, "acc") == [(7, np.float32(0.25))]


def test_scalar_rejects_arrays_and_strings(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        with pytest.raises(InspectorError, match="one real number"):
            writer.scalar("x", [1.0, 2.0], 0)
        with pytest.raises(InspectorError, match="one real number"):
            writer.scalar("x", "1.0", 0)


def test_histograms_read_back_as_k_by_3_float64_buckets(tmp_path):
    data = np.arange(10.0)
    with SummaryWriter(tmp_path) as writer:
        writer.histogram("w", data, 3, buckets=5)
        writer.histogram_buckets("pre", [[0.0, 1.0, 4.0], [1.0, 2.0, 6.0]], 4)
    acc = load_tensors(tmp_path)
    assert acc.SummaryMetadata("w").plugin_data.plugin_name == "histograms"
    ((step, got),) = values_of(acc, "w")
    assert step == 3 and got.dtype == np.float64
    np.testing.assert_array_equal(got[:, 0], [0, 1.8, 3.6, 5.4, 7.2])
    np.testing.assert_array_equal(got[:, 1], [1.8, 3.6, 5.4, 7.2, 9.0])
    np.testing.assert_array_equal(got[:, 2], [2, 2, 2, 2, 2])  # last bucket holds the max
    np.testing.assert_array_equal(values_of(acc, "pre")[0][1], [[0, 1, 4], [1, 2, 6]])


def test_histogram_buckets_are_bit_identical_to_tf_summary_histogram(tmp_path):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    cases = {
        "normal": (rng.normal(size=1000), 30),
        "uniform_odd_range": (rng.uniform(-3.7, 11.3, size=(20, 17)), 30),
        "ints": (rng.integers(-5, 50, size=300), 7),
        "one_bucket": (rng.normal(size=50), 1),
        "many_buckets": (rng.exponential(size=2000), 97),
        "all_equal": (np.full(12, 2.5), 4),
        "single": (np.array([-1.25]), 30),
        "empty": (np.zeros(0), 30),
        "zero_buckets": (np.arange(5.0), 0),
    }
    tf_dir, ours_dir = tmp_path / "tf", tmp_path / "ours"
    tf_writer = tf.summary.create_file_writer(str(tf_dir))
    with tf_writer.as_default():
        for tag, (data, buckets) in cases.items():
            tf.summary.histogram(tag, data, step=1, buckets=buckets)
    tf_writer.close()
    with SummaryWriter(ours_dir) as writer:
        for tag, (data, buckets) in cases.items():
            writer.histogram(tag, data, 1, buckets=buckets)
    theirs, ours = load_tensors(tf_dir), load_tensors(ours_dir)
    for tag in cases:
        expected, got = values_of(theirs, tag)[0][1], values_of(ours, tag)[0][1]
        assert got.shape == expected.shape, tag
        np.testing.assert_array_equal(got, expected, err_msg=tag)
    assert values_of(ours, "empty")[0][1].shape == (30, 3)  # TF writes k zero rows, not [0, 3]


def test_images_decode_back_to_the_same_pixels(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(4, 5, 7, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, size=(6, 8), dtype=np.uint8)
    rgba = rng.integers(0, 256, size=(3, 2, 4), dtype=np.uint8)
    floats = rng.uniform(-0.2, 1.2, size=(1, 3, 3, 1)).astype(np.float32)
    with SummaryWriter(tmp_path) as writer:
        writer.image("rgb", rgb, 0, max_outputs=3)
        writer.image("grey", grey, 0)
        writer.image("rgba", rgba, 0)
        writer.image("floats", floats, 0)
    acc = load_tensors(tmp_path)
    assert acc.SummaryMetadata("rgb").plugin_data.plugin_name == "images"

    def decoded(tag):
        strings = values_of(acc, tag)[0][1]
        width, height = int(strings[0]), int(strings[1])
        return width, height, [np.asarray(Image.open(io.BytesIO(png))) for png in strings[2:]]

    width, height, images = decoded("rgb")
    assert (width, height, len(images)) == (7, 5, 3)  # max_outputs keeps the first three
    for got, want in zip(images, rgb, strict=False):
        np.testing.assert_array_equal(got, want)
    width, height, (image,) = decoded("grey")
    assert (width, height) == (8, 6)
    np.testing.assert_array_equal(image, grey)
    np.testing.assert_array_equal(decoded("rgba")[2][0], rgba)
    expected = np.clip(floats[0, :, :, 0] * np.float32(255.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded("floats")[2][0], expected)


def test_float_images_convert_to_the_same_pixels_as_tf_summary_image(tmp_path):
    import tensorflow as tf

    floats = np.random.default_rng(2).uniform(-0.1, 1.1, size=(2, 4, 5, 3)).astype(np.float32)
    tf_writer = tf.summary.create_file_writer(str(tmp_path / "tf"))
    with tf_writer.as_default():
        tf.summary.image("img", floats, step=0)
    tf_writer.close()
    with SummaryWriter(tmp_path / "ours") as writer:
        writer.image("img", floats, 0)
    theirs = values_of(load_tensors(tmp_path / "tf"), "img")[0][1]
    ours = values_of(load_tensors(tmp_path / "ours"), "img")[0][1]
    assert list(ours[:2]) == list(theirs[:2])
    for a, b in zip(ours[2:], theirs[2:], strict=True):
        np.testing.assert_array_equal(Image.open(io.BytesIO(a)), Image.open(io.BytesIO(b)))


def test_png_encode_round_trips_and_rejects_bad_shapes():
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png_encode(pixels)))), pixels)
    with pytest.raises(InspectorError, match="C in 1..4"):
        png_encode(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(InspectorError, match="uint8 or float"):
        png_encode(np.zeros((2, 2), np.int32))


def test_text_reads_back_as_string_tensors_of_the_same_shape(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.text("note", "**héllo**", 2)
        writer.text("table", [["a", "b"], ["c", "d"]], 3)
    acc = load_tensors(tmp_path)
    assert acc.SummaryMetadata("note").plugin_data.plugin_name == "text"
    ((step, note),) = values_of(acc, "note")
    assert step == 2 and note.shape == () and note.item() == "**héllo**".encode()
    table = values_of(acc, "table")[0][1]
    assert table.tolist() == [[b"a", b"b"], [b"c", b"d"]]


def test_generic_tensor_keeps_dtype_shape_and_plugin_metadata(tmp_path):
    kernel = np.arange(24, dtype=np.float16).reshape(2, 3, 1, 4)
    content = json.dumps({"layer": "conv1", "shape": [2, 3, 1, 4]}).encode()
    with SummaryWriter(tmp_path) as writer:
        writer.tensor(
            "conv1/kernel", kernel, 5, plugin_name=plugins.KERNELS, plugin_content=content
        )
        writer.tensor("raw", np.array([[1, 2], [3, 4]], dtype=np.int64), 6)
    acc = load_tensors(tmp_path)
    ((step, got),) = values_of(acc, "conv1/kernel")
    assert step == 5 and got.dtype == np.float16
    np.testing.assert_array_equal(got, kernel)
    meta = acc.SummaryMetadata("conv1/kernel")
    assert (meta.plugin_data.plugin_name, meta.plugin_data.content) == (plugins.KERNELS, content)
    legacy = load_legacy(tmp_path)
    np.testing.assert_array_equal(
        tensor_util.make_ndarray(legacy.Tensors("raw")[0].tensor_proto), [[1, 2], [3, 4]]
    )


def test_pr_curve_equals_tensorboard_pr_curve_summary_pb(tmp_path):
    import tensorflow as tf
    from tensorboard.plugins.pr_curve import summary as pr_summary

    rng = np.random.default_rng(3)
    labels = rng.random(400) < 0.4
    predictions = rng.random(400).astype(np.float32)
    weights = rng.uniform(0.5, 2.0, size=400).astype(np.float32)
    with SummaryWriter(tmp_path) as writer:
        writer.pr_curve("eval/pr", labels, predictions, 9)
        writer.pr_curve("eval/pr_w", labels, predictions, 9, num_thresholds=11, weights=weights)
    acc = load_tensors(tmp_path)
    for tag, kwargs in (("eval/pr", {}), ("eval/pr_w", {"num_thresholds": 11, "weights": weights})):
        expected_pb = pr_summary.pb("x", labels, predictions, **kwargs)
        expected = tf.make_ndarray(expected_pb.value[0].tensor)
        ((step, got),) = values_of(acc, tag)
        assert step == 9 and got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        meta = acc.SummaryMetadata(tag)
        assert meta.plugin_data.plugin_name == "pr_curves"
        parsed = pr_metadata.parse_plugin_metadata(meta.plugin_data.content)
        assert parsed.num_thresholds == kwargs.get("num_thresholds", 201)


def test_graph_def_lands_in_the_event_graph_field(tmp_path):
    graph = graph_pb2.GraphDef(
        node=[
            graph_pb2.NodeDef(name="input", op="Placeholder"),
            graph_pb2.NodeDef(name="dense/MatMul", op="MatMul", input=["input"]),
        ]
    )
    with SummaryWriter(tmp_path / "message") as writer:
        writer.graph_def(graph)
    with SummaryWriter(tmp_path / "bytes") as writer:
        writer.graph_def(graph.SerializeToString(), step=3)
    for run in ("message", "bytes"):
        names = [node.name for node in load_legacy(tmp_path / run).Graph().node]
        assert names == ["input", "dense/MatMul"]


def test_keras_model_json_is_written_as_keras_does(tmp_path):
    model_json = json.dumps({"class_name": "Sequential", "config": {"name": "mlp", "layers": []}})
    with SummaryWriter(tmp_path) as writer:
        writer.keras_model(model_json)
        with pytest.raises(InspectorError, match="JSON"):
            writer.keras_model("not json {")
    acc = load_tensors(tmp_path)
    meta = acc.SummaryMetadata("keras")
    assert meta.plugin_data.plugin_name == "graph_keras_model"
    assert meta.plugin_data.content == b"1"
    ((step, got),) = values_of(acc, "keras")
    # Written rank 0 as Keras writes it; TensorBoard's reader reshapes it to a [1] blob sequence.
    assert step == 0 and got.shape == (1,) and json.loads(got[0]) == json.loads(model_json)
    (written,) = [e for e in read_events(writer.path) if e.HasField("summary")]
    assert not written.summary.value[0].tensor.tensor_shape.dim


def test_run_metadata_lands_in_tagged_run_metadata(tmp_path):
    run_metadata = graph_pb2.RunMetadata(
        partition_graphs=[graph_pb2.GraphDef(node=[graph_pb2.NodeDef(name="a", op="Const")])]
    )
    with SummaryWriter(tmp_path) as writer:
        writer.run_metadata("step_7", run_metadata.SerializeToString(), 7)
    got = load_legacy(tmp_path).RunMetadata("step_7")
    assert [n.name for n in got.partition_graphs[0].node] == ["a"]


def test_hparams_session_start_info_matches_tensorboard_hparams_pb(tmp_path):
    hparams = {
        "lr": 0.01,
        "layers": 3,
        "optimizer": "adam",
        "dropout": np.float32(0.5),
        "batchnorm": True,
    }
    with SummaryWriter(tmp_path) as writer:
        writer.hparams(hparams, start_time_secs=1234.5)
    acc = load_tensors(tmp_path)
    contents = acc.PluginTagToContent(plugins.HPARAMS)
    assert set(contents) == {"_hparams_/session_start_info"}  # no metrics: no experiment
    ours = hparams_metadata.parse_session_start_info_plugin_data(
        contents["_hparams_/session_start_info"]
    )
    expected_pb = hparams_summary.hparams_pb(hparams, start_time_secs=1234.5)
    expected = hparams_metadata.parse_session_start_info_plugin_data(
        expected_pb.value[0].metadata.plugin_data.content
    )
    assert ours == expected
    assert ours.hparams["optimizer"].string_value == "adam"
    assert ours.hparams["batchnorm"].bool_value is True
    assert ours.hparams["layers"].number_value == 3.0
    plain = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in hparams.items()}
    dumped = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    assert ours.group_name == hashlib.sha256(dumped.encode()).hexdigest()
    assert [e.step for e in acc.Tensors("_hparams_/session_start_info")] == [0]


def test_hparams_with_metrics_also_writes_an_experiment_tensorboard_parses(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.hparams(
            {"lr": 0.1, "act": "relu", "bn": False},
            metrics=["epoch_loss", ("epoch_accuracy", "validation")],
            trial_id="trial-7",
        )
        with pytest.raises(InspectorError, match="bool, int, float or str"):
            writer.hparams({"shape": [1, 2]})
    contents = load_tensors(tmp_path).PluginTagToContent(plugins.HPARAMS)
    experiment = hparams_metadata.parse_experiment_plugin_data(contents["_hparams_/experiment"])
    types = {info.name: info.type for info in experiment.hparam_infos}
    assert types == {"lr": 3, "act": 1, "bn": 2}  # FLOAT64, STRING, BOOL
    metrics = [(m.name.tag, m.name.group) for m in experiment.metric_infos]
    assert metrics == [("epoch_loss", ""), ("epoch_accuracy", "validation")]
    start = hparams_metadata.parse_session_start_info_plugin_data(
        contents["_hparams_/session_start_info"]
    )
    assert start.group_name == "trial-7"


@pytest.mark.filterwarnings("ignore:html5lib:DeprecationWarning")  # inside TensorBoard
def test_tensorboard_hparams_dashboard_lists_every_run_with_hparams_and_metric(tmp_path):
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import hparams_plugin
    from werkzeug import test as werkzeug_test
    from werkzeug import wrappers

    for index, (lr, act) in enumerate([(0.1, "relu"), (0.01, "tanh")]):
        with SummaryWriter(tmp_path / f"run{index}") as writer:
            writer.hparams({"lr": lr, "act": act}, metrics=["loss"])
            writer.scalar("loss", lr * 2, 2)
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path))
    context = base_plugin.TBContext(
        logdir=str(tmp_path), multiplexer=multiplexer, data_provider=provider
    )
    app = application.TensorBoardWSGI([hparams_plugin.HParamsPlugin(context)])
    client = werkzeug_test.Client(app, wrappers.Response)
    request = {
        "experimentName": "",
        "allowedStatuses": ["STATUS_UNKNOWN"],
        "colParams": [{"hparam": "lr"}, {"hparam": "act"}, {"metric": {"tag": "loss"}}],
        "startIndex": 0,
        "sliceSize": 10,
    }
    response = client.post("/data/plugin/hparams/session_groups", json=request)
    assert response.status_code == 200
    groups = json.loads(response.get_data())["sessionGroups"]
    got = sorted(
        (
            g["sessions"][0]["name"],
            g["hparams"]["lr"],
            g["hparams"]["act"],
            round(g["metricValues"][0]["value"], 6),
        )
        for g in groups
    )
    assert got == [("run0", 0.1, "relu", 0.2), ("run1", 0.01, "tanh", 0.02)]


# ----- files, flushing, rotation --------------------------------------------------------


def test_file_name_follows_tensorboard_pattern_and_starts_with_file_version(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".v2") as writer:
        writer.scalar("x", 1.0, 0)
        path = writer.path
    pattern = (
        r"events\.out\.tfevents\.\d{10}\."
        + re.escape(socket.gethostname())
        + rf"\.{os.getpid()}\.\d+\.v2"
    )
    assert re.fullmatch(pattern, os.path.basename(path))
    assert event_files(tmp_path) == [os.path.basename(path)]
    first = read_events(path)[0]
    assert first.file_version == "brain.Event:2"
    assert first.source_metadata.writer == "inspector.summary"
    assert abs(int(os.path.basename(path).split(".")[3]) - time.time()) < 60


def test_rotation_keeps_files_under_max_bytes_in_name_order_and_loses_nothing(
    tmp_path, monkeypatch
):
    # Start the file counter just below a digit boundary: ".10" sorts before ".9", so within
    # one second only the writer's time bump keeps name order equal to write order.
    monkeypatch.setattr(summary_module, "_file_counter", itertools.count(5))
    with SummaryWriter(tmp_path, max_file_bytes=600, max_queue=7) as writer:
        for step in range(300):
            writer.scalar("loss", float(step), step)
        writer.scalar("big", np.float32(1), 0)
        writer.tensor("huge", np.zeros(400, np.float32), 0)  # larger than max: a file alone
    names = event_files(tmp_path)
    assert len(names) > 12
    counters = [int(name.split(".")[-1]) for name in names]
    assert counters == sorted(counters)  # name order is write order
    for name in names:
        events = read_events(tmp_path / name)
        assert events[0].file_version == "brain.Event:2"
        assert len(events) >= 2
        size = os.path.getsize(tmp_path / name)
        assert size <= 600 or [e.summary.value[0].tag for e in events[1:]] == ["huge"]
    acc = load_tensors(tmp_path)
    assert [e.step for e in acc.Tensors("loss")] == list(range(300))
    assert [float(v) for _, v in values_of(acc, "loss")] == [float(s) for s in range(300)]
    assert values_of(acc, "huge")[0][1].shape == (400,)


def test_timer_flushes_queued_records_without_close(tmp_path):
    writer = SummaryWriter(tmp_path, flush_secs=0.3, max_queue=1000)
    try:
        header_size = os.path.getsize(writer.path)
        writer.scalar("x", 3.0, 1)
        assert os.path.getsize(writer.path) == header_size  # queued, not yet on disk
        time.sleep(0.8)
        assert values_of(load_tensors(tmp_path), "x") == [(1, np.float32(3.0))]
    finally:
        writer.close()


def test_close_flushes_queued_records(tmp_path):
    writer = SummaryWriter(tmp_path, flush_secs=1000, max_queue=1000)
    header_size = os.path.getsize(writer.path)
    writer.scalar("x", 1.0, 0)
    writer.text("t", "hi", 0)
    assert os.path.getsize(writer.path) == header_size
    writer.close()
    writer.close()  # idempotent
    acc = load_tensors(tmp_path)
    assert values_of(acc, "x") == [(0, np.float32(1.0))]
    with pytest.raises(InspectorError, match="closed"):
        writer.scalar("x", 2.0, 1)


def test_full_queue_and_explicit_flush_write_to_disk(tmp_path):
    with SummaryWriter(tmp_path, flush_secs=1000, max_queue=3) as writer:
        for step in range(3):
            writer.scalar("x", float(step), step)
        assert len(read_events(writer.path)) == 4  # header + 3, flushed by the full queue
        writer.scalar("x", 3.0, 3)
        assert len(read_events(writer.path)) == 4
        writer.flush()
        assert len(read_events(writer.path)) == 5


def test_interpreter_exit_flushes_and_never_imports_tensorflow(tmp_path):
    script = (
        "import sys\n"
        "from inspector.summary import SummaryWriter\n"
        f"w = SummaryWriter({str(tmp_path)!r}, flush_secs=1000, max_queue=1000)\n"
        "w.scalar('x', 5.0, 2)\n"
        "assert 'tensorflow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert values_of(load_tensors(tmp_path), "x") == [(2, np.float32(5.0))]


def test_second_open_writer_on_same_directory_is_refused_until_the_first_closes(tmp_path):
    run = tmp_path / "run"
    first = SummaryWriter(run)
    try:
        same_dir_spelled_differently = str(tmp_path / "run" / ".." / "run")
        with pytest.raises(InspectorError) as err:
            SummaryWriter(same_dir_spelled_differently)
        assert os.path.realpath(run) in str(err.value)
        assert "reuse" in str(err.value) and "close" in str(err.value)
        SummaryWriter(tmp_path / "other").close()  # another directory is fine
    finally:
        first.close()
    with SummaryWriter(run) as again:
        again.scalar("x", 1.0, 0)
    assert len(event_files(run)) == 2


def test_four_threads_writing_at_once_leave_every_record_intact(tmp_path):
    per_thread = 400
    with SummaryWriter(tmp_path, flush_secs=0.01, max_queue=5, max_file_bytes=20_000) as writer:

        def work(index):
            for step in range(per_thread):
                writer.scalar(f"t{index}/value", step * 10 + index, step)
                if step % 50 == 0:
                    writer.histogram(f"t{index}/hist", np.arange(step + 1.0), step, buckets=4)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for name in event_files(tmp_path):
        read_events(tmp_path / name)  # every record frames and CRC-checks
    acc = load_tensors(tmp_path)
    for index in range(4):
        got = values_of(acc, f"t{index}/value")
        assert sorted(step for step, _ in got) == list(range(per_thread))
        assert all(float(value) == step * 10 + index for step, value in got)
        assert len(acc.Tensors(f"t{index}/hist")) == per_thread // 50
