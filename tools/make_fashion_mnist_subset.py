"""Writes the Fashion-MNIST subset shipped in python/cnn/datasets/data/ from the full set.

    python tools/make_fashion_mnist_subset.py [FOLDER_WITH_THE_FOUR_FILES]

The subset keeps, in file order, the first 600 training and the first 100 test images of each class
(6,000 and 1,000 images): deterministic, class-balanced, and its first labels are the full set's.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from cnn.datasets import fashion_mnist as fm


def first_per_class(labels, per_class):
    keep = np.zeros(len(labels), bool)
    for c in range(10):
        keep[np.flatnonzero(labels == c)[:per_class]] = True
    return np.flatnonzero(keep)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else fm.DEBIAN_DIR
    (xt, yt), (xv, yv) = fm.load_fashion_mnist(folder)
    it, iv = first_per_class(yt, 600), first_per_class(yv, 100)
    arrays = (xt[it], yt[it], xv[iv], yv[iv])
    for name, array in zip(fm.FILES, arrays):
        out = os.path.join(fm._DATA, fm.SUBSET_PREFIX + name)
        fm.write_idx(out, array)
        print(out, array.shape, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
