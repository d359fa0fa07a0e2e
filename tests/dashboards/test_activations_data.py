"""The activations page's data: maps of conv, dense and recurrent layers in tile form, the
probes that excite a filter most, probe images and labels as the hook writes them."""

from __future__ import annotations

import numpy as np
import pytest

from dashboards import activations_data as A
from inspector.kinds import activations
from inspector.store import Store
from inspector.summary import SummaryWriter


def test_conv_maps_become_one_tile_per_channel_per_probe():
    maps = np.random.default_rng(0).normal(size=(4, 28, 28, 6)).astype(np.float32)
    tiles, valid = A.as_map_tiles(maps)
    assert tiles.shape == (4, 6, 1, 28, 28) and valid == 28 * 28
    np.testing.assert_array_equal(tiles[2, 5, 0], maps[2, :, :, 5])
    payload = A.maps_payload(maps)
    assert payload["dims"] == [4, 6, 1, 28, 28] and len(payload["s"]) == 24


def test_dense_outputs_are_a_near_square_picture_with_padding_marked():
    tiles, valid = A.as_map_tiles(np.arange(2 * 120, dtype=np.float32).reshape(2, 120))
    assert tiles.shape == (2, 1, 1, 11, 11) and valid == 120
    assert tiles[1, 0, 0].ravel()[119] == 239 and tiles[1, 0, 0].ravel()[120] == 0


def test_sequence_outputs_are_one_steps_by_channels_picture():
    tiles, valid = A.as_map_tiles(np.ones((3, 7, 5), np.float32))
    assert tiles.shape == (3, 1, 1, 7, 5) and valid == 35
    with pytest.raises(ValueError):
        A.as_map_tiles(np.ones(3))


def test_top_probes_rank_by_mean_activation_of_the_filter():
    maps = np.zeros((4, 3, 3, 2), np.float32)
    maps[2, ..., 1] = 5.0
    maps[0, ..., 1] = 1.0
    assert [p for p, _ in A.top_probes(maps, 1, k=2)] == [2, 0]
    assert A.top_probes(maps, 9) == []


def test_layers_probe_images_and_labels_read_from_a_hook_like_run(tmp_path):
    rng = np.random.default_rng(1)
    with SummaryWriter(tmp_path / "run") as w:
        w.image("probe/inputs", rng.random((3, 8, 8, 1)).astype(np.float32), 0, max_outputs=3)
        w.text("probe/labels", "| probe | label |\n|---|---|\n| 0 | seven |\n| 1 | 2 |", 0)
        activations.write(w, "pool1", rng.normal(size=(3, 4, 4, 2)), 0)
        activations.write(w, "conv1", rng.normal(size=(3, 8, 8, 2)), 0)
    store = Store(tmp_path)
    store.reload()
    assert A.activation_runs(store) == ["run"]
    assert A.activation_layers(store, "run") == ["conv1", "pool1"]
    images = A.probe_images(store, "run")
    assert len(images) == 3 and images[0].startswith("data:image/png;base64,")
    assert A.probe_labels(store, "run") == {0: "seven", 1: "2"}
