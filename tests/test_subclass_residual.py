"""The residual MLP of issue 9 as a subclassed model (`Dense -> Dropout (training only) -> Dense + skip
-> Dense`): its traced graph (a branch and an Add) trains in C to the float64 NumPy maths, dropout acts
in training only, and it saves and loads. benchmarks/compare_keras_subclass.py compares it with Keras."""
import numpy as np
import pytest

import cnn
from cnn import layers


@cnn.saving.register_keras_serializable(package="tests")
class ResidualMLP(cnn.Model):
    def __init__(self, units=8, rate=0.0, out_units=2, **kwargs):
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


def data(n=20, features=5, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = np.stack([x[:, 0] - x[:, 1], 0.5 * x[:, 2]], axis=1).astype(np.float32)
    return x, y


def reference_step(weights, x, y, lr):
    """Loss and one SGD step of the residual MLP with MSE, in float64."""
    w1, b1, w2, b2, w3, b3 = [np.asarray(w, np.float64) for w in weights]
    x = x.astype(np.float64)
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = h1 @ w2 + b2 + h1
    out = h2 @ w3 + b3
    loss = np.mean((out - y) ** 2)
    d_out = 2 * (out - y) / out.size
    d_h2 = d_out @ w3.T
    d_h1 = (d_h2 @ w2.T + d_h2) * (h1 > 0)
    grads = [x.T @ d_h1, d_h1.sum(0), h1.T @ d_h2, d_h2.sum(0), h2.T @ d_out, d_out.sum(0)]
    return loss, out, [w - lr * g for w, g in zip((w1, b1, w2, b2, w3, b3), grads)]


def test_graph_has_the_skip_connection():
    m = ResidualMLP()
    m.build((None, 5))
    graph = m._graph()
    assert [type(node.layer).__name__ for node in graph.nodes] == ["Dense", "Dropout", "Dense", "Add", "Dense"]
    assert graph.nodes[3].sources == [2, 1] and not graph.is_chain()
    assert [layer.name for layer in m.layers] == [m.hidden.name, m.dropout.name, m.mix.name, m.head.name]


def test_trains_to_the_numpy_maths():
    x, y = data()
    m = ResidualMLP()
    m.build((None, 5))
    weights = [w.astype(np.float64) for w in m.get_weights()]
    m.compile(optimizer=cnn.optimizers.SGD(0.1), loss="mse")
    for _ in range(3):
        loss, out, weights = reference_step(weights, x, y, 0.1)
        np.testing.assert_allclose(m.predict(x, verbose=0), out, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(m.train_on_batch(x, y), loss, rtol=1e-5)
        for got, want in zip(m.get_weights(), weights):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_dropout_acts_only_in_training():
    x, y = data()
    plain, dropped = ResidualMLP(), ResidualMLP(rate=0.5)
    plain.build((None, 5))
    dropped.build((None, 5))
    dropped.set_weights(plain.get_weights())
    np.testing.assert_array_equal(dropped.predict(x, verbose=0), plain.predict(x, verbose=0))
    np.testing.assert_array_equal(dropped(x), plain(x))
    assert not np.allclose(dropped(x, training=True), plain(x))
    for m in (plain, dropped):
        m.compile(optimizer=cnn.optimizers.SGD(0.1), loss="mse")
        m.train_on_batch(x, y)
    assert not all(np.allclose(a, b) for a, b in zip(plain.get_weights(), dropped.get_weights()))


def test_fit_with_validation_and_metrics():
    x, y = data(n=40)
    m = ResidualMLP(rate=0.1)
    m.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = m.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0).history
    assert sorted(history) == ["loss", "mae", "val_loss", "val_mae"]
    result = m.evaluate(x, y, verbose=0, return_dict=True)
    assert set(result) == {"loss", "mae"}


def test_saves_and_loads(tmp_path):
    pytest.importorskip("h5py")
    x, y = data()
    m = ResidualMLP(rate=0.2)
    m.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse")
    m.fit(x, y, epochs=2, batch_size=5, verbose=0)
    m.save(tmp_path / "res.keras")
    loaded = cnn.models.load_model(tmp_path / "res.keras")
    assert isinstance(loaded, ResidualMLP) and loaded.rate == 0.2
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
    m.save_weights(tmp_path / "res.weights.h5")
    other = ResidualMLP(rate=0.2)
    other.build((None, 5))
    other.load_weights(tmp_path / "res.weights.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), m.predict(x, verbose=0))
