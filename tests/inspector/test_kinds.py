"""Inspector's own summary kinds: each module's write form read back through the store with
its parsed metadata, and the registry the decoder dispatches through."""

import numpy as np
import pytest

from inspector import kinds
from inspector.kinds import Kind, KindMetadataError, activations, confusion, embeddings, kernels
from inspector.store import Store
from inspector.summary import SummaryWriter


def test_every_kind_module_is_registered_by_its_plugin_name():
    registry = kinds.load_all()
    for module in (kernels, activations, confusion, embeddings):
        assert registry[module.PLUGIN_NAME].kind is module.KIND


def test_kind_is_a_str_enum_equal_to_the_old_names():
    assert Kind.KERNELS == "kernels" and Kind("histograms") is Kind.HISTOGRAMS


def test_written_kinds_read_back_with_values_and_typed_metadata(tmp_path):
    k = np.random.default_rng(0).normal(size=(3, 3, 1, 6)).astype(np.float32)
    maps = np.arange(2 * 4 * 4 * 6, dtype=np.float32).reshape(2, 4, 4, 6)
    with SummaryWriter(tmp_path / "run") as w:
        kernels.write(w, "conv1", k, 3)
        activations.write(w, "conv1", maps, 3, channels=12)
        confusion.write(w, "evaluation/confusion_matrix", [[5, 1], [2, 7]], 3, labels=["a", "b"])
        embeddings.write(w, "dense", np.ones((4, 2, 3)), 3, labels=[0, 1, 1, 0],
                         label_names=["zero", "one"])
    s = Store(tmp_path)
    s.reload()
    [pk] = s.series(Kind.KERNELS, "run", "kernels/conv1")
    assert pk.step == 3 and pk.value.dtype == np.float32
    np.testing.assert_allclose(pk.value, k.astype(np.float16).astype(np.float32))
    assert s.tag_info("run", "kernels/conv1").metadata == kernels.KernelsMetadata(
        "conv1", (3, 3, 1, 6))
    [pa] = s.series(Kind.ACTIVATIONS, "run", "feature_maps/conv1")
    assert pa.value.shape == (2, 4, 4, 6)
    assert s.tag_info("run", "feature_maps/conv1").metadata.channels == 12
    [pc] = s.series(Kind.CONFUSION, "run", "evaluation/confusion_matrix")
    assert pc.value.tolist() == [[5, 1], [2, 7]]
    assert s.tag_info("run", "evaluation/confusion_matrix").metadata.labels == ("a", "b")
    [pe] = s.series(Kind.EMBEDDINGS, "run", "embeddings/dense")
    assert pe.value.shape == (4, 6)
    meta = s.tag_info("run", "embeddings/dense").metadata
    assert meta.label_names == ("zero", "one") and meta.labels_tag == "embeddings/dense/labels"
    [pl] = s.series(Kind.TENSORS, "run", meta.labels_tag)
    assert pl.value.tolist() == [0, 1, 1, 0]


def test_bad_metadata_is_a_clear_error_not_a_crash():
    with pytest.raises(KindMetadataError, match="not JSON"):
        kernels.KernelsMetadata.parse(b"\xff{")
    with pytest.raises(KindMetadataError, match="missing"):
        kernels.KernelsMetadata.parse(b"{}")


def test_undecodable_kind_metadata_is_reported_and_skipped(tmp_path):
    with SummaryWriter(tmp_path / "run") as w:
        w.tensor("kernels/bad", np.zeros((2, 2), np.float16), 0,
                 plugin_name=kernels.PLUGIN_NAME, plugin_content=b"not json")
        w.scalar("loss", 1.0, 0)
    s = Store(tmp_path)
    s.reload()
    assert s.scalars("run", "loss").values.tolist() == [1.0]
    assert any("kernels/bad" in e for e in s.decode_errors("run"))


def test_probe_predictions_round_trip_and_misclassified(tmp_path):
    from inspector.kinds import predictions

    with SummaryWriter(tmp_path / "run") as w:
        predictions.write(w, [0, 1, 2], [0, 2, 2], [0.9, 0.6, 0.8], 1, labels=["a", "b", "c"])
    s = Store(tmp_path)
    s.reload()
    [p] = s.series(Kind.PREDICTIONS, "run", predictions.TAG)
    assert p.value.misclassified.tolist() == [1]
    assert p.value.predicted.tolist() == [0, 2, 2]
    np.testing.assert_allclose(p.value.confidence, [0.9, 0.6, 0.8], rtol=1e-6)
    assert s.tag_info("run", predictions.TAG).metadata.labels == ("a", "b", "c")
