"""The merge layers: forward against NumPy, gradients by finite differences through a graph, Keras's
argument checks, get_config, eager calls on lists of arrays."""
import numpy as np
import pytest

import cnn
from graph_models import HandGraphModel, build, graph

L = cnn.layers
rng = np.random.default_rng(0)


def _arrays(*shapes):
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("cls, ref", [
    (L.Add, lambda a, b, c: a + b + c),
    (L.Multiply, lambda a, b, c: a * b * c),
    (L.Average, lambda a, b, c: (a + b + c) / 3),
    (L.Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (L.Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
])
def test_elementwise_forward(cls, ref):
    a, b, c = _arrays((4, 3, 2), (4, 3, 2), (4, 3, 2))
    np.testing.assert_allclose(cls()([a, b, c]), ref(a, b, c), rtol=1e-6, atol=1e-6)


def test_subtract_and_concatenate_forward():
    a, b = _arrays((5, 3), (5, 3))
    np.testing.assert_array_equal(L.Subtract()([a, b]), a - b)
    x, y, z = _arrays((2, 3, 4), (2, 3, 1), (2, 3, 2))
    np.testing.assert_array_equal(L.Concatenate()([x, y, z]), np.concatenate([x, y, z], -1))
    p, q = _arrays((2, 1, 4), (2, 3, 4))
    np.testing.assert_array_equal(L.Concatenate(axis=1)([p, q]), np.concatenate([p, q], 1))


@pytest.mark.parametrize("axes, shapes, ref", [
    (1, [(3, 5), (3, 5)], lambda a, b: (a * b).sum(1, keepdims=True)),
    (-1, [(3, 4, 5), (3, 6, 5)], lambda a, b: np.einsum("bik,bjk->bij", a, b)),
    ((2, 1), [(3, 4, 5), (3, 5, 2)], lambda a, b: np.einsum("bik,bkj->bij", a, b)),
    (1, [(3, 5, 4), (3, 5, 2)], lambda a, b: np.einsum("bki,bkj->bij", a, b)),
    ((1, 2), [(3, 5), (3, 2, 5)], lambda a, b: np.einsum("bk,bjk->bj", a, b)),
])
def test_dot_forward(axes, shapes, ref):
    a, b = _arrays(*shapes)
    np.testing.assert_allclose(L.Dot(axes=axes)([a, b]), ref(a, b), rtol=1e-5, atol=1e-5)


def test_dot_normalize():
    a, b = _arrays((4, 6), (4, 6))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(L.Dot(axes=1, normalize=True)([a, b])[:, 0], cos, rtol=1e-5, atol=1e-6)


def _grad_model(merge, shapes):
    """Dense in front of each input (its gradient is the merge's dx), the merge, a Dense to one value."""
    dense = [build(L.Dense(s[-1], activation="tanh"), s) for s in shapes]
    merge = build(merge, *shapes)
    head = build(L.Flatten(), merge.output_shape[1:])
    out = build(L.Dense(1), head.output_shape[1:])
    n = len(shapes)
    nodes = [(d, [-1 - k]) for k, d in enumerate(dense)] + [(merge, list(range(n))), (head, [n]), (out, [n + 1])]
    return HandGraphModel(graph(shapes, nodes, [n + 2]))


def _fd_check(model, x, y, eps=1e-3):
    model.compile(optimizer=cnn.optimizers.SGD(learning_rate=1.0), loss="mse")
    before = model._params.copy()
    model.train_on_batch(x, y)
    g = before - model._params
    model._params[:] = before
    for i in range(model._n_trainable):
        keep = model._params[i]
        model._params[i] = keep + eps
        up = model.test_on_batch(x, y)
        model._params[i] = keep - eps
        down = model.test_on_batch(x, y)
        model._params[i] = keep
        numeric = (up - down) / (2 * eps)
        assert abs(numeric - g[i]) <= 2e-3 + 3e-2 * abs(numeric), (i, numeric, g[i])


@pytest.mark.parametrize("make, shapes", [
    (L.Add, [(3,), (3,), (3,)]),
    (L.Subtract, [(3,), (3,)]),
    (L.Multiply, [(3,), (3,), (3,)]),
    (L.Average, [(2, 3), (2, 3)]),
    (L.Maximum, [(4,), (4,), (4,)]),
    (L.Minimum, [(4,), (4,)]),
    (L.Concatenate, [(2, 3), (2, 1)]),
    (lambda: L.Concatenate(axis=1), [(1, 3), (2, 3)]),
    (lambda: L.Dot(axes=1), [(4,), (4,)]),
    (lambda: L.Dot(axes=(2, 2)), [(2, 3), (3, 3)]),
    (lambda: L.Dot(axes=1, normalize=True), [(4,), (4,)]),
    (lambda: L.Dot(axes=(1, 2), normalize=True), [(3, 2), (2, 3)]),
])
def test_merge_gradients(make, shapes):
    cnn.utils.set_random_seed(11)
    model = _grad_model(make(), shapes)
    x = [rng.standard_normal((6,) + s) for s in shapes]
    _fd_check(model, x, rng.standard_normal((6, 1)))


def test_same_source_twice():
    """Multiply()([h, h]) is h squared: both of its input gradients go to one buffer."""
    cnn.utils.set_random_seed(12)
    d = build(L.Dense(3, activation="tanh"), (2,))
    mul = build(L.Multiply(), (3,), (3,))
    dot = build(L.Dot(axes=1), (3,), (3,))
    model = HandGraphModel(graph([(2,)], [(d, [-1]), (mul, [0, 0]), (dot, [1, 0])], [2]))
    x = rng.standard_normal((5, 2))
    h = np.tanh(x @ d.kernel.numpy() + d.bias.numpy())
    np.testing.assert_allclose(model.predict(x, verbose=0)[:, 0], (h ** 3).sum(1), rtol=1e-5, atol=1e-6)
    _fd_check(model, x, rng.standard_normal((5, 1)))


def test_maximum_tie_splits_the_gradient():
    """torch's rule (Keras's torch backend): a tie sends half the gradient to each side."""
    d1 = build(L.Dense(1, kernel_initializer="ones", bias_initializer="zeros"), (1,))
    d2 = build(L.Dense(1, kernel_initializer="ones", bias_initializer="zeros"), (1,))
    mx = build(L.Maximum(), (1,), (1,))
    model = HandGraphModel(graph([(1,)], [(d1, [-1]), (d2, [-1]), (mx, [0, 1])], [2]))
    model.compile(optimizer=cnn.optimizers.SGD(learning_rate=1.0), loss="mse")
    before = model._params.copy()
    model.train_on_batch(np.ones((1, 1)), np.zeros((1, 1)))
    g = before - model._params
    np.testing.assert_allclose(g, [1.0, 1.0, 1.0, 1.0])   # d(1^2)/dy = 2, halved: 1 to each kernel and bias


def test_errors():
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        L.Subtract()(_arrays((2, 3), (2, 3), (2, 3)))
    with pytest.raises(ValueError, match="incompatible shapes"):
        L.Add()(_arrays((2, 3), (2, 4)))
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        L.Concatenate()(_arrays((2, 3, 1), (2, 4, 1)))
    with pytest.raises(ValueError, match="list of inputs"):
        L.Add()(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="axes"):
        L.Dot(axes="x")
    with pytest.raises(ValueError, match="two elements"):
        L.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="Incompatible input shapes"):
        L.Dot(axes=1)(_arrays((2, 3), (2, 4)))
    with pytest.raises(ValueError, match="list of 2 inputs"):
        L.Dot(axes=1)(_arrays((2, 3), (2, 3), (2, 3)))
    with pytest.raises(ValueError, match="different batch sizes"):
        L.Add()(_arrays((2, 3), (3, 3)))
    with pytest.raises(TypeError, match="axis"):
        L.Concatenate(axis="last")


def test_output_shapes_and_config():
    assert L.Add().compute_output_shape([(None, 3), (None, 3)]) == (None, 3)
    assert L.Concatenate(axis=1).compute_output_shape([(None, 2, 5), (None, 3, 5)]) == (None, 5, 5)
    assert L.Dot(axes=1).compute_output_shape([(None, 4), (None, 4)]) == (None, 1)
    assert L.Dot(axes=(2, 1)).compute_output_shape([(None, 3, 4), (None, 4, 6)]) == (None, 3, 6)
    assert L.Concatenate(axis=2, name="c").get_config() == {"name": "c", "trainable": True, "dtype": "float32",
                                                             "axis": 2}
    config = L.Dot(axes=[1, 1], normalize=True).get_config()
    assert config["axes"] == [1, 1] and config["normalize"] is True
    again = L.Dot.from_config(config)
    assert again.axes == [1, 1] and again.normalize
    assert L.Maximum.from_config(L.Maximum(name="m").get_config()).name == "m"
