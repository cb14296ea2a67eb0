"""cnn.datasets.fashion_mnist.load_data() and cnn.datasets.mnist.load_data(): Keras's tuples, the search
order, SHA-256 checks and the offline error. Nothing here downloads: ORIGIN points at file:// URLs."""
import os
import shutil

import numpy as np
import pytest

import cnn
from cnn.datasets import DatasetUnavailableError, _fetch, mnist
from cnn.datasets import fashion_mnist as fm

DEBIAN_DIR = fm.DEBIAN_DIR  # the real folder (the fixture below hides it from the loaders)
HAS_DEBIAN = all(os.path.isfile(os.path.join(DEBIAN_DIR, n)) for n in fm.FILES)
needs_debian = pytest.mark.skipif(not HAS_DEBIAN, reason="dataset-fashion-mnist is not installed")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No CNN_DATA_DIR, an empty Keras home, no Debian folder and a download address that does not exist."""
    monkeypatch.delenv(_fetch.DATA_DIR_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(fm, "DEBIAN_DIR", str(tmp_path / "no-debian"))
    monkeypatch.setattr(_fetch, "ORIGIN", (tmp_path / "no-origin").as_uri() + "/")
    return tmp_path


def check_keras_tuple(data):
    (x, y), (xt, yt) = data
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert y.shape == (60000,) and yt.shape == (10000,)
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    return (x, y), (xt, yt)


def fake_mnist(seed=0):
    """Full-size MNIST-shaped arrays (mostly zeros, so they compress fast) with recognisable content."""
    rng = np.random.default_rng(seed)
    x, xt = np.zeros((60000, 28, 28), np.uint8), np.zeros((10000, 28, 28), np.uint8)
    x[:, 14, 14], xt[:, 3, 5] = rng.integers(0, 256, 60000), rng.integers(0, 256, 10000)
    y, yt = (rng.integers(0, 10, n).astype(np.uint8) for n in (60000, 10000))
    return (x, y), (xt, yt)


@pytest.fixture(scope="module")
def fake_idx(tmp_path_factory):
    """(folder holding fake_mnist() as the four gzip IDX files FILES, the arrays): written once (slow)."""
    folder = tmp_path_factory.mktemp("fake-idx")
    arrays = fake_mnist()
    for name, a in zip(fm.FILES, (arrays[0][0], arrays[0][1], arrays[1][0], arrays[1][1])):
        fm.write_idx(str(folder / name), a)
    return folder, arrays


@needs_debian
def test_fashion_mnist_load_data_reads_the_debian_files_like_keras(isolated, monkeypatch):
    monkeypatch.setattr(fm, "DEBIAN_DIR", DEBIAN_DIR)
    (x, y), (xt, yt) = check_keras_tuple(cnn.datasets.fashion_mnist.load_data())
    assert y[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5] and yt[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert int(x[0].sum(dtype=np.int64)) == 76247 and int(xt[0].sum(dtype=np.int64)) == 33456
    # the same arrays as the older loader reading the same folder
    (x2, _), (xt2, _) = fm.load_fashion_mnist(DEBIAN_DIR)
    assert np.array_equal(x, x2) and np.array_equal(xt, xt2)
    assert not os.path.exists(isolated / "keras")  # found locally: nothing written to the cache


def test_fashion_mnist_never_falls_back_to_the_subset_offline(isolated):
    with pytest.raises(DatasetUnavailableError) as err:
        fm.load_data()
    message = str(err.value)
    for hint in ("60,000", "could not download", "no-origin", "apt-get install dataset-fashion-mnist",
                 "load_fashion_mnist('shipped')", str(isolated / "keras" / "datasets" / "fashion-mnist")):
        assert hint in message
    assert isinstance(err.value, OSError)
    assert not os.path.exists(isolated / "keras" / "datasets")  # a failed download writes nothing
    # the shipped subset is still what the older loader falls back to
    assert fm.load_fashion_mnist()[0][0].shape == (6000, 28, 28)


def test_fashion_mnist_corrupted_cache_file_is_rejected_by_hash(isolated, fake_idx):
    cache = isolated / "keras" / "datasets" / "fashion-mnist"
    shutil.copytree(fake_idx[0], cache)  # valid gzip IDX files with the right shapes, other bytes
    with pytest.raises(DatasetUnavailableError) as err:
        fm.load_data()
    assert "has SHA-256" in str(err.value) and "Keras pins " + fm.KERAS_SHA256[fm.FILES[0]] in str(err.value)


def test_cnn_data_dir_comes_first_and_is_checked_for_the_full_shapes(isolated, monkeypatch, fake_idx):
    monkeypatch.setenv(_fetch.DATA_DIR_VAR, str(isolated / "data"))
    folder = isolated / "data" / "fashion-mnist"
    shutil.copytree(fake_idx[0], folder)
    (x, y), (xt, yt) = fake_idx[1]
    (x2, y2), (xt2, yt2) = check_keras_tuple(fm.load_data())
    assert np.array_equal(x2, x) and np.array_equal(yt2, yt)
    fm.write_idx(str(folder / fm.FILES[2]), xt[:9999])  # one test image and its label missing
    fm.write_idx(str(folder / fm.FILES[3]), yt[:9999])
    with pytest.raises(ValueError, match=r"not the full set.*\(9999,\)"):
        fm.load_data()


@needs_debian
def test_fashion_mnist_download_checks_the_hash_then_fills_the_cache(isolated, monkeypatch):
    # A file:// "server" holding Debian's files: the download path runs without a network.
    monkeypatch.setattr(_fetch, "ORIGIN", "file://" + DEBIAN_DIR + "/")
    with pytest.raises(ValueError, match="has SHA-256 .* where Keras pins"):  # Debian's gzip bytes differ
        fm.load_data()
    assert not os.path.exists(isolated / "keras" / "datasets" / "fashion-mnist" / fm.FILES[0])
    debian_hashes = {n: _fetch.sha256_of(os.path.join(DEBIAN_DIR, n)) for n in fm.FILES}
    monkeypatch.setattr(fm, "KERAS_SHA256", debian_hashes)
    (x, _), _ = check_keras_tuple(fm.load_data())
    cache = isolated / "keras" / "datasets" / "fashion-mnist"
    assert sorted(os.listdir(cache)) == sorted(fm.FILES)  # no leftover temporary files
    monkeypatch.setattr(_fetch, "ORIGIN", (isolated / "no-origin").as_uri() + "/")
    assert np.array_equal(fm.load_data()[0][0], x)  # now read from the cache, offline


def test_mnist_offline_error_and_corrupted_cache(isolated):
    with pytest.raises(DatasetUnavailableError, match="MNIST is not on this machine") as err:
        cnn.datasets.mnist.load_data()
    assert "mnist.npz" in str(err.value) and "$CNN_DATA_DIR/mnist" in str(err.value)
    cached = isolated / "keras" / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    (x, y), (xt, yt) = fake_mnist()
    np.savez_compressed(cached, x_train=x, y_train=y, x_test=xt, y_test=yt)
    with pytest.raises(DatasetUnavailableError, match="Keras pins " + mnist.KERAS_SHA256):
        mnist.load_data()
    with pytest.raises(TypeError, match="path must be"):
        mnist.load_data(path=3)


def test_mnist_download_hash_check_on_a_corrupted_file(isolated, monkeypatch):
    server = isolated / "server"
    server.mkdir()
    (server / "mnist.npz").write_bytes(b"not the real mnist.npz")
    monkeypatch.setattr(_fetch, "ORIGIN", server.as_uri() + "/")
    with pytest.raises(ValueError, match="nothing was saved"):
        mnist.load_data()
    assert not os.path.exists(isolated / "keras" / "datasets")


def test_mnist_from_cnn_data_dir_npz_or_idx_files(isolated, monkeypatch, fake_idx):
    monkeypatch.setenv(_fetch.DATA_DIR_VAR, str(isolated / "data"))
    folder = isolated / "data" / "mnist"
    shutil.copytree(fake_idx[0], folder)
    (x, y), (xt, yt) = fake_idx[1]
    (x2, y2), (xt2, yt2) = check_keras_tuple(mnist.load_data())
    assert np.array_equal(x2, x) and np.array_equal(y2, y) and np.array_equal(xt2, xt)
    np.savez_compressed(folder / "mnist.npz", x_train=x[::-1], y_train=y, x_test=xt, y_test=yt)
    assert np.array_equal(mnist.load_data()[0][0], x[::-1])  # the npz wins over the .gz files
    np.savez_compressed(folder / "mnist.npz", x_train=x, y_train=y)
    with pytest.raises(ValueError, match=r"lacks \['x_test', 'y_test'\]"):
        mnist.load_data()


def test_keras_style_imports():
    from cnn.datasets import fashion_mnist
    from cnn.datasets import mnist as mnist_module
    assert callable(fashion_mnist.load_data) and callable(mnist_module.load_data)
