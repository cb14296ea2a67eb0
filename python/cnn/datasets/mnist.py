"""MNIST handwritten digits (Yann LeCun, Corinna Cortes, Christopher Burges; CC BY-SA 3.0).

load_data() is keras.datasets.mnist.load_data(). Debian has no MNIST package (`apt-cache search
mnist` lists only dataset-fashion-mnist), so the places are: $CNN_DATA_DIR/mnist (Keras's mnist.npz
or the four original .gz IDX files, read by the Fashion-MNIST reader, same names and format), then
Keras's cache (mnist.npz with the SHA-256 Keras pins), then a download of mnist.npz into that cache.
"""
import os

import numpy as np

from . import _fetch
from .fashion_mnist import FILES, _folder_has_files, check_full, read_folder

NPZ = "mnist.npz"
# keras/src/datasets/mnist.py pins this hash for mnist.npz at Keras's address.
KERAS_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def read_npz(path):
    """((x_train, y_train), (x_test, y_test)) from a Keras-style mnist.npz (no pickled objects read)."""
    with np.load(path, allow_pickle=False) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise ValueError(f"{path!r} is not Keras's mnist.npz: it lacks {sorted(missing)}")
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def load_data(path=NPZ):
    """((x_train, y_train), (x_test, y_test)) as keras.datasets.mnist.load_data() returns them:
    uint8 images (60000, 28, 28) and (10000, 28, 28) with values 0..255, uint8 digit labels 0..9 of
    shapes (60000,) and (10000,).

    path: where Keras caches the file, relative to Keras's datasets folder ($KERAS_HOME or ~/.keras,
    then datasets), as in Keras. Searched in order (see the module docstring); every source is
    checked for the full set's shapes and dtypes, the cached and downloaded file for Keras's SHA-256.
    Raises DatasetUnavailableError (an OSError) saying where it looked when MNIST is nowhere and
    cannot be downloaded (this package ships no MNIST subset).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name such as 'mnist.npz', got {path!r}")
    searched = []
    own = _fetch.data_dir("mnist")
    if own:
        searched.append(own)
        if os.path.isfile(os.path.join(own, NPZ)):
            return check_full(read_npz(os.path.join(own, NPZ)), own, "MNIST")
        if _folder_has_files(own, FILES):
            return check_full(read_folder(own), own, "MNIST")
    cached = os.path.join(_fetch.keras_cache_dir(), os.path.expanduser(os.fspath(path)))
    searched.append(cached)
    problem = _fetch.hash_problem(cached, KERAS_SHA256) if os.path.isfile(cached) else None
    if os.path.isfile(cached) and problem is None:
        return check_full(read_npz(cached), cached, "MNIST")
    try:
        _fetch.download(NPZ, cached, KERAS_SHA256)
    except _fetch.DatasetUnavailableError as e:
        raise _fetch.DatasetUnavailableError(
            f"MNIST is not on this machine and could not be downloaded. Looked in {searched}"
            + (f"; {problem}" if problem else "") + f". {e}. Put Keras's {NPZ} (or the four .gz files "
            f"{list(FILES)}) in $CNN_DATA_DIR/mnist, or copy {NPZ} into {os.path.dirname(cached)!r}."
        ) from None
    return check_full(read_npz(cached), cached, "MNIST")
