"""Tests for trainers.data: every data set loads offline, is deterministic and well split."""

import socket
import time

import numpy as np
import pytest

from inspector.errors import InspectorError
from trainers import data, toysets

SMALL = {"shapes": 300, "circle": 400, "xor": 400, "gauss": 400, "spiral": 400,
         "regression": 500, "linear": 100}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test may download: forbid the offline-unaware paths from opening sockets."""
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    data._notice.cache_clear()  # each test starts as a fresh process: no notice shown yet

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)


def small(name: str, **kwargs) -> data.Dataset:
    return data.load(name, size=SMALL.get(name), **kwargs)


def splits(ds: data.Dataset):
    return [(ds.x_train, ds.y_train), (ds.x_val, ds.y_val), (ds.x_test, ds.y_test)]


@pytest.mark.parametrize("name", [n for n, _ in data.describe() if n != "cifar10"])
def test_every_offline_set_has_consistent_splits_dtypes_and_shapes(name):
    ds = small(name)
    assert ds.name == name
    assert ds.task in ("classification", "regression", "text")
    for x, y in splits(ds):
        assert len(x) == len(y) > 0
        assert x.shape[1:] == ds.input_shape
        assert y.ndim == 1
    if ds.task == "regression":
        assert ds.num_classes == 0 and ds.y_train.dtype == np.float32
    else:
        assert ds.y_train.dtype == np.int64
        assert ds.num_classes == len(ds.class_names)
    if ds.task == "classification":
        assert ds.x_train.dtype == np.float32


@pytest.mark.parametrize("name", ["mnist5k", "shapes"])
def test_images_are_float32_in_unit_range_with_channel_axis(name):
    ds = small(name)
    assert ds.input_shape == ((28, 28, 1) if name == "mnist5k" else (32, 32, 3))
    for x, _ in splits(ds):
        assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert ds.x_train.max() == 1.0  # scaled, not left in 0..255 or squashed


@pytest.mark.parametrize("name", ["mnist5k", "shapes", "spiral", "regression", "code"])
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a, b, c = small(name, seed=3), small(name, seed=3), small(name, seed=4)
    for (xa, ya), (xb, yb) in zip(splits(a), splits(b), strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a.x_train, c.x_train)


def test_mnist_subset_splits_are_disjoint_sized_and_cover_all_5000_digits():
    ds = data.load("mnist5k", val_fraction=0.1, test_fraction=0.2)
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (3500, 500, 1000)
    flat = [x.reshape(len(x), -1) for x, _ in splits(ds)]
    rows = {row.tobytes() for part in flat for row in part}
    assert len(rows) >= 4990  # MNIST has a few duplicate images, the splits share none
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        assert not {r.tobytes() for r in flat[i]} & {r.tobytes() for r in flat[j]}


def test_mnist_subset_has_all_ten_digits_balanced_in_every_split():
    ds = data.load("mnist5k")
    assert ds.class_names == [str(d) for d in range(10)] and ds.num_classes == 10
    total = sum(np.bincount(y, minlength=10) for _, y in splits(ds))
    assert total.tolist() == [500] * 10
    assert np.bincount(ds.y_val, minlength=10).tolist() == [50] * 10  # stratified
    assert np.bincount(ds.y_test, minlength=10).tolist() == [100] * 10


def test_mnist_subset_digits_look_like_digits():
    ds = data.load("mnist5k")
    x = ds.x_train[..., 0]
    assert 0.05 < x.mean() < 0.25  # mostly dark background, some bright strokes
    border = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)
    assert border.mean() < 0.01  # MNIST digits are centred in a blank margin
    ones, zeros = x[ds.y_train == 1].mean(), x[ds.y_train == 0].mean()
    assert ones < zeros  # a '1' has far less ink than a '0'


def test_offline_mnist_says_so_in_one_line_and_returns_the_subset(capsys):
    ds = data.load("mnist", offline=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "full MNIST" in err[0] and "5,000-digit subset" in err[0]
    assert "run once with network" in err[0]
    assert ds.name == "mnist" and "5,000-digit" in ds.source
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 5000


def test_the_fallback_notice_is_printed_once_per_process(capsys):
    data.load("mnist", offline=True)
    data.load("mnist", offline=True)  # a sweep's next run
    assert capsys.readouterr().err.count("full MNIST not used") == 1


def test_inspector_offline_env_forces_the_subset(capsys):
    ds = data.load("mnist")  # the autouse fixture set INSPECTOR_OFFLINE=1
    assert "5,000-digit" in ds.source and "full MNIST" in capsys.readouterr().err


def test_mnist5k_never_prints_a_fallback_line(capsys):
    data.load("mnist5k", offline=False)
    assert capsys.readouterr().err == ""


def test_full_mnist_keeps_the_official_test_split(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (600, 28, 28), dtype=np.uint8)
    y = np.arange(600, dtype=np.uint8) % 10
    x_test, y_test = x[:100], y[:100]
    monkeypatch.setattr(data, "_keras_load", lambda *a: ((x, y), (x_test, y_test)))
    ds = data.load("mnist", offline=False, val_fraction=0.1, test_fraction=0.3)
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (540, 60, 100)
    assert "keras" in ds.source and ds.input_shape == (28, 28, 1)
    np.testing.assert_allclose(ds.x_test[..., 0], x_test / 255.0, rtol=1e-6)
    assert ds.y_test.dtype == np.int64


def test_unreachable_mnist_host_falls_back_with_the_reason(monkeypatch, capsys):
    def unreachable(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setenv("KERAS_HOME", "/nonexistent-keras-home")
    ds = data.load("mnist", offline=False)
    err = capsys.readouterr().err
    assert "could not be downloaded" in err and "Name or service not known" in err
    assert "5,000-digit" in ds.source


def test_a_hanging_probe_gives_up_after_the_timeout(monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(5)
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    monkeypatch.setattr(data, "PROBE_TIMEOUT_S", 0.2)
    monkeypatch.setattr(data.urllib.request, "getproxies", dict)
    start = time.monotonic()
    with pytest.raises(data._Unavailable, match="no answer"):
        data._probe("storage.googleapis.com")
    assert time.monotonic() - start < 2


def test_offline_cifar10_error_names_the_shapes_fallback():
    with pytest.raises(InspectorError, match="'shapes'") as info:
        data.load("cifar10", offline=True)
    assert "\n" not in str(info.value)


def test_unknown_name_error_lists_the_known_sets():
    with pytest.raises(InspectorError) as info:
        data.load("imagenet")
    message = str(info.value)
    assert "imagenet" in message and "\n" not in message
    for name, _ in data.describe():
        assert name in message


def test_describe_gives_one_line_per_known_set():
    names = [n for n, _ in data.describe()]
    assert {"mnist", "mnist5k", "cifar10", "shapes", "circle", "xor", "gauss", "spiral",
            "regression", "linear", "code", "adding"} == set(names)
    assert all(text and "\n" not in text for _, text in data.describe())


@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral"])
def test_playground_sets_are_2d_binary_in_the_playground_square(name):
    ds = small(name)
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    assert x.shape[1] == 2 and np.abs(x).max() <= 6
    assert set(np.unique(y)) == {0, 1}
    assert 0.4 < y.mean() < 0.6


def test_xor_labels_follow_the_sign_of_x1_times_x2():
    ds = data.load("xor", noise=0.0)
    np.testing.assert_array_equal(ds.y_train, ds.x_train[:, 0] * ds.x_train[:, 1] >= 0)
    noisy = data.load("xor", noise=0.1)
    agree = np.mean(noisy.y_train == (noisy.x_train[:, 0] * noisy.x_train[:, 1] >= 0))
    assert 0.8 < agree < 1.0  # noise flips labels near the axes, as in the Playground


def test_circle_labels_are_the_inner_disc_without_noise():
    ds = data.load("circle", noise=0.0)
    np.testing.assert_array_equal(ds.y_train, np.hypot(*ds.x_train.T) < 2.5)


def test_gauss_blobs_sit_on_opposite_diagonals():
    ds = data.load("gauss", noise=0.0)
    centre_1 = ds.x_train[ds.y_train == 1].mean(axis=0)
    centre_0 = ds.x_train[ds.y_train == 0].mean(axis=0)
    np.testing.assert_allclose(centre_1, [2, 2], atol=0.2)
    np.testing.assert_allclose(centre_0, [-2, -2], atol=0.2)


def test_linear_set_is_separable_with_the_promised_margin():
    ds = data.load("linear", seed=5)
    w, b = ds.extras["w"], ds.extras["b"]
    for x, y in splits(ds):
        assert set(np.unique(y)) <= {-1, 1}
        assert (y * (x @ w + b) >= ds.extras["margin"] - 1e-5).all()
    assert set(np.unique(ds.y_train)) == {-1, 1}


def test_rosenblatt_rule_converges_on_the_linear_set():
    ds = data.load("linear")
    x = np.hstack([ds.x_train, -np.ones((len(ds.x_train), 1), np.float32)])
    w = np.zeros(3)
    for _ in range(1000):
        updates = 0
        for xi, yi in zip(x, ds.y_train, strict=True):
            if yi * (xi @ w) <= 0:
                w += yi * xi
                updates += 1
        if updates == 0:
            break
    assert updates == 0


def test_regression_is_standardized_and_convertible_back_to_celsius():
    ds = small("regression")
    assert ds.task == "regression" and ds.input_shape == (6,)
    assert ds.extras["feature_names"][0] == "hour"
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1, atol=1e-4)
    assert abs(ds.y_train.mean()) < 1e-5 and abs(ds.y_train.std() - 1) < 1e-4
    celsius = ds.y_train * ds.extras["target_std"] + ds.extras["target_mean"]
    assert -15 < celsius.min() and celsius.max() < 40


def test_regression_target_is_a_nonlinear_function_of_the_inputs():
    ds = data.load("regression", noise=0.0)
    x = np.hstack([ds.x_train, np.ones((len(ds.x_train), 1))])
    coef, *_ = np.linalg.lstsq(x, ds.y_train, rcond=None)
    residual = ds.y_train - x @ coef
    assert residual.std() > 0.2  # a straight line does not explain it: worth a hidden layer


def test_shapes_classes_are_balanced_and_named():
    ds = data.load("shapes", size=500)
    assert ds.class_names == list(toysets.SHAPE_NAMES) and ds.num_classes == 10
    total = sum(np.bincount(y, minlength=10) for _, y in splits(ds))
    assert total.tolist() == [50] * 10


def test_code_corpus_windows_predict_the_next_character_and_round_trip():
    ds = data.load("code", seq_len=32)
    vocab = ds.class_names
    assert ds.task == "text" and ds.input_shape == (32,) and ds.num_classes == len(vocab)
    assert all(len(ch) == 1 for ch in vocab) and "d" in vocab and "\n" in vocab
    window = data.decode_text(ds.x_train[0], vocab)
    np.testing.assert_array_equal(data.encode_text(window, vocab), ds.x_train[0])
    corpus = "\n\n".join(p.read_text(encoding="utf-8") for p in toysets.source_files())
    assert window + vocab[ds.y_train[0]] in corpus
    assert "trainers/data.py" in " ".join(ds.extras["files"]).replace("\\", "/")


def test_encode_text_rejects_characters_outside_the_vocabulary():
    with pytest.raises(InspectorError, match="not in the vocabulary"):
        data.encode_text("abc", ["a", "b"])


def test_limit_caps_training_examples_and_shrinks_the_others_in_proportion():
    ds = data.load("mnist5k", limit=700)
    assert (len(ds.x_train), len(ds.x_val), len(ds.x_test)) == (700, 100, 200)
    assert len(np.unique(ds.y_train)) == 10


def test_bad_fractions_are_a_user_error():
    with pytest.raises(InspectorError, match="sum to less than 1"):
        data.load("xor", val_fraction=0.5, test_fraction=0.5)
