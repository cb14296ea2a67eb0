"""cnn.datasets.load_fashion_mnist: Keras's shapes and dtypes, from the full set or the shipped subset."""
import os

import numpy as np
import pytest

from cnn.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
from cnn.datasets import fashion_mnist as fm

FIRST_TRAIN_LABELS = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]   # the original files' first labels
FIRST_TEST_LABELS = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]


def check(data, n_train, n_test):
    (x, y), (xt, yt) = data
    assert x.shape == (n_train, 28, 28) and xt.shape == (n_test, 28, 28)
    assert y.shape == (n_train,) and yt.shape == (n_test,)
    assert x.dtype == xt.dtype == y.dtype == yt.dtype == np.uint8
    assert y[:10].tolist() == FIRST_TRAIN_LABELS and yt[:10].tolist() == FIRST_TEST_LABELS
    assert x.max() == 255 and x.min() == 0
    return (x, y), (xt, yt)


def test_shipped_subset_is_balanced_and_keeps_the_first_labels():
    (x, y), (xt, yt) = check(load_fashion_mnist("shipped"), 6000, 1000)
    assert np.bincount(y, minlength=10).tolist() == [600] * 10
    assert np.bincount(yt, minlength=10).tolist() == [100] * 10
    assert len(FASHION_MNIST_CLASSES) == 10
    # The first image is the original's first (an ankle boot): its pixel sum is a fixed number.
    assert int(x[0].sum(dtype=np.int64)) == 76247 and int(xt[0].sum(dtype=np.int64)) == 33456


def test_shipped_subset_is_read_even_when_the_full_set_is_installed(monkeypatch):
    monkeypatch.setattr(fm, "DEBIAN_DIR", os.path.dirname(fm.__file__))  # a folder without the files
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    monkeypatch.setattr(fm, "KERAS_CACHE_DIR", "/nonexistent-cnn-test")
    assert fm.fashion_mnist_source() == fm._DATA
    check(load_fashion_mnist(), 6000, 1000)


@pytest.mark.skipif(not os.path.isdir(fm.DEBIAN_DIR), reason="dataset-fashion-mnist is not installed")
def test_full_set_from_the_debian_package(monkeypatch):
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    assert fm.fashion_mnist_source() == fm.DEBIAN_DIR
    (_, y), (_, yt) = check(load_fashion_mnist(), 60000, 10000)
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert fm.fashion_mnist_source("shipped") == fm._DATA  # the argument still forces the subset


def test_folder_from_argument_and_environment(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (5, 28, 28)), np.arange(5), rng.integers(0, 256, (3, 28, 28)),
              np.arange(3)]
    for name, a in zip(fm.FILES, arrays):
        fm.write_idx(str(tmp_path / name), a)
    (x, _), (_, yt) = load_fashion_mnist(tmp_path)
    np.testing.assert_array_equal(x, arrays[0])
    np.testing.assert_array_equal(yt, arrays[3])
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path))
    assert load_fashion_mnist()[0][0].shape == (5, 28, 28)


def test_bad_locations_name_the_argument(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="path="):
        load_fashion_mnist(tmp_path)
    with pytest.raises(TypeError, match="path"):
        load_fashion_mnist(3)
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match=fm.ENV_VAR):
        load_fashion_mnist()
    (tmp_path / "bad.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="IDX"):
        fm.read_idx(str(tmp_path / "bad.gz"))
