"""The kernels page's data: drawing forms of every kernel layout, the int8 frames sent to the
browser, per-filter statistics and flags, feature visualizations, on logs written by the
project's real writer."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from dashboards import kernels_data as K
from inspector.kinds import feature_vis, kernels
from inspector.store import Store
from inspector.summary import SummaryWriter


def _store(path) -> Store:
    s = Store(path)
    s.reload()
    return s


def test_conv_kernel_becomes_one_tile_per_output_filter_with_its_input_channels():
    k = np.arange(3 * 3 * 2 * 4, dtype=np.float32).reshape(3, 3, 2, 4)
    form = K.layer_form(k.shape)
    tiles = K.as_tiles(k, form)
    assert form.form == "conv2d" and tiles.shape == (4, 2, 3, 3)
    np.testing.assert_array_equal(tiles[3, 1], k[:, :, 1, 3])


def test_softmax_weights_reading_an_image_become_input_shaped_templates():
    w = np.random.default_rng(0).normal(size=(784, 10)).astype(np.float32)
    form = K.layer_form(w.shape, (28, 28, 1))
    tiles = K.as_tiles(w, form)
    assert form.form == "templates" and tiles.shape == (10, 1, 28, 28)
    np.testing.assert_array_equal(tiles[7, 0], w[:, 7].reshape(28, 28))


def test_other_dense_weights_are_one_matrix_picture_and_1d_3d_convs_have_forms():
    assert K.layer_form((400, 120), (28, 28, 1)).tiles == (1, 1, 400, 120)
    assert K.layer_form((5, 3, 8)).tiles == (8, 1, 3, 5)
    k3 = np.random.default_rng(1).normal(size=(2, 3, 3, 4, 5)).astype(np.float32)
    form = K.layer_form(k3.shape)
    assert form.tiles == (5, 8, 3, 3) and K.as_tiles(k3, form).shape == (5, 8, 3, 3)
    with pytest.raises(ValueError):
        K.layer_form((7,))


def test_int8_frames_keep_sign_and_zero_within_one_step_of_each_tiles_scale():
    t = np.random.default_rng(2).normal(size=(6, 1, 5, 5)).astype(np.float32)
    t[0, 0, 0, 0] = 0.0
    t[5] = 0.0  # an all-zero tile
    data, scales = K.quantize(t)
    back = K.dequantize(data, scales, t.shape)
    assert len(data) == t.size and scales[5] == 0.0
    assert np.all(np.sign(back[np.abs(t) > np.array(scales)[:, None, None, None] / 127])
                  == np.sign(t[np.abs(t) > np.array(scales)[:, None, None, None] / 127]))
    assert back[0, 0, 0, 0] == 0.0 and np.all(back[5] == 0)
    assert np.max(np.abs(back - t) / np.array(scales[:5] + [1])[:, None, None, None]) <= 0.5 / 127


def _write_layer(path, steps=4, out=6):
    rng = np.random.default_rng(3)
    k0 = rng.normal(size=(5, 5, 1, out)).astype(np.float32)
    with SummaryWriter(path / "run") as w:
        for step in range(steps):
            k = k0 + 0.1 * step * rng.normal(size=k0.shape).astype(np.float32)
            k[..., 1] = k0[..., 1]  # filter 1 never moves
            k[..., 2] = 0.0  # filter 2 is dead
            kernels.write(w, "conv1", k, step)
    return k0


def test_layer_payload_lists_steps_chunks_and_flags_dead_and_unchanging_filters(tmp_path):
    _write_layer(tmp_path)
    store = _store(tmp_path)
    assert K.kernel_runs(store) == ["run"] and K.kernel_layers(store, "run") == ["conv1"]
    meta = K.layer_payload(store, "run", "conv1")
    assert meta["steps"] == [0, 1, 2, 3] and meta["tiles"] == [6, 1, 5, 5]
    assert meta["chunks"] == 1 and meta["fv"] is None and meta["first"]["index"] == 3
    flags = meta["stats"]["flags"]
    assert flags[0][1] == "" and flags[3][1] == "unchanging"
    assert all(f[2] == "dead" for f in flags)
    assert meta["stats"]["delta_last"][0] == [0.0] * 6
    assert meta["stats"]["delta_first"][3][0] > 0
    assert K.layer_payload(store, "run", "nope") is None


def test_frames_chunk_decodes_to_the_logged_kernel(tmp_path):
    _write_layer(tmp_path, steps=3)
    store = _store(tmp_path)
    points = store.series("kernels", "run", "kernels/conv1")
    form = K.layer_form(points[0].value.shape)
    [second] = K.frames_chunk(points, form, 1, 1)
    back = K.dequantize(base64.b64decode(second["q"]), second["s"], form.tiles)
    expected = K.as_tiles(points[1].value, form)
    np.testing.assert_allclose(back, expected, atol=max(second["s"]) / 127)


def test_a_big_layer_is_sent_in_chunks_of_a_few_hundred_kilobytes():
    form = K.layer_form((3, 3, 64, 128))
    assert K.steps_per_chunk(form) == K.CHUNK_BYTES // (3 * 3 * 64 * 128) == 3
    assert K.steps_per_chunk(K.layer_form((3, 3, 512, 512))) == 1


def test_index_at_step_picks_the_last_logged_step_at_or_before():
    assert K.index_at_step([0, 5, 10], "7") == 1
    assert K.index_at_step([0, 5, 10], 10) == 2
    assert K.index_at_step([0, 5, 10], "x") == 0


def test_feature_visualizations_are_placed_at_their_filter_index(tmp_path):
    _write_layer(tmp_path, steps=2)
    images = np.random.default_rng(4).normal(size=(2, 8, 8, 1)).astype(np.float32)
    with SummaryWriter(tmp_path / "run") as w:
        feature_vis.write(w, "conv1", images, 1, filters=[0, 3], iterations=8)
    store = _store(tmp_path)
    fv = K.layer_payload(store, "run", "conv1")["fv"]
    assert fv["steps"] == [1] and fv["tiles"] == [6, 1, 8, 8]
    tiles = K.dequantize(base64.b64decode(fv["frames"][0]["q"]), fv["frames"][0]["s"],
                         tuple(fv["tiles"]))
    assert np.abs(tiles[3]).max() > 0 and np.abs(tiles[1]).max() == 0


def test_input_shape_comes_from_the_probe_images_without_a_model_json(tmp_path):
    with SummaryWriter(tmp_path / "run") as w:
        w.image("probe/inputs", np.zeros((2, 28, 28, 1), np.float32), 0)
    assert K.input_shape(_store(tmp_path), "run") == (28, 28, 1)


def test_kernel_images_list_other_writers_and_grids_only_of_layers_without_tensors(tmp_path):
    picture = np.zeros((1, 4, 4, 3), np.float32)
    with SummaryWriter(tmp_path / "run") as w:
        kernels.write(w, "conv1", np.zeros((3, 3, 1, 2)), 0)
        for tag in ("kernels/conv1/grid", "kernels/big/grid", "conv2d/kernel_0/image",
                    "feature_maps/conv1/grid", "samples/digits"):
            w.image(tag, picture, 0)
    assert sorted(K.kernel_image_tags(_store(tmp_path))["run"]) == [
        "conv2d/kernel_0/image", "kernels/big/grid"]
