"""The classic image classifier on the full Fashion-MNIST, 3 epochs, then its test accuracy (issue 7's
target: at least 88%). Reads the four .gz files of Debian's dataset-fashion-mnist package (or the folder
given as the first argument); cnn.datasets will load them once it ships Fashion-MNIST.

    PYTHONPATH=<folder with cnn> python benchmarks/fashion_mnist_conv.py [/usr/share/datasets/fashion-mnist]
"""
import gzip
import os
import sys
import time

import numpy as np

import cnn
from cnn import layers


def read(folder, name, offset):
    with gzip.open(os.path.join(folder, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    if not os.path.isdir(folder):
        sys.exit(f"no Fashion-MNIST files in {folder} (apt-get install dataset-fashion-mnist)")
    x_train = read(folder, "train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1)
    y_train = read(folder, "train-labels-idx1-ubyte.gz", 8)
    x_test = read(folder, "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1)
    y_test = read(folder, "t10k-labels-idx1-ubyte.gz", 8)
    cnn.utils.set_random_seed(0)
    model = cnn.Sequential([cnn.Input((28, 28, 1)), layers.Rescaling(1 / 255), layers.Conv2D(32, 3, activation="relu"),
                            layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t = time.process_time()
    model.fit(x_train, y_train, batch_size=32, epochs=3, verbose=2)   # uint8 images, converted once
    print(f"3 epochs: {time.process_time() - t:.1f} s CPU on {cnn.utils.get_num_threads()} thread(s)")
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test accuracy {accuracy:.4f} (loss {loss:.4f})")


if __name__ == "__main__":
    main()
