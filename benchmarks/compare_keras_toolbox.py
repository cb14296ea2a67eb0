"""The model toolbox: cnn against Keras 3 (torch backend).

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> python benchmarks/compare_keras_toolbox.py

Normalization: adapt() statistics, outputs (plain, invert, given mean/variance, axis=None and a
middle axis), gradients and Adam steps through it, and .keras files saved by one library and loaded
by the other. Layers called on data: BatchNormalization(x, training=True) outputs and moving
statistics. model.to_json read by the other library. Pass rule and table as
benchmarks/compare_keras.py (float32 rounding).
"""
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np

from compare_keras import compare_saved_files, failed, print_header, print_table, record

CASES = {   # name: (per-sample input shape, Normalization kwargs, adapt?)
    "adapted, axis=-1": ((5,), {}, True),
    "adapted, axis=None": ((5,), {"axis": None}, True),
    "adapted, 3-d, axis=1": ((3, 4), {"axis": 1}, True),
    "adapted, invert": ((5,), {"invert": True}, True),
    "given mean/variance": ((5,), {"mean": [0.5, -1, 2, 0, 3], "variance": [1, 4, 0.25, 9, 0]}, False),
    "given scalar, invert": ((5,), {"mean": 1.5, "variance": 2.0, "invert": True}, False),
}


def data(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.5, (64,) + shape).astype(np.float32)
    y = rng.normal(0.0, 1.0, (64, 2)).astype(np.float32)
    return x, y


def build(lib, shape, kwargs, x, adapt):
    L = lib.layers
    norm = L.Normalization(**kwargs)
    if adapt:
        norm.adapt(x)
    return lib.Sequential([lib.Input(shape), norm, L.Flatten(), L.Dense(2)])


def pair(keras, cnn, shape, kwargs, x, adapt, seed=1):
    keras.utils.set_random_seed(seed)
    k = build(keras, shape, kwargs, x, adapt)
    c = build(cnn, shape, kwargs, x, adapt)
    dense = [w.numpy() for w in k.layers[-1].weights]
    c.layers[-1].set_weights(dense)
    return k, c


def compare_normalization(keras, cnn):
    for name, (shape, kwargs, adapt) in CASES.items():
        x, y = data(shape)
        try:
            k, c = pair(keras, cnn, shape, kwargs, x, adapt)
            if adapt:
                record("adapt() statistics", name, c.layers[0].get_weights()[:2],
                       [np.asarray(w) for w in k.layers[0].get_weights()[:2]])
            record("layer output", name, c.layers[0](x), np.asarray(k.layers[0](x)))
            record("predict", name, c.predict(x, verbose=0), k.predict(x, verbose=0))
            assert len(c.weights) == len(k.weights), (len(c.weights), len(k.weights))
        except Exception as e:  # noqa: BLE001 - report and go on
            failed("predict", name, e)
        try:
            k, c = pair(keras, cnn, shape, kwargs, x, adapt)
            k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
            c.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse")
            kl = [k.train_on_batch(x, y) for _ in range(5)]
            cl = [c.train_on_batch(x, y) for _ in range(5)]
            record("weights after 5 Adam steps", name, c.get_weights(), [np.asarray(w) for w in k.get_weights()])
            record("losses of 5 Adam steps", name, np.ravel(cl), np.ravel(kl))
        except Exception as e:  # noqa: BLE001
            failed("weights after 5 Adam steps", name, e)


def compare_files(keras, cnn):
    with tempfile.TemporaryDirectory() as tmp:
        for name, (shape, kwargs, adapt) in CASES.items():
            x, y = data(shape, 2)
            k, c = pair(keras, cnn, shape, kwargs, x, adapt, seed=3)
            compare_saved_files(keras, cnn, k, c, x, y, name, tmp)


def compare_calls(keras, cnn):
    x, _ = data((6,), 4)
    try:
        k = keras.layers.BatchNormalization(momentum=0.9)
        c = cnn.layers.BatchNormalization(momentum=0.9)
        knp = keras.ops.convert_to_numpy
        record("BatchNormalization(x, training=True)", "output", c(x, training=True), knp(k(x, training=True)))
        record("BatchNormalization(x, training=True)", "moving statistics after the call",
               c.get_weights(), [np.asarray(w) for w in k.get_weights()])
        record("BatchNormalization(x, training=False)", "output", c(x), knp(k(x)))
    except Exception as e:  # noqa: BLE001
        failed("BatchNormalization(x, training=True)", "output", e)
    for rate in (0.3, 0.6):
        ones = np.ones((2000, 10), np.float32)
        got = cnn.layers.Dropout(rate)(ones, training=True)
        ref = keras.ops.convert_to_numpy(keras.layers.Dropout(rate)(ones, training=True))
        # the masks differ (different generators): compare what they do
        record("Dropout(x, training=True)", f"rate {rate}: kept value, dropped share",
               [np.unique(got[got != 0]), np.float32((got == 0).mean()).round(1)],
               [np.unique(ref[ref != 0]), np.float32((ref == 0).mean()).round(1)])


def compare_json(keras, cnn):
    x, _ = data((5,), 5)
    try:
        c = build(cnn, (5,), {}, x, True)
        c.compile(optimizer="adam", loss="mse")
        k = keras.models.model_from_json(c.to_json())
        record("to_json -> other library", "cnn -> keras: output shape, compiled",
               [np.array(k.output_shape[1:]), np.array(float(k.compiled))], [np.array((2,)), np.array(1.0)])
        kk = build(keras, (5,), {}, x, True)
        kk.compile(optimizer="sgd", loss="mae")
        back = cnn.models.model_from_json(kk.to_json())
        record("to_json -> other library", "keras -> cnn: output shape, compiled",
               [np.array(back.output_shape[1:]), np.array(float(back.compiled))], [np.array((2,)), np.array(1.0)])
    except Exception as e:  # noqa: BLE001
        failed("to_json -> other library", "round trip", e)


def main():
    import keras

    import cnn
    print_header(keras, cnn)
    compare_normalization(keras, cnn)
    compare_files(keras, cnn)
    compare_calls(keras, cnn)
    compare_json(keras, cnn)
    return print_table()


if __name__ == "__main__":
    sys.exit(main())
