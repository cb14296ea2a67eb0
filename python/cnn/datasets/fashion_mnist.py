"""Fashion-MNIST (Zalando Research, MIT licence): 28x28 grey images of 10 kinds of clothing.

load_fashion_mnist() returns what keras.datasets.fashion_mnist.load_data() returns, read from the four
original gzip IDX files. Where it looks, in order: the `path` argument; the folder named by the
environment variable CNN_FASHION_MNIST_DIR; Debian's package `dataset-fashion-mnist`
(/usr/share/datasets/fashion-mnist); Keras's download cache (~/.keras/datasets/fashion-mnist); and
last the class-balanced subset shipped in cnn/datasets/data (6,000 training and 1,000 test images).

load_data() is keras.datasets.fashion_mnist.load_data(): the full set only (see its docstring).
"""
import gzip
import os

import numpy as np

from . import _fetch

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
    """The array stored in an IDX file (gzip-compressed when the name ends in .gz): uint8 data only.
    Read straight into the array: no bytes object of the whole file beside it (peak memory)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] != 0x08:
            raise ValueError(f"{path!r} is not an unsigned-byte IDX file (magic {magic!r})")
        dims = f.read(4 * magic[3])
        shape = tuple(int.from_bytes(dims[4 * i:4 + 4 * i], "big") for i in range(len(dims) // 4))
        if len(shape) != magic[3]:
            raise ValueError(f"{path!r}: header cut short (shape {shape}, {magic[3]} dimensions expected)")
        data = np.empty(shape, dtype=np.uint8)
        view, got = memoryview(data.reshape(-1)), 0
        while got < data.size:
            n = f.readinto(view[got:got + (1 << 20)])   # gzip decompresses a whole request at once
            if not n:
                break
            got += n
        extra = len(f.read(1))
    if got + extra != data.size:
        raise ValueError(f"{path!r}: header says shape {shape} but holds {'more than ' if extra else ''}{got} bytes")
    return data


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
    return read_folder(*_find(path))


def read_folder(folder, names=FILES):
    """((x_train, y_train), (x_test, y_test)) from the four IDX files `names` (FILES' order) in `folder`."""
    x_train, y_train, x_test, y_test = (read_idx(os.path.join(folder, n)) for n in names)
    if x_train.shape[1:] != (28, 28) or len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"Fashion-MNIST files in {folder!r} have unexpected shapes: "
                         f"{x_train.shape}, {y_train.shape}, {x_test.shape}, {y_test.shape}")
    return (x_train, y_train), (x_test, y_test)


# SHA-256 of the .gz files at Keras's address (keras/src/datasets/fashion_mnist.py). Debian's copies
# hold the same images in other gzip bytes, so files outside Keras's cache are checked by content
# (decompressed sizes, that is shapes) instead.
KERAS_SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}


def check_full(data, where, name="Fashion-MNIST"):
    """`data` unchanged when it has the full set's shapes, dtypes and labels, else a ValueError."""
    (x_train, y_train), (x_test, y_test) = data
    shapes = (x_train.shape, y_train.shape, x_test.shape, y_test.shape)
    if shapes != ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,)):
        raise ValueError(f"{name} in {where!r} is not the full set: shapes {shapes}, expected "
                         "(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)")
    if any(a.dtype != np.uint8 for a in (x_train, y_train, x_test, y_test)):
        raise ValueError(f"{name} in {where!r} is not uint8")
    if y_train.max() > 9 or y_test.max() > 9:
        raise ValueError(f"{name} in {where!r} has labels above 9")
    return data


def load_data():
    """((x_train, y_train), (x_test, y_test)) as keras.datasets.fashion_mnist.load_data() returns them:
    uint8 images (60000, 28, 28) and (10000, 28, 28) with values 0..255, uint8 labels 0..9
    (FASHION_MNIST_CLASSES) of shapes (60000,) and (10000,).

    Looks for the four original .gz files (FILES) in, in order: $CNN_DATA_DIR/fashion-mnist; Keras's
    cache ($KERAS_HOME or ~/.keras, then datasets/fashion-mnist; each file must have the SHA-256 Keras
    pins); Debian's package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, `apt-get
    install dataset-fashion-mnist`); and only then downloads the missing ones from Keras's address into
    Keras's cache, checking their SHA-256. Every source is checked for the full set's shapes.

    It never falls back to the 6,000-image subset shipped with cnn: Keras code expects 60,000 images, so
    without the full set it raises DatasetUnavailableError (an OSError) saying where it looked; use
    load_fashion_mnist('shipped') for the subset on purpose.
    """
    searched, problems = [], []
    own = _fetch.data_dir("fashion-mnist")
    if own:
        searched.append(own)
        if _folder_has_files(own, FILES):
            return check_full(read_folder(own), own)
    cache = os.path.join(_fetch.keras_cache_dir(), "fashion-mnist")
    searched.append(cache)
    missing = []
    for name in FILES:
        path = os.path.join(cache, name)
        problem = _fetch.hash_problem(path, KERAS_SHA256[name]) if os.path.isfile(path) else "absent"
        if problem:
            missing.append(name)
            if problem != "absent":
                problems.append(problem)
    if not missing:
        return check_full(read_folder(cache), cache)
    searched.append(DEBIAN_DIR)
    if _folder_has_files(DEBIAN_DIR, FILES):
        return check_full(read_folder(DEBIAN_DIR), DEBIAN_DIR)
    try:
        for name in missing:
            _fetch.download(name, os.path.join(cache, name), KERAS_SHA256[name])
    except _fetch.DatasetUnavailableError as e:
        raise _fetch.DatasetUnavailableError(
            "Fashion-MNIST (60,000 training images) is not on this machine and could not be downloaded. "
            f"Looked in {searched}" + (f"; {'; '.join(problems)}" if problems else "") + f". {e}. "
            "Install Debian's package (apt-get install dataset-fashion-mnist), put the four .gz files "
            f"{list(FILES)} in $CNN_DATA_DIR/fashion-mnist, or use "
            "cnn.datasets.load_fashion_mnist('shipped') for the 6,000-image subset shipped with cnn."
        ) from None
    return check_full(read_folder(cache), cache)
