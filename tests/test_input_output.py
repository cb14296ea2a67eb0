"""A model output that is directly a model input (`cnn.Model(x, [x, h])`, `cnn.Model(x, x)`), as Keras 3:
the output is named after the input and returns it unchanged; its loss counts, it has no gradient.
The numbers are Keras 3.15's (torch backend) for the same model and data."""
import numpy as np
import pytest

import cnn
from cnn import layers


def _model():
    x = cnn.Input((3,), name="x")
    h = layers.Dense(2, name="h", kernel_initializer="ones")(x)
    return cnn.Model(x, [x, h])


def test_an_input_as_output_predicts_itself_and_trains_as_keras():
    model = _model()
    assert model.output_names == ["x", "h"]
    assert [layer.name for layer in model.layers] == ["x", "h"]      # the no-op node is not a layer
    data = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    a, b = model.predict(data, verbose=0)
    np.testing.assert_array_equal(a, data)
    np.testing.assert_array_equal(b, np.repeat(data.sum(1, keepdims=True), 2, axis=1))
    model.compile("sgd", ["mse", "mse"])
    logs = model.train_on_batch(data, [np.zeros((4, 3)), np.zeros((4, 2))], return_dict=True)
    assert logs == pytest.approx({"h_loss": 373.5, "loss": 415.6666564941406, "x_loss": 42.166664123535156},
                                 rel=1e-6)
    np.testing.assert_array_equal(model.predict(data, verbose=0)[0], data)
    assert model.count_params() == 8


def test_a_model_that_returns_its_input_and_saves(tmp_path):
    x = cnn.Input((3,), name="x")
    model = cnn.Model(x, x)
    data = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(model.predict(data, verbose=0), data)
    model.compile("sgd", "mse")
    assert model.evaluate(data, data * 0, verbose=0) == pytest.approx(42.166664123535156, rel=1e-6)
    two = _model()
    two.save(tmp_path / "m.keras")
    again = cnn.models.load_model(tmp_path / "m.keras")
    for p, q in zip(again.predict(data, verbose=0), two.predict(data, verbose=0)):
        np.testing.assert_array_equal(p, q)


def test_an_output_with_the_loss_none_has_no_loss_but_its_metrics():
    """Keras 3.15's numbers: loss [None, "mse"] logs no per-output losses, the metrics of both outputs."""
    x = cnn.Input((3,), name="x")
    h = layers.Dense(2, name="h", kernel_initializer="ones")(x)
    model = cnn.Model(x, [h, layers.Dense(1, name="a", kernel_initializer="ones")(h)])
    model.compile("sgd", [None, "mse"], metrics=[["mae"], ["mae"]])
    data = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    logs = model.train_on_batch(data, [np.zeros((4, 2)), np.zeros((4, 1))], return_dict=True)
    assert logs == pytest.approx({"a_mae": 33.0, "h_mae": 16.5, "loss": 1494.0}, rel=1e-6)
    with pytest.raises(ValueError, match="at least one output needs a loss"):
        model.compile("sgd", [None, None])
