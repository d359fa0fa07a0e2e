"""Samples and playground view data: text samples as an epochs x temperatures table, pictures
under samples/, and one epoch of a playground run."""

from __future__ import annotations

import numpy as np
import pytest

from dashboards import playground_data as pg
from dashboards import samples_data as sd
from inspector.kinds import Kind
from inspector.store import Store
from inspector.summary import SummaryWriter


def write_samples(root) -> None:
    with SummaryWriter(root / "lstm" / "train") as w:
        for step in (1, 2, 3):
            for temperature in ("1.0", "0.5", "1.5"):
                w.text(f"samples/temperature_{temperature}", f"epoch {step} at {temperature}",
                       step)
            w.scalar("epoch/loss", 1.0 / step, step)
    with SummaryWriter(root / "ae" / "train") as w:
        for step in (1, 2):
            pics = np.zeros((4, 8, 8, 1), np.uint8) + step * 60
            w.image("samples/reconstructions", pics, step, max_outputs=4)
            w.image("other/picture", pics, step)


def write_playground(root) -> None:
    with SummaryWriter(root / "pg" / "train") as w, \
            SummaryWriter(root / "pg" / "validation") as v:
        for step in (1, 2, 3):
            w.image(pg.BOUNDARY_TAG, np.full((1, 16, 16, 3), 40 * step, np.uint8), step)
            if step == 1:
                w.image(pg.FEATURES_TAG, np.zeros((2, 16, 16, 3), np.uint8), step,
                        max_outputs=2)
            w.image(pg.NEURONS_PREFIX + "dense1", np.zeros((4, 16, 16, 3), np.uint8), step,
                    max_outputs=4)
            w.image(pg.NEURONS_PREFIX + "dense2", np.zeros((2, 16, 16, 3), np.uint8), step,
                    max_outputs=2)
            w.scalar("epoch/loss", 1.0 / step, step)
            v.scalar("epoch/loss", 2.0 / step, step)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("samples")
    write_samples(root)
    write_playground(root)
    s = Store(root)
    s.reload()
    return s


def test_text_samples_are_one_row_per_epoch_and_one_column_per_temperature(store):
    tags = sd.sample_tags(store, Kind.TEXT)
    assert list(tags) == ["lstm/train"]
    table = sd.text_table(store, "lstm/train", tags["lstm/train"])
    assert [sd.short_name(c) for c in table.columns] == [
        "temperature_0.5", "temperature_1.0", "temperature_1.5"]
    assert [step for step, _ in table.rows] == [1, 2, 3]
    assert table.rows[1][1] == ["epoch 2 at 0.5", "epoch 2 at 1.0", "epoch 2 at 1.5"]


def test_only_pictures_under_samples_are_sample_pictures(store):
    assert sd.sample_tags(store, Kind.IMAGES)["ae/train"] == ["samples/reconstructions"]


def test_long_samples_are_cut():
    assert sd.as_text("x" * (sd.MAX_CHARS + 10)).endswith(" …")
    assert sd.as_text(np.array([b"a", b"b"], dtype=object)) == "a\nb"


def test_a_playground_frame_holds_boundary_features_neurons_and_losses(store):
    assert pg.playground_runs(store, store.runs()) == ["pg/train"]
    assert pg.steps(store, "pg/train") == [1, 2, 3]
    frame = pg.frame(store, "pg/train", 2)
    assert frame.boundary.startswith("data:image/png")
    assert len(frame.features) == 2  # logged at step 1 only: the last one at or before 2
    assert [(name, len(maps)) for name, maps in frame.layers] == [("dense1", 4), ("dense2", 2)]
    assert frame.losses == {"train": pytest.approx(0.5), "validation": pytest.approx(1.0)}
