"""The unsupervised family: autoencoder (dense, conv, denoising, sparse, stacked) and rbm
(CD-k, stacked pre-training for a classifier), run end to end with --quick through
``inspector train`` and read back with the Store; CD-k and the labelled share on their own."""

import os

import numpy as np
import pytest

from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.kinds import Kind

os.environ["INSPECTOR_OFFLINE"] = "1"
keras = pytest.importorskip("keras")

from tests.trainers.quick import train  # noqa: E402
from trainers import autoencoder, data, rbm, unsupervised  # noqa: E402


def values(store, run, tag):
    return store.scalars(run, P.TAG_EPOCH + tag).values


def image_size(store, run, tag, step=-1):
    value = store.series(Kind.IMAGES, run, tag)[step].value
    return value.width, value.height


# ----- autoencoder ------------------------------------------------------------------------


def test_autoencoder_reconstruction_error_falls_and_logs_reconstructions_and_embeddings(
        tmp_path):
    store = train(tmp_path, "autoencoder", "--epochs", "3")
    run = "autoencoder/r/train"
    for split in ("train", "validation"):
        error = values(store, f"autoencoder/r/{split}", "reconstruction_error")
        assert len(error) == 3 and error[-1] < error[0]
    shots = store.series(Kind.IMAGES, run, P.TAG_SAMPLES + "reconstructions")
    assert [p.step for p in shots] == [1, 2, 3]
    width, height = image_size(store, run, P.TAG_SAMPLES + "reconstructions")
    assert 3.5 < width / height < 4.5  # 8 inputs side by side, reconstructions beneath
    [embedding] = store.series(Kind.EMBEDDINGS, run, P.TAG_EMBEDDINGS + "code")[-1:]
    assert embedding.value.shape[1] == 16  # the --quick code layer
    info = store.tag_info(run, P.TAG_EMBEDDINGS + "code").metadata
    assert info.labels_tag and list(info.label_names) == [str(d) for d in range(10)]
    assert "test/reconstruction_error" in store.kinds("autoencoder/r")[Kind.SCALARS]


def test_conv_denoising_sparse_autoencoder_shows_noisy_inputs_between(tmp_path):
    digits = data.load("mnist5k", limit=100)
    config = autoencoder.AutoencoderConfig(conv=True, filters=8, denoising=True, sparse=True)
    model = autoencoder.build(config, digits)
    assert model.get_layer("code").output.shape[1:] == (7, 7, 4)
    assert model.output.shape[1:] == (28, 28, 1)
    x = digits.x_train[:16]
    error = float(np.mean((np.asarray(model(x, training=False)) - x) ** 2))
    loss = float(model.compute_loss(x=x, y=None, y_pred=model(x, training=False)))
    assert loss > error  # the L1 penalty on the code comes on top
    store = train(tmp_path, "autoencoder", "--conv", "--denoising", "--sparse", "--epochs", "2")
    error = values(store, "autoencoder/r/train", "reconstruction_error")
    loss = values(store, "autoencoder/r/train", "loss")
    assert np.all(loss >= error)  # the loss adds the sparsity penalty to the error
    width, height = image_size(store, "autoencoder/r/train", P.TAG_SAMPLES + "reconstructions")
    assert 2.5 < width / height < 3  # 8 columns, 3 rows: clean, noisy, reconstructed


def test_stacked_autoencoder_logs_each_phase_as_its_own_run(tmp_path):
    store = train(tmp_path, "autoencoder", "--stacked", "--hidden", "32,16",
                  "--pretrain-epochs", "1", "--epochs", "1")
    runs = set(store.runs())
    for phase in ("pretrain-1", "pretrain-2", "finetune"):
        assert {f"autoencoder/r/{phase}/train", f"autoencoder/r/{phase}/validation"} <= runs
    assert P.TAG_SAMPLES + "reconstructions" in \
        store.kinds("autoencoder/r/pretrain-2/train")[Kind.IMAGES]
    # Layer 2's reconstructions are decoded through layer 1 back into images.
    assert image_size(store, "autoencoder/r/pretrain-2/train", P.TAG_SAMPLES + "reconstructions") \
        == image_size(store, "autoencoder/r/pretrain-1/train", P.TAG_SAMPLES + "reconstructions")
    assert 0 <= store.scalars("autoencoder/r/finetune", "test/accuracy").values[-1] <= 1
    assert P.TAG_CONFUSION in store.kinds("autoencoder/r/finetune")[Kind.CONFUSION]


def test_stacked_autoencoder_rejects_conv_and_bad_sizes():
    ds = data.load("mnist5k", limit=100)
    with pytest.raises(InspectorError, match="--stacked"):
        autoencoder.train_stacked(autoencoder.AutoencoderConfig(stacked=True, conv=True),
                                  None, ds)
    with pytest.raises(InspectorError, match="--hidden"):
        unsupervised.layer_sizes(("64", "x"))


def test_labelled_share_cuts_only_the_training_split_and_keeps_every_class():
    ds = data.load("mnist5k")
    share = unsupervised.labelled_share(ds, 0.1)
    assert len(share.x_train) == round(0.1 * len(ds.x_train))
    assert set(np.unique(share.y_train)) == set(range(10))
    assert len(share.x_test) == len(ds.x_test) and len(share.x_val) == len(ds.x_val)
    with pytest.raises(InspectorError, match="--labels"):
        unsupervised.labelled_share(ds, 0.0)


# ----- rbm --------------------------------------------------------------------------------


def test_cd_step_lowers_the_reconstruction_error_of_its_data():
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    patterns = np.array([[1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 1]] * 10, np.float32)
    machine = rbm.Rbm(6, 2)
    step = rbm.cd_step(machine, keras.optimizers.SGD(0.5), k=1)
    errors = [float(step(tf.constant(patterns))) for _ in range(200)]
    assert errors[-1] < 0.5 * errors[0]
    energy = machine.free_energy(tf.constant(patterns)).numpy()
    unseen = np.array([[1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1]], np.float32)
    other = machine.free_energy(tf.constant(unseen)).numpy()
    assert energy.mean() < other.mean()  # the data is likelier than patterns it never saw


def test_rbm_reconstruction_error_falls_and_filters_are_logged_as_kernels(tmp_path):
    store = train(tmp_path, "rbm", "--cd-k", "2")
    run = "rbm/r/train"
    error = values(store, run, "reconstruction_error")
    assert len(error) == 4 and error[-1] < error[1] < error[0]  # step 0: before training
    assert len(values(store, "rbm/r/validation", "free_energy")) == 4
    [kernel] = store.series(Kind.KERNELS, run, P.TAG_KERNELS + "rbm")[-1:]
    assert kernel.value.shape == (784, 32)
    assert {P.TAG_SAMPLES + "reconstructions", P.TAG_KERNELS + "rbm" + P.TAG_GRID_SUFFIX} <= \
        set(store.kinds(run)[Kind.IMAGES])
    assert store.graphs(run)
    from dashboards import kernels_data

    form = kernels_data.layer_form((784, 32), kernels_data.input_shape(store, run))
    assert form.form == "templates"  # the kernels view draws 32 filters of 28x28
    root = store.kinds("rbm/r")
    assert root[Kind.HPARAMS] and "test/reconstruction_error" in root[Kind.SCALARS]


def test_rbm_pretrains_the_classifier_it_then_fine_tunes(tmp_path):
    store = train(tmp_path, "rbm", "--pretrain-for", "mlp", "--hidden", "32,16",
                  "--pretrain-epochs", "1", "--epochs", "1")
    last_rbm = store.series(Kind.KERNELS, "rbm/r/pretrain-1/train", P.TAG_KERNELS + "rbm")[-1]
    first_dense = store.series(Kind.KERNELS, "rbm/r/finetune/train", P.TAG_KERNELS + "dense1")[0]
    assert first_dense.step == 0  # before fine-tuning: the first RBM's weights
    np.testing.assert_array_equal(first_dense.value, last_rbm.value)
    assert store.series(Kind.KERNELS, "rbm/r/pretrain-2/train", P.TAG_KERNELS + "rbm")[-1] \
        .value.shape == (32, 16)
    assert 0 <= store.scalars("rbm/r/finetune", "test/accuracy").values[-1] <= 1


def test_no_pretraining_trains_the_same_classifier_from_scratch(tmp_path):
    store = train(tmp_path, "autoencoder", "--stacked", "--hidden", "32,16",
                  "--pretrain-epochs", "0", "--epochs", "1")
    assert not [r for r in store.runs() if "pretrain" in r]
    assert 0 <= store.scalars("autoencoder/r/finetune", "test/accuracy").values[-1] <= 1
