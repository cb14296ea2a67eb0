"""The workloads' data, prepared once, as float32 inputs and integer or float32 targets."""
import numpy as np


def iris():
    from cnn.datasets import load_iris
    x, y = load_iris()
    return ((x - x.mean(0)) / x.std(0)).astype(np.float32), y


def wine():
    from cnn.datasets import load_red_wine
    (x, y), _ = load_red_wine()
    return x, y


def fashion_mnist(shipped=False):
    """((x_train, y_train), (x_test, y_test), source): images scaled to [0, 1] float32, uint8 labels."""
    from cnn.datasets import fashion_mnist as fm
    path = "shipped" if shipped else None
    (x, y), (xt, yt) = fm.load_fashion_mnist(path)
    source = "shipped subset" if fm.fashion_mnist_source(path) == fm._DATA else "full set"
    return ((x / np.float32(255)).astype(np.float32), y), ((xt / np.float32(255)).astype(np.float32), yt), source
