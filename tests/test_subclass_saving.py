"""Saving subclassed models: config.json as Keras 3 writes it, weights at the paths Keras 3's attribute
walk gives (the expected paths below are what Keras 3.15 wrote for the same classes), .keras and
.weights.h5 round trips, and the errors for classes cnn cannot find."""
import json
import zipfile

import numpy as np
import pytest

import cnn
from cnn import layers


class Block(cnn.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = layers.Dense(4)
        self.bn = layers.BatchNormalization()

    def call(self, x, training=None):
        return self.bn(self.a(x), training=training)


class Outer(cnn.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.seq = cnn.Sequential([layers.Dense(5), layers.Dense(5)])
        self.block = Block()
        self._hidden = layers.Dense(3)
        self.pair = (layers.Dense(2), layers.Dense(2))
        self.head = layers.Dense(1)

    def call(self, x):
        x = self.seq(x)
        x = self.block(x)
        x = self._hidden(x)
        x = self.pair[1](self.pair[0](x))
        return self.head(x)


@cnn.saving.register_keras_serializable(package="tests")
class Registered(cnn.Model):
    def __init__(self, units=6, rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate
        self.d1 = layers.Dense(units, activation="relu")
        self.drop = layers.Dropout(rate)
        self.blocks = [layers.Dense(4), {"a": layers.Dense(3)}]
        self.out = layers.Dense(1)

    def call(self, x, training=False):
        return self.out(self.drop(self.d1(x), training=training))


def data(n=24, features=5):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, x[:, :1] * 0.3


def trained(model, features=5):
    x, y = data(features=features)
    model.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model


def test_weight_paths_are_keras_paths():
    """Keras 3.15 saved these classes' weights under exactly these groups."""
    paths = {path for _, path in Outer()._saved_layer_paths()}
    assert paths == {"block", "block/a", "block/bn", "head", "layers/dense", "layers/dense_1", "layers/dense_2",
                     "layers/sequential", "layers/sequential/layers/dense", "layers/sequential/layers/dense_1"}
    m = Registered()
    paths = {path: layer for layer, path in m._saved_layer_paths()}
    assert set(paths) == {"blocks/container/dense", "blocks/dense", "d1", "drop", "layers/dense_3"}
    assert paths["layers/dense_3"] is m.out and paths["blocks/container/dense"] is m.blocks[1]["a"]


def test_keras_file_layout(tmp_path):
    h5py = pytest.importorskip("h5py")
    m = trained(Registered(name="reg"))
    path = tmp_path / "m.keras"
    m.save(path)
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
        z.extract("model.weights.h5", tmp_path)
    assert config["class_name"] == "Registered" and config["registered_name"] == "tests>Registered"
    assert config["module"] is None and config["build_config"] == {"input_shape": [None, 5]}
    assert config["config"] == {"name": "reg", "units": 6, "rate": 0.0, "trainable": True, "dtype": "float32"}
    assert config["compile_config"]["loss"] == "mse"
    with h5py.File(tmp_path / "model.weights.h5") as f:
        assert f["d1/vars/0"].shape == (5, 6) and f["layers/dense_3/vars/1"].shape == (1,)
        assert f["d1/vars"].attrs["name"] == m.d1.name and f["vars"].attrs["name"] == "reg"
        assert len(f["optimizer/vars"]) == 2 + 2 * 4    # iterations, learning rate, m and v of 4 weights


def test_keras_round_trip_keeps_weights_and_optimizer(tmp_path):
    x, y = data()
    m = trained(Registered(rate=0.2))
    m.save(tmp_path / "m.keras")
    loaded = cnn.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is Registered and loaded.rate == 0.2
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
    assert loaded.optimizer.iterations == m.optimizer.iterations == 6
    m.dropout_free = None
    for model in (m, loaded):
        model.drop.rate = 0.0
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(m.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nested_models_round_trip(tmp_path):
    x, _ = data(features=6)
    m = trained(Outer(), features=6)
    m.save(tmp_path / "o.keras")
    loaded = cnn.models.load_model(tmp_path / "o.keras", custom_objects={"Outer": Outer, "Block": Block})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)
    assert [w.shape for w in loaded.weights] == [w.shape for w in m.weights]


def test_unregistered_class_needs_custom_objects(tmp_path):
    m = trained(Outer(), features=6)
    m.save(tmp_path / "o.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        cnn.models.load_model(tmp_path / "o.keras")
    with pytest.raises(ValueError, match="not a cnn.Model subclass"):
        cnn.models.load_model(tmp_path / "o.keras", custom_objects={"Outer": dict})


def test_save_and_load_weights(tmp_path):
    pytest.importorskip("h5py")
    m = trained(Registered())
    m.save_weights(tmp_path / "m.weights.h5")
    other = Registered()
    other.build((None, 5))
    other.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(m.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    wrong = Registered(units=7)
    wrong.build((None, 5))
    with pytest.raises(ValueError):
        wrong.load_weights(tmp_path / "m.weights.h5")


def test_register_keras_serializable():
    assert cnn.saving.get_registered_name(Registered) == "tests>Registered"
    assert cnn.saving.get_registered_object("tests>Registered") is Registered
    assert cnn.saving.get_registered_name(Outer) == "Outer"
    with pytest.raises(TypeError, match="package"):
        cnn.saving.register_keras_serializable(package=3)
