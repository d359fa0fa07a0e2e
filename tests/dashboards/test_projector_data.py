"""Projector view data: Inspector embeddings with labels and pictures, TensorBoard projector
folders (pbtxt, TSV tensor and metadata, sprite), and the projections."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dashboards import projector_data as pd
from inspector.errors import InspectorError
from inspector.store import Store

from .view_logs import CLASSES, write_trial


def test_store_embeddings_come_with_class_names_and_pictures(tmp_path):
    write_trial(tmp_path, "t", {"lr": 0.1}, seed=0, steps=2, n=20)
    store = Store(tmp_path)
    store.reload()
    [item] = pd.store_sets(store, store.runs())
    assert (item.run, item.tag) == ("t/train", "embeddings/dense1")
    emb = pd.load(store, item)
    assert emb.vectors.shape == (20, 5) and emb.step == 2
    assert set(emb.labels) <= set(CLASSES)
    assert len(emb.images) == 20 and emb.images[0].startswith(b"\x89PNG")
    assert pd.load(store, item, 0).step == 1


def write_projector_folder(folder, n=6, dim=4):
    folder.mkdir(parents=True)
    vectors = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    np.savetxt(folder / "tensors.tsv", vectors, delimiter="\t")
    (folder / "metadata.tsv").write_text("label\tindex\n" + "".join(
        f"c{i % 2}\t{i}\n" for i in range(n)))
    sheet = Image.new("L", (dim * 3, dim * 3))
    for i in range(n):
        r, c = divmod(i, 3)
        sheet.paste(i * 40, (c * dim, r * dim, (c + 1) * dim, (r + 1) * dim))
    sheet.save(folder / "sprite.png")
    (folder / pd.CONFIG_NAME).write_text(
        '# written by hand\nembeddings {\n  tensor_name: "words"\n  tensor_path: "tensors.tsv"\n'
        '  metadata_path: "metadata.tsv"\n  sprite {\n    image_path: "sprite.png"\n'
        f'    single_image_dim: {dim}\n    single_image_dim: {dim}\n  }}\n}}\n'
        'embeddings { tensor_name: "ckpt_var" }\nmodel_checkpoint_path: "model.ckpt-1"\n')
    return vectors


def test_projector_folder_reads_tsv_tensor_metadata_and_sprite(tmp_path):
    vectors = write_projector_folder(tmp_path / "proj")
    found = pd.projector_sets(str(tmp_path))
    assert [s.label for s in found] == ["proj · words (projector)", "proj · ckpt_var (projector)"]
    emb = pd.load(None, found[0])
    np.testing.assert_array_equal(emb.vectors, vectors)
    assert emb.labels == ["c0", "c1", "c0", "c1", "c0", "c1"]
    assert len(emb.images) == 6
    with Image.open(__import__("io").BytesIO(emb.images[4])) as im:
        assert im.size == (4, 4) and im.getpixel((0, 0)) == 160
    with pytest.raises(InspectorError, match="TensorFlow"):
        pd.load(None, found[1])


def test_parse_pbtxt_reads_nested_messages_and_repeated_fields():
    parsed = pd.parse_pbtxt('a: "x y" b { c: 1 c: 2 } b { }')
    assert parsed == {"a": ["x y"], "b": [{"c": ["1", "2"]}, {}]}
    with pytest.raises(InspectorError):
        pd.parse_pbtxt("b { c: 1")


def test_single_column_metadata_has_no_header(tmp_path):
    (tmp_path / "m.tsv").write_text("a\nb\n")
    assert pd.read_tsv_metadata(str(tmp_path / "m.tsv"), 2) == (["label"], [["a"], ["b"]])


def test_pca_keeps_the_direction_of_most_variance():
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(0, 10, 200), rng.normal(0, 0.1, 200), rng.normal(0, 0.1, 200)]
    out = pd.project(x, "pca", 2)
    assert out.shape == (200, 2)
    assert abs(np.corrcoef(out[:, 0], x[:, 0])[0, 1]) > 0.99


def test_tsne_keeps_neighbours_of_two_clusters_together_in_three_dimensions():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1, (30, 8)), rng.normal(20, 1, (30, 8))]
    out = pd.project(x, "tsne", 3)
    assert out.shape == (60, 3)
    d = np.linalg.norm(out[:, None] - out[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argmin(axis=1)
    assert np.mean((nearest < 30) == (np.arange(60) < 30)) > 0.9  # neighbours stay in cluster
    assert "tsne" in pd.methods()
