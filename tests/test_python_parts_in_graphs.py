"""Parts written in Python inside functional and subclassed models (graph plans, csrc/train/graph.c):
a NumPy or cnn.ops layer, a cnn.ops loss, a NumPy metric and a NumPy optimizer train as their built-in
equivalents do, in a chain, a residual graph and a model of two outputs; predict and model(x) run them."""
import numpy as np
import pytest

import cnn
from cnn import layers, ops
from test_custom_layers import NumpyDense, OpsDense, _data


def _functional(middle):
    inp = cnn.Input((5,))
    h = layers.Dense(8, activation="relu")(inp)
    m = middle(h)
    return cnn.Model(inp, layers.Dense(2)(layers.Concatenate()([m, h])))   # a graph, not a chain


def _fit(model, loss="mse", metrics=("mae",), optimizer="adam"):
    x, y = _data()
    model.compile(optimizer, loss, metrics=list(metrics))
    return model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0).history


def _close(got, ref, model, ref_model):
    assert set(got) == set(ref)
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=2e-5, err_msg=key)
    for a, b in zip(model.get_weights(), ref_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    x, _ = _data()
    np.testing.assert_allclose(model.predict(x, verbose=0), ref_model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(model(x[:4])), np.asarray(ref_model(x[:4])), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", [NumpyDense, OpsDense])
def test_a_python_layer_in_a_functional_graph_trains_as_the_builtin(cls):
    cnn.utils.set_random_seed(3)
    ref_model = _functional(layers.Dense(6))
    ref = _fit(ref_model)
    cnn.utils.set_random_seed(3)
    model = _functional(cls(6))
    _close(_fit(model), ref, model, ref_model)


class Residual(cnn.Model):
    def __init__(self, make):
        super().__init__()
        self.a = layers.Dense(6, activation="relu")
        self.b = make(6)
        self.out = layers.Dense(2)

    def call(self, x):
        h = self.a(x)
        return self.out(self.b(h) + h)


@pytest.mark.parametrize("cls", [NumpyDense, OpsDense])
def test_a_python_layer_in_a_subclassed_model_trains_as_the_builtin(cls):
    cnn.utils.set_random_seed(5)
    ref_model = Residual(layers.Dense)
    ref = _fit(ref_model)
    cnn.utils.set_random_seed(5)
    model = Residual(cls)
    _close(_fit(model), ref, model, ref_model)


def my_mse(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def my_mae(y_true, y_pred):
    return np.mean(np.abs(y_pred - y_true), axis=-1)


class NumpySGD(cnn.optimizers.Optimizer):
    def __init__(self, learning_rate=0.05, **kwargs):
        super().__init__(learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        variable.assign(variable - learning_rate * gradient)


def test_a_custom_loss_metric_and_optimizer_in_a_functional_graph_match_the_builtins():
    cnn.utils.set_random_seed(7)
    ref_model = _functional(layers.Dense(6))
    ref = _fit(ref_model, "mse", ["mae"], cnn.optimizers.SGD(0.05))
    cnn.utils.set_random_seed(7)
    model = _functional(layers.Dense(6))
    got = _fit(model, my_mse, [my_mae], NumpySGD())
    got = {k.replace("my_mae", "mae"): v for k, v in got.items()}
    _close(got, ref, model, ref_model)


def test_one_output_of_two_may_have_a_custom_loss():
    def two_outputs():
        inp = cnn.Input((5,))
        h = layers.Dense(8, activation="relu")(inp)
        return cnn.Model(inp, [layers.Dense(1, name="a")(h), layers.Dense(1, name="b")(h)])
    x, y = _data()
    targets = [y[:, :1], y[:, 1:]]
    runs = []
    for loss in (["mse", "mae"], [my_mse, "mae"]):
        cnn.utils.set_random_seed(9)
        model = two_outputs()
        model.compile("adam", loss)
        runs.append(model.fit(x, targets, epochs=2, batch_size=16, verbose=0).history)
    for key in runs[0]:
        np.testing.assert_allclose(runs[1][key], runs[0][key], rtol=2e-5, err_msg=key)
    cnn.utils.set_random_seed(9)
    model = two_outputs()
    model.compile("adam", [my_mse, my_mse])
    with pytest.raises(ValueError, match="loss written in Python on one output"):
        model.fit(x, targets, epochs=1, verbose=0)


def test_a_python_layer_called_twice_or_on_two_inputs_is_refused_by_name():
    x, y = _data()
    shared = NumpyDense(5, name="mine")
    inp = cnn.Input((5,))
    model = cnn.Model(inp, layers.Dense(2)(shared(shared(inp))))
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match="'mine' is written in Python and is called more than once"):
        model.fit(x, y, epochs=1, verbose=0)


def test_a_students_sparse_crossentropy_in_a_functional_model_gets_the_class_ids():
    from ops_course_sparse import scce_take, sparse_accuracy
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), dtype=np.float32), np.arange(64) % 3
    runs = []
    for loss, metric in (("sparse_categorical_crossentropy", "sparse_categorical_accuracy"),
                         (scce_take, sparse_accuracy)):
        cnn.utils.set_random_seed(1)
        inp = cnn.Input((4,))
        model = cnn.Model(inp, layers.Dense(3, activation="softmax")(layers.Dense(8, activation="relu")(inp)))
        model.compile("adam", loss, metrics=[metric])
        h = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0).history
        runs.append([h[k] for k in sorted(h)])
    np.testing.assert_allclose(runs[1], runs[0], rtol=2e-5)
