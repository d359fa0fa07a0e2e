"""Feature visualization: gradient ascent really raises the filter's mean activation, the hook
writes it at its frequency (off by default), and ``inspector visualize`` writes it for a
saved model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from inspector import feature_vis
from inspector.cli import main
from inspector.errors import InspectorError
from inspector.hooks import Inspector
from inspector.kinds import Kind
from inspector.store import Store

from . import tiny


def test_visualization_excites_each_filter_more_than_the_noise_it_started_from():
    keras.utils.set_random_seed(0)
    model = tiny.sequential()
    out = feature_vis.visualize(model, ["conv", "hidden"], iterations=24, value_range=(0, 1),
                                clip=True)
    images, chosen = out["conv"]
    assert images.shape == (5, tiny.SIZE, tiny.SIZE, 1) and chosen == [0, 1, 2, 3, 4]
    assert images.min() >= 0 and images.max() <= 1
    probe = keras.Model(model.inputs, model.get_layer("conv").output)
    noise = np.random.default_rng(0).normal(0.5, 0.1, images.shape).astype(np.float32)
    before = np.asarray(probe(noise)).mean(axis=(0, 1, 2))  # per filter, over noise images
    after = np.diag(np.asarray(probe(images)).mean(axis=(1, 2)))  # filter f on its image f
    alive = [f for f in chosen if before[f] > 0.01]  # a ReLU dead on noise has no gradient
    assert len(alive) >= 3 and all(after[f] > 1.2 * before[f] for f in alive)
    assert out["hidden"][0].shape == (8, tiny.SIZE, tiny.SIZE, 1)
    with pytest.raises(InspectorError, match="no layer nope"):
        feature_vis.visualize(model, ["nope"])


def test_hook_writes_feature_visualizations_only_when_asked(tmp_path):
    x, y, xv, yv = tiny.data()
    for name, freq in (("off", 0), ("on", 1)):
        model = tiny.sequential()
        model.compile("adam", "sparse_categorical_crossentropy")
        hook = Inspector(tmp_path / name, validation_data=(xv, yv), histogram_freq=0,
                         activation_freq=0, eval_freq=0, write_graph=False,
                         feature_vis_freq=freq, embedding_layer=None)
        model.fit(x, y, epochs=2, batch_size=64, verbose=0, callbacks=[hook])
    store = Store(tmp_path)
    store.reload()
    assert not store.tags(Kind.FEATURE_VIS).get("off/train")
    points = store.series(Kind.FEATURE_VIS, "on/train", "feature_vis/conv")
    assert [p.step for p in points] == [0, 1, 2] and points[0].value.shape == (5, 12, 12, 1)
    assert store.tag_info("on/train", "feature_vis/conv").metadata.filters == (0, 1, 2, 3, 4)
    assert "feature_vis/conv/grid" in store.tags(Kind.IMAGES)["on/train"]


def test_visualize_command_writes_kernels_and_visualizations_of_a_saved_model(tmp_path, capsys):
    path = tmp_path / "model.keras"
    tiny.sequential().save(path)
    assert main(["visualize", str(path), "--logdir", str(tmp_path / "vis"), "--layers", "conv",
                 "--iterations", "8", "--step", "3"]) == 0
    store = Store(tmp_path / "vis")
    store.reload()
    [point] = store.series(Kind.FEATURE_VIS, ".", "feature_vis/conv")
    assert point.step == 3 and point.value.shape == (5, 12, 12, 1)
    assert "kernels/conv" in store.tags(Kind.KERNELS)["."]
    assert main(["visualize", str(tmp_path / "missing.keras")]) == 2
    assert "no model at" in capsys.readouterr().err
