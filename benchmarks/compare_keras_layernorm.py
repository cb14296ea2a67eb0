"""LayerNormalization: cnn against Keras 3 (torch backend) on the same weights and data.

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> python benchmarks/compare_keras_layernorm.py

Compares predictions, the gradients (the weight change of one SGD(1) step), the weights after five
Adam steps (with a regularizer and a constraint on gamma), and .keras files saved by one library
and loaded by the other. Pass rule and table as benchmarks/compare_keras.py (float32 rounding).
"""
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np

from compare_keras import compare_saved_files, failed, print_header, print_table, record

CASES = {   # name: (per-sample input shape, LayerNormalization kwargs)
    "default": ((11,), {}),
    "no center": ((11,), {"center": False}),
    "no scale": ((11,), {"scale": False}),
    "epsilon 0.1": ((11,), {"epsilon": 0.1}),
    "3-d input": ((3, 11), {}),
    "l2 gamma, non_neg beta": ((11,), {"gamma_regularizer": "l2", "beta_constraint": "non_neg"}),
}


def build(lib, shape, kwargs):
    L = lib.layers
    return lib.Sequential([lib.Input(shape), L.Dense(16, activation="relu"), L.LayerNormalization(**kwargs),
                           L.Dense(4)])


def pair(keras, cnn, shape, kwargs, seed=1):
    keras.utils.set_random_seed(seed)
    k = build(keras, shape, kwargs)
    c = build(cnn, shape, kwargs)
    rng = np.random.default_rng(seed)   # gamma and beta away from their 1 / 0 start
    weights = [w + rng.normal(0, 0.2, w.shape).astype(np.float32) for w in k.get_weights()]
    k.set_weights(weights)
    c.set_weights(weights)
    return k, c


def data(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 2.0, (40,) + shape).astype(np.float32)
    y = rng.normal(0.0, 1.0, (40,) + shape[:-1] + (4,)).astype(np.float32)
    return x, y


def compare(keras, cnn):
    for name, (shape, kwargs) in CASES.items():
        x, y = data(shape)
        try:
            k, c = pair(keras, cnn, shape, kwargs)
            record("predict", name, c.predict(x, verbose=0), k.predict(x, verbose=0))
        except Exception as e:  # noqa: BLE001 - report and go on
            failed("predict", name, e)
        try:   # one SGD(1) step: the weight change is minus the gradient
            k, c = pair(keras, cnn, shape, kwargs)
            w0 = k.get_weights()
            k.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
            c.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
            k.train_on_batch(x, y)
            c.train_on_batch(x, y)
            record("gradients (SGD(1) step)", name, [a - b for a, b in zip(w0, c.get_weights())],
                   [a - b for a, b in zip(w0, k.get_weights())])
        except Exception as e:  # noqa: BLE001
            failed("gradients (SGD(1) step)", name, e)
        try:
            k, c = pair(keras, cnn, shape, kwargs)
            k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
            c.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse")
            kl = [k.train_on_batch(x, y) for _ in range(5)]
            cl = [c.train_on_batch(x, y) for _ in range(5)]
            record("weights after 5 Adam steps", name, c.get_weights(), k.get_weights())
            record("losses of 5 Adam steps", name, np.ravel(cl), np.ravel(kl))
        except Exception as e:  # noqa: BLE001
            failed("weights after 5 Adam steps", name, e)


def compare_files(keras, cnn):
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("default", "no center", "3-d input"):
            shape, kwargs = CASES[name]
            x, y = data(shape, 2)
            try:
                k, c = pair(keras, cnn, shape, kwargs, seed=3)
            except Exception as e:  # noqa: BLE001
                failed("keras file -> cnn", name, e)
                continue
            compare_saved_files(keras, cnn, k, c, x, y, name, tmp)


def main():
    import keras

    import cnn
    print_header(keras, cnn)
    compare(keras, cnn)
    compare_files(keras, cnn)
    return print_table()


if __name__ == "__main__":
    sys.exit(main())
