"""Fashion-MNIST (Zalando Research, MIT licence): 28x28 grey images of 10 kinds of clothing.

load_fashion_mnist() returns what keras.datasets.fashion_mnist.load_data() returns, read from the four
original gzip IDX files. Where it looks, in order: the `path` argument; the folder named by the
environment variable CNN_FASHION_MNIST_DIR; Debian's package `dataset-fashion-mnist`
(/usr/share/datasets/fashion-mnist); Keras's download cache (~/.keras/datasets/fashion-mnist); and
last the class-balanced subset shipped in cnn/datasets/data (6,000 training and 1,000 test images).
"""
import gzip
import os

import numpy as np

FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot"]
ENV_VAR = "CNN_FASHION_MNIST_DIR"
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
KERAS_CACHE_DIR = os.path.join("~", ".keras", "datasets", "fashion-mnist")
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
SUBSET_PREFIX = "fashion-mnist-subset-"
_DATA = os.path.join(os.path.dirname(__file__), "data")


def read_idx(path):
    """The array stored in an IDX file (gzip-compressed when the name ends in .gz): uint8 data only."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path!r} is not an unsigned-byte IDX file (magic {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path!r}: header says shape {shape} but holds {data.size} bytes")
    return data.reshape(shape)


def write_idx(path, array):
    """Writes a uint8 array as a gzip IDX file, byte-reproducibly (no name or time in the gzip header)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write(header + array.tobytes())


def _folder_has_files(folder, names):
    return all(os.path.isfile(os.path.join(folder, n)) for n in names)


def _find(path):
    """(folder, file names) to read, following the order in the module docstring."""
    shipped = (_DATA, tuple(SUBSET_PREFIX + n for n in FILES))
    if path == "shipped":
        return shipped
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a folder name, 'shipped' or None, got {path!r}")
        folder = os.path.expanduser(os.fspath(path))
        if not _folder_has_files(folder, FILES):
            raise ValueError(f"path={path!r} does not hold the four Fashion-MNIST files {list(FILES)}")
        return folder, FILES
    env = os.environ.get(ENV_VAR)
    if env:
        if not _folder_has_files(env, FILES):
            raise ValueError(f"{ENV_VAR}={env!r} does not hold the four Fashion-MNIST files {list(FILES)}")
        return env, FILES
    for folder in (DEBIAN_DIR, os.path.expanduser(KERAS_CACHE_DIR)):
        if _folder_has_files(folder, FILES):
            return folder, FILES
    return shipped


def fashion_mnist_source(path=None):
    """The folder load_fashion_mnist(path) reads from (the package's data folder for the subset)."""
    return _find(path)[0]


def load_fashion_mnist(path=None):
    """((x_train, y_train), (x_test, y_test)) as keras.datasets.fashion_mnist.load_data() returns them:
    uint8 images (n, 28, 28) with values 0..255, uint8 labels 0..9 (FASHION_MNIST_CLASSES).

    path: a folder holding the four original files; 'shipped' to read the subset shipped with cnn
    (6,000 / 1,000 images, 600 / 100 of each class) even when the full set is installed; None to search
    (see the module docstring). The full set has 60,000 / 10,000 images.
    """
    folder, names = _find(path)
    x_train, y_train, x_test, y_test = (read_idx(os.path.join(folder, n)) for n in names)
    if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"Fashion-MNIST files in {folder!r} have unexpected shapes: "
                         f"{x_train.shape}, {y_train.shape}, {x_test.shape}, {y_test.shape}")
    return (x_train, y_train), (x_test, y_test)
