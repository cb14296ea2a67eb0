"""A call's own training mode in a functional model: `base(x, training=False)` (a base whose
BatchNormalization and Dropout run in inference mode during fit) and `Dropout(rate)(x, training=True)`
(Monte Carlo dropout, active in predict too), against Keras (torch backend, /work/oracle-venv).

Keras 3.15 lets the mode of fit / predict override a mode fixed at construction; keras-team/keras#23364
(3.16) made the fixed mode win, as tf.keras 2 did. The oracle runs with that fix applied (the patch in
ORACLE_SCRIPT is the change that pull request made to Functional.call)."""
import inspect

import numpy as np
import pytest

import cnn
import keras_oracle
from cnn import layers


def build(lib):
    """The same code builds the Keras and the cnn model (lib is either module)."""
    L = lib.layers
    base_in = lib.Input((5,), name="base_in")
    h = L.Dense(6, activation="relu", name="base_dense")(base_in)
    h = L.BatchNormalization(name="base_bn")(h)
    h = L.Dropout(0.5, name="base_drop")(h)
    base = lib.Model(base_in, h, name="base")
    x = lib.Input((5,), name="x")
    h = base(x, training=False)
    h = L.Dense(4, activation="tanh", name="head")(h)
    out = L.Dense(2, name="out")(h)
    return lib.Model(x, out, name="transfer")


ORACLE_SCRIPT = inspect.getsource(build) + r"""
import json, sys, tempfile, os
import numpy as np, keras
from keras.src.models import functional
# keras-team/keras#23364: a mode fixed at construction wins over the mode of the call on the model
functional.Functional.call = lambda self, inputs, training=None, mask=None: functional.unpack_singleton(
    self._run_through_graph(self._standardize_inputs(inputs), operation_fn=lambda op: op))
data = json.load(sys.stdin)
model = build(keras)
model.set_weights([np.array(w, np.float32) for w in data["weights"]])
model.compile(keras.optimizers.Adam(0.01), "mse")
x, y = np.array(data["x"], np.float32), np.array(data["y"], np.float32)
out = {"predict": model.predict(x, verbose=0).tolist(), "losses": []}
for step in range(5):
    rows = slice(8 * step, 8 * step + 8)
    out["losses"].append(float(model.train_on_batch(x[rows], y[rows])))
out["weights"] = [w.tolist() for w in model.get_weights()]
out["after"] = model.predict(x, verbose=0).tolist()
path = os.path.join(tempfile.mkdtemp(), "transfer.keras")
model.save(path)
out["path"] = path
out["config"] = model.get_config()
print(json.dumps(out, default=str))
"""

def _weights(model, rng):
    ws = []
    for w in model.get_weights():
        ws.append(rng.normal(0, 0.5, w.shape).astype(np.float32))
    names = [v.path if hasattr(v, "path") else v.name for v in model.weights]
    for i, name in enumerate(names):   # moving statistics away from (0, 1), so inference mode shows
        if "moving_variance" in name:
            ws[i] = rng.uniform(0.5, 2.0, ws[i].shape).astype(np.float32)
    return ws


@pytest.fixture(scope="module")
def oracle():
    rng = np.random.default_rng(7)
    model = build(cnn)
    weights = _weights(model, rng)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = rng.normal(size=(40, 2)).astype(np.float32)
    payload = {"weights": [w.tolist() for w in weights], "x": x.tolist(), "y": y.tolist()}
    return weights, x, y, keras_oracle.run(ORACLE_SCRIPT, payload=payload)


def test_base_called_in_inference_mode_trains_to_keras_numbers(oracle):
    weights, x, y, keras = oracle
    model = build(cnn)
    model.set_weights(weights)
    model.compile(cnn.optimizers.Adam(0.01), "mse")
    np.testing.assert_allclose(model.predict(x, verbose=0), keras["predict"], rtol=1e-5, atol=1e-6)
    losses = [model.train_on_batch(x[8 * s:8 * s + 8], y[8 * s:8 * s + 8]) for s in range(5)]
    np.testing.assert_allclose(losses, keras["losses"], rtol=1e-5)
    after = model.get_weights()
    for got, want in zip(after, keras["weights"]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), keras["after"], rtol=1e-4, atol=1e-5)
    bn = model.get_layer("base").get_layer("base_bn")
    np.testing.assert_array_equal(bn.moving_mean.numpy(), weights[4])       # never updated
    np.testing.assert_array_equal(bn.moving_variance.numpy(), weights[5])
    assert not np.array_equal(bn.gamma.numpy(), weights[2])                  # gamma and beta still learn


def test_the_same_model_without_a_fixed_mode_trains_differently(oracle):
    """The check above would pass by accident if the mode made no difference."""
    weights, x, y, keras = oracle
    base = build(cnn).get_layer("base")
    inp = cnn.Input((5,))
    out = build(cnn).get_layer("out")
    model = cnn.Model(inp, out(layers.Dense(4, activation="tanh")(base(inp))))
    model.set_weights(weights)
    model.compile(cnn.optimizers.Adam(0.01), "mse")
    loss = model.train_on_batch(x[:8], y[:8])
    assert abs(loss - keras["losses"][0]) > 1e-3


def test_keras_file_keeps_the_mode_both_ways(oracle, tmp_path):
    weights, x, y, keras = oracle
    base_node = next(layer for layer in keras["config"]["layers"] if layer["name"] == "base")
    assert "'training': False" in repr(base_node["inbound_nodes"])
    loaded = cnn.models.load_model(keras["path"])          # Keras's file
    assert [node.training for node in loaded._graph().nodes] == [False, False, False, None, None]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), keras["after"], rtol=1e-5, atol=1e-6)
    model = build(cnn)
    model.set_weights(weights)
    path = tmp_path / "m.keras"
    model.save(path)                                        # cnn's file, as Keras writes the call
    config = model.get_config()
    node = next(layer for layer in config["layers"] if layer["name"] == "base")["inbound_nodes"][0]
    assert node["kwargs"]["training"] is False
    again = cnn.models.load_model(path)
    assert [n.training for n in again._graph().nodes] == [False, False, False, None, None]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_monte_carlo_dropout_is_active_in_predict():
    inp = cnn.Input((200,))
    h = layers.Dense(200, kernel_initializer="identity", use_bias=False)(inp)
    model = cnn.Model(inp, layers.Dropout(0.5)(h, training=True))
    x = np.ones((64, 200), np.float32)
    a, b = model.predict(x, verbose=0, batch_size=32), model.predict(x, verbose=0, batch_size=32)
    assert 0.4 < (a == 0).mean() < 0.6 and set(np.unique(a)) == {0.0, 2.0}
    assert not np.array_equal(a, b)                          # a new mask per predict call
    assert not np.array_equal(a[:32], a[32:])                # and per batch
    assert not np.array_equal(model(x), model(x))           # model(x) too
    model.compile("sgd", "mse")
    assert model.evaluate(x, x, verbose=0) > 0.5             # evaluate runs it in training mode as well


def test_inference_mode_dropout_is_the_identity_in_fit():
    inp = cnn.Input((6,))
    h = layers.Dense(6)(inp)
    model = cnn.Model(inp, layers.Dense(1)(layers.Dropout(0.9)(h, training=False)))
    twin = cnn.Model(inp, model.layers[-1](model.layers[1].output))   # the same weights, no dropout
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    start = model.get_weights()
    loss = model.train_on_batch(x, y)
    grads_model = [a - b for a, b in zip(model.get_weights(), start)]
    model.set_weights(start)
    twin.compile("sgd", "mse")
    assert twin.train_on_batch(x, y) == loss
    for a, b, step in zip(twin.get_weights(), start, grads_model):
        np.testing.assert_array_equal(a - b, step)


def test_nested_call_mode_yields_to_an_inner_fixed_mode():
    inner_in = cnn.Input((100,))
    inner = cnn.Model(inner_in, layers.Dropout(0.5)(layers.Dropout(0.5)(inner_in), training=True))
    inp = cnn.Input((100,))
    model = cnn.Model(inp, inner(inp, training=False))
    assert [n.training for n in model._graph().nodes] == [False, True]
    assert 0.35 < (model.predict(np.ones((10, 100)), verbose=0) == 0).mean() < 0.65
