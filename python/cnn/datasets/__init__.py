"""cnn.datasets: the course datasets, shipped inside the package (no network needed), and Keras's
fashion_mnist.load_data() and mnist.load_data() for the full image sets (local copies first, see
fashion_mnist.py and mnist.py; a download only when none is found).

Each load_* function returns NumPy arrays. The lesson loaders reproduce the course's preparation:
Kaggle's split df.sample(frac=0.7, random_state=0), which is exactly
np.random.RandomState(0).permutation(n)[:round(0.7 n)] (training rows, in that order; the other rows
are the validation set in file order), then min-max scaling with the training split's min and max.
"""
import csv
import os

import numpy as np

from . import fashion_mnist, mnist  # noqa: F401  (keras.datasets' modules: <name>.load_data())
from ._fetch import DatasetUnavailableError  # noqa: F401
from .fashion_mnist import FASHION_MNIST_CLASSES, load_fashion_mnist  # noqa: F401

_DATA = os.path.join(os.path.dirname(__file__), "data")

WINE_COLUMNS = ["fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
                "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
                "quality"]


def get_path(name):
    """The path of a shipped file: 'winequality-red.csv', 'ionosphere.csv', 'sonar.csv', 'iris.csv'."""
    path = os.path.join(_DATA, name)
    if not os.path.isfile(path):
        raise ValueError(f"no shipped dataset file {name!r}; available: {sorted(os.listdir(_DATA))}")
    return path


def _read_strings(name):
    """A shipped CSV as a 2-D array of strings. (np.loadtxt(dtype=str) would briefly take ~14 MB of
    memory for these 80 KB files; a lesson's whole run has 150 MB.)"""
    with open(get_path(name), newline="") as f:
        return np.array([row for row in csv.reader(f) if row])


def _lesson_split(n, frac=0.7, seed=0):
    """Kaggle's df.sample(frac=0.7, random_state=0): train rows in sampled order, valid in file order."""
    train = np.random.RandomState(seed).permutation(n)[:int(round(frac * n))]
    valid = np.setdiff1d(np.arange(n), train)
    return train, valid


def _min_max(train, valid):
    lo, hi = train.min(axis=0), train.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (train - lo) / span, (valid - lo) / span


def load_red_wine(scaled=True):
    """The red-wine regression lesson: ((x_train, y_train), (x_valid, y_valid)) with 11 features and
    the quality as target, 1119 / 480 rows, min-max scaled (quality too) when `scaled`."""
    data = np.loadtxt(get_path("winequality-red.csv"), delimiter=",", dtype=np.float64)
    train, valid = _lesson_split(len(data))
    tr, va = data[train], data[valid]
    if scaled:
        tr, va = _min_max(tr, va)
    return ((tr[:, :-1].astype(np.float32), tr[:, -1].astype(np.float32)),
            (va[:, :-1].astype(np.float32), va[:, -1].astype(np.float32)))


def load_ionosphere(scaled=True):
    """The binary-classification lesson: 'g' -> 0, 'b' -> 1, 246 / 105 rows, min-max scaled, the
    constant second column dropped (33 features)."""
    raw = _read_strings("ionosphere.csv")
    x = raw[:, :-1].astype(np.float64)
    y = (raw[:, -1] == "b").astype(np.float64)
    train, valid = _lesson_split(len(x))
    xt, xv = x[train], x[valid]
    if scaled:
        xt, xv = _min_max(xt, xv)
    keep = [i for i in range(x.shape[1]) if i != 1]
    return ((xt[:, keep].astype(np.float32), y[train].astype(np.float32)),
            (xv[:, keep].astype(np.float32), y[valid].astype(np.float32)))


def load_sonar():
    """Sonar: x (208, 60) energies in [0, 1]; y 1 for a mine ('M'), 0 for a rock ('R')."""
    raw = _read_strings("sonar.csv")
    return raw[:, :-1].astype(np.float32), (raw[:, -1] == "M").astype(np.int64)


IRIS_CLASSES = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]


def load_iris():
    """Iris: x (150, 4) measurements in cm; y class ids 0..2 (IRIS_CLASSES)."""
    raw = _read_strings("iris.csv")
    x = raw[:, :4].astype(np.float32)
    y = np.array([IRIS_CLASSES.index(s) for s in raw[:, 4]], dtype=np.int64)
    return x, y


def red_wine_frame():
    """The whole red-wine table (1599 rows, WINE_COLUMNS) as a pandas DataFrame, as the lessons read it
    with pd.read_csv: call .head(), .describe(), then split_and_scale(). Needs pandas."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("red_wine_frame() needs pandas: pip install pandas "
                          "(load_red_wine() gives the same data as NumPy arrays)") from None
    return pd.read_csv(get_path("winequality-red.csv"), header=None, names=WINE_COLUMNS)


def split_and_scale(data, frac=0.7, random_state=0, scale=True):
    """The lessons' preparation of a table: (train, valid).

    train is data.sample(frac=frac, random_state=random_state) (same rows, same order as pandas),
    valid is the other rows in their original order; when `scale`, both are min-max scaled with the
    training split's min and max (a constant column becomes 0). `data` is a pandas DataFrame (the
    parts keep their index and columns) or a 2-D NumPy array.
    """
    if not (isinstance(frac, (int, float)) and 0 < frac < 1):
        raise ValueError(f"split_and_scale: frac must be a number strictly between 0 and 1, got {frac!r}")
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool):
        raise TypeError(f"split_and_scale: random_state must be an int, got {random_state!r}")
    if hasattr(data, "iloc"):
        train, valid = _lesson_split(len(data), frac, random_state)
        tr, va = data.iloc[train], data.iloc[valid]
        if scale:
            tr, va = _min_max(tr.astype(np.float64), va.astype(np.float64))
        return tr, va
    if not isinstance(data, np.ndarray) or data.ndim != 2:
        raise TypeError("split_and_scale: data must be a pandas DataFrame or a 2-D NumPy array, got "
                        f"{type(data).__name__} with shape {getattr(data, 'shape', None)}")
    train, valid = _lesson_split(len(data), frac, random_state)
    tr, va = data[train], data[valid]
    return _min_max(tr, va) if scale else (tr, va)
