"""Subclassed models: a residual MLP written as a `keras.Model` subclass and as a `cnn.Model` subclass.

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> python benchmarks/compare_keras_subclass.py

The same class (`Dense -> Dropout (training only) -> Dense + skip -> Dense`, registered under the
same name on both sides) is built in each library from equal weights. Compared: predictions, the
losses and weights of five Adam steps and of two epochs of `fit` (dropout rate 0), the weights
after a step with dropout on (each library's own masks, so only inference must agree), the
`.keras` files and `.weights.h5` files saved by one library and loaded by the other. Pass rule and
table as benchmarks/compare_keras.py (float32 rounding).
"""
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np

from compare_keras import failed, print_header, print_table, record

FEATURES, UNITS = 8, 16


def residual_mlp_class(lib):
    """The model class, written once for either library (`lib` is keras or cnn)."""
    layers = lib.layers

    @lib.saving.register_keras_serializable(package="compare")
    class ResidualMLP(lib.Model):
        def __init__(self, units=UNITS, rate=0.0, out_units=1, **kwargs):
            super().__init__(**kwargs)
            self.units, self.rate, self.out_units = units, rate, out_units
            self.hidden = layers.Dense(units, activation="relu")
            self.dropout = layers.Dropout(rate)
            self.mix = layers.Dense(units)
            self.head = layers.Dense(out_units)

        def call(self, inputs, training=False):
            h = self.hidden(inputs)
            h = self.dropout(h, training=training)
            h = self.mix(h) + h
            return self.head(h)

    return ResidualMLP


def branchy_class(lib):
    """A call with a Python `if training:` (an extra residual Dense in training only)."""
    layers = lib.layers

    class Branchy(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(UNITS, activation="relu")
            self.extra = layers.Dense(UNITS)
            self.head = layers.Dense(1)

        def call(self, inputs, training=False):
            h = self.hidden(inputs)
            if training:
                h = self.extra(h) + h
            return self.head(h)

    return Branchy


def data(seed=0, n=48):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, FEATURES)).astype(np.float32)
    y = (x[:, :1] * 0.5 - x[:, 1:2] + rng.normal(0.0, 0.1, (n, 1))).astype(np.float32)
    return x, y


def pair(keras, cnn, rate=0.0, seed=1):
    """Twins with Keras's initial weights."""
    keras.utils.set_random_seed(seed)
    k = residual_mlp_class(keras)(rate=rate)
    c = residual_mlp_class(cnn)(rate=rate)
    k(np.zeros((1, FEATURES), np.float32))   # Keras builds a subclassed model by calling it
    c.build((None, FEATURES))
    c.set_weights(k.get_weights())
    return k, c


def compare(keras, cnn):
    x, y = data()
    try:
        k, c = pair(keras, cnn)
        record("predict", "rate 0", c.predict(x, verbose=0), k.predict(x, verbose=0))
        record("model(x) eager", "rate 0", c(x), k(x).detach().numpy())
    except Exception as e:  # noqa: BLE001 - report and go on
        failed("predict", "rate 0", e)
    try:
        k, c = pair(keras, cnn)
        k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        c.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse")
        kl = [k.train_on_batch(x, y) for _ in range(5)]
        cl = [c.train_on_batch(x, y) for _ in range(5)]
        record("losses of 5 Adam steps", "rate 0", np.ravel(cl), np.ravel(kl))
        record("weights after 5 Adam steps", "rate 0", c.get_weights(), k.get_weights())
    except Exception as e:  # noqa: BLE001
        failed("weights after 5 Adam steps", "rate 0", e)
    try:
        k, c = pair(keras, cnn)
        k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        c.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        kh = k.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
        ch = c.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
        record("fit history (loss, mae)", "rate 0", [ch["loss"], ch["mae"]], [kh["loss"], kh["mae"]])
        record("weights after fit", "rate 0", c.get_weights(), k.get_weights())
    except Exception as e:  # noqa: BLE001
        failed("fit history (loss, mae)", "rate 0", e)
    compare_dropout(keras, cnn, x, y)
    try:
        keras.utils.set_random_seed(2)
        k, c = branchy_class(keras)(), branchy_class(cnn)()
        k(x[:1], training=True)
        c.build((None, FEATURES))
        c.set_weights(k.get_weights())
        k.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        c.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse")
        kl = [k.train_on_batch(x, y) for _ in range(5)]
        cl = [c.train_on_batch(x, y) for _ in range(5)]
        record("`if training:` in call", "5 Adam step losses", np.ravel(cl), np.ravel(kl))
        record("`if training:` in call", "weights", c.get_weights(), k.get_weights())
        record("`if training:` in call", "evaluate (inference branch)", [c.evaluate(x, y, verbose=0)],
               [k.evaluate(x, y, verbose=0)])
        record("`if training:` in call", "predict", c.predict(x, verbose=0), k.predict(x, verbose=0))
    except Exception as e:  # noqa: BLE001
        failed("`if training:` in call", "5 Adam step losses", e)


def compare_dropout(keras, cnn, x, y):
    """Rate 0.5: inference ignores dropout in both; training draws masks (each library its own)."""
    try:
        k, c = pair(keras, cnn, rate=0.5)
        record("dropout 0.5: predict (inference)", "rate 0.5", c.predict(x, verbose=0), k.predict(x, verbose=0))
        record("dropout 0.5: model(x, training=False)", "rate 0.5", c(x, training=False),
               k(x, training=False).detach().numpy())
        hidden = c.hidden(x)
        dropped = c.dropout(hidden, training=True)
        zeroed = float(np.mean(dropped[hidden > 0] == 0))
        kept = dropped[dropped != 0] / hidden[dropped != 0]
        record("dropout 0.5 in training: kept x 1/(1-rate)", "rate 0.5", kept, np.full_like(kept, 2.0),
               note=f"zeroed {zeroed:.2f}")
        differs = not np.allclose(c(x, training=True), c.predict(x, verbose=0))
        record("dropout 0.5: training call differs from predict", "rate 0.5", [float(differs)], [1.0])
        k.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        c.compile(optimizer=cnn.optimizers.SGD(0.1), loss="mse")
        before = c.get_weights()
        c.train_on_batch(x, y)
        c0 = residual_mlp_class(cnn)(rate=0.0)
        c0.build((None, FEATURES))
        c0.set_weights(before)
        c0.compile(optimizer=cnn.optimizers.SGD(0.1), loss="mse")
        c0.train_on_batch(x, y)
        moved = max(float(np.max(np.abs(a - b))) for a, b in zip(c.get_weights(), c0.get_weights()))
        record("dropout 0.5: a fit step differs from rate 0", "rate 0.5", [float(moved > 1e-4)], [1.0])
    except Exception as e:  # noqa: BLE001
        failed("dropout 0.5: predict (inference)", "rate 0.5", e)


def compare_files(keras, cnn):
    x, y = data(2)
    with tempfile.TemporaryDirectory() as folder:
        for src, dst in ((keras, cnn), (cnn, keras)):
            label = f"{src.__name__} .keras -> {dst.__name__}"
            try:
                model = pair(keras, cnn)[0 if src is keras else 1]
                model.compile(optimizer=src.optimizers.Adam(0.01), loss="mse")
                model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
                path = os.path.join(folder, f"{src.__name__}.keras")
                model.save(path)
                loaded = dst.saving.load_model(path, custom_objects={"ResidualMLP": residual_mlp_class(dst)})
                record(label, "predict", loaded.predict(x, verbose=0), model.predict(x, verbose=0))
                record(label, "weights", loaded.get_weights(), model.get_weights())
                loaded.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
                model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
                record(label, "an epoch more (optimizer state kept)", loaded.get_weights(), model.get_weights())
            except Exception as e:  # noqa: BLE001
                failed(label, "predict", e)
            label = f"{src.__name__} .weights.h5 -> {dst.__name__}"
            try:
                model = pair(keras, cnn)[0 if src is keras else 1]
                path = os.path.join(folder, f"{src.__name__}.weights.h5")
                model.save_weights(path)
                other = residual_mlp_class(dst)()
                other(np.zeros((1, FEATURES), np.float32))
                other.load_weights(path)
                record(label, "weights", other.get_weights(), model.get_weights())
            except Exception as e:  # noqa: BLE001
                failed(label, "weights", e)


def check_trace_error(cnn):
    """cnn traces call once: a NumPy function on a tensor there is refused, naming this file's line."""
    class Untraceable(cnn.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = cnn.layers.Dense(2)

        def call(self, inputs):
            return np.tanh(self.dense(inputs))   # NumPy on a symbolic tensor

    line = Untraceable.call.__code__.co_firstlineno + 1
    try:
        Untraceable().build((None, FEATURES))
        record("tracing error names the line", "np.tanh in call", [0.0], [1.0], note="no error raised")
    except TypeError as e:
        where = f"{os.path.basename(__file__)}:{line}"
        first = str(e).splitlines()[0]
        record("tracing error names the line", "np.tanh in call", [float(where in str(e))], [1.0],
               note=first[:first.index(":", first.index(where) + len(where))] if where in first else first[:60])


def main():
    import keras

    import cnn
    print_header(keras, cnn)
    compare(keras, cnn)
    compare_files(keras, cnn)
    check_trace_error(cnn)
    return print_table()


if __name__ == "__main__":
    sys.exit(main())
