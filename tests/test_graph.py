"""The graph engine (issue 9): plans over Graphs of layers: branches, several inputs and outputs, shared
layers, losses and loss weights per output, gradients, determinism. Graphs are built by hand (the
public cnn.Model front is tested elsewhere)."""
import numpy as np
import pytest

import cnn
from cnn._graph import Graph
from graph_models import HandGraphModel, build, graph

L = cnn.layers


@pytest.fixture(autouse=True)
def _seed():
    cnn.utils.set_random_seed(3)
    threads = cnn.utils.get_num_threads()
    yield
    cnn.utils.set_num_threads(threads)


def _residual():
    """x -> Dense(8, relu) -> Dense(8) ; Add(first, second) -> Dense(3, softmax)."""
    d1 = build(L.Dense(8, activation="relu"), (4,))
    d2 = build(L.Dense(8), (8,))
    add = build(L.Add(), (8,), (8,))
    out = build(L.Dense(3, activation="softmax"), (8,))
    return HandGraphModel(graph([(4,)], [(d1, [-1]), (d2, [0]), (add, [0, 1]), (out, [2])], [3]))


def _two_in_two_out():
    a = build(L.Dense(5, activation="tanh"), (4,))
    cat = build(L.Concatenate(), (5,), (3,))
    cls = build(L.Dense(3, activation="softmax", name="cls"), (8,))
    reg = build(L.Dense(2, name="reg"), (8,))
    g = graph([(4,), (3,)], [(a, [-1]), (cat, [0, -2]), (cls, [1]), (reg, [1])], [2, 3], input_names=["a", "b"])
    return HandGraphModel(g)


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 3, n)


def _grads(model, x, y):
    """The gradient of the training loss by one SGD step of rate 1 (then undone)."""
    before = model._params.copy()
    model.train_on_batch(x, y)
    g = before - model._params
    model._params[:] = before
    return g


def _check_grads(model, x, y, count=12, eps=1e-3):
    model.compile(optimizer=cnn.optimizers.SGD(learning_rate=1.0), loss=model._loss_spec,
                  loss_weights=getattr(model, "_loss_weights", None))
    g = _grads(model, x, y)
    rng = np.random.default_rng(1)
    n = model._n_trainable
    for i in rng.choice(n, size=min(count, n), replace=False):
        keep = model._params[i]
        model._params[i] = keep + eps
        up = model.test_on_batch(x, y)
        model._params[i] = keep - eps
        down = model.test_on_batch(x, y)
        model._params[i] = keep
        up, down = (up[0], down[0]) if isinstance(up, list) else (up, down)
        numeric = (up - down) / (2 * eps)
        assert abs(numeric - g[i]) <= 3e-3 + 3e-2 * abs(numeric), (i, numeric, g[i])


def test_residual_trains_and_predicts():
    model = _residual()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data()
    h = model.fit(x, y, epochs=5, verbose=0, validation_split=0.25)
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.history["loss"][-1] < h.history["loss"][0]
    p = model.predict(x, verbose=0)
    assert p.shape == (40, 3) and np.allclose(p.sum(1), 1, atol=1e-5)
    # the forward pass by hand
    d1, d2, _, out = model._layers
    h1 = np.maximum(x @ d1.kernel.numpy() + d1.bias.numpy(), 0)
    z = (h1 + h1 @ d2.kernel.numpy() + d2.bias.numpy()) @ out.kernel.numpy() + out.bias.numpy()
    want = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(p, want / want.sum(1, keepdims=True), rtol=1e-4, atol=1e-6)


def test_residual_gradients():
    model = _residual()
    model._loss_spec = "sparse_categorical_crossentropy"
    x, y = _data(16)
    _check_grads(model, x, y)


def test_two_inputs_two_outputs_losses_and_weights():
    model = _two_in_two_out()
    rng = np.random.default_rng(2)
    xa, xb = rng.standard_normal((30, 4)), rng.standard_normal((30, 3))
    y_cls, y_reg = rng.integers(0, 3, 30), rng.standard_normal((30, 2))
    model.compile("sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    res = model.evaluate({"a": xa, "b": xb}, {"cls": y_cls, "reg": y_reg}, verbose=0, return_dict=True)
    assert sorted(res) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    p_cls, p_reg = model.predict([xa, xb], verbose=0)
    assert p_cls.shape == (30, 3) and p_reg.shape == (30, 2)
    cce = -np.mean(np.log(p_cls[np.arange(30), y_cls]))
    mse = np.mean((p_reg - y_reg) ** 2)
    assert res["cls_loss"] == pytest.approx(cce, rel=1e-5)
    assert res["reg_loss"] == pytest.approx(mse, rel=1e-5)
    assert res["loss"] == pytest.approx(cce + 0.5 * mse, rel=1e-5)
    assert res["cls_accuracy"] == pytest.approx(np.mean(p_cls.argmax(1) == y_cls))
    as_list = model.evaluate([xa, xb], [y_cls, y_reg], verbose=0)
    assert as_list == [res["loss"], res["cls_loss"], res["reg_loss"], res["cls_accuracy"]]
    h = model.fit([xa, xb], [y_cls, y_reg], epochs=2, verbose=0, validation_data=([xa, xb], [y_cls, y_reg]))
    assert sorted(h.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "val_cls_accuracy",
                                 "val_cls_loss", "val_loss", "val_reg_loss"]


def test_two_outputs_gradients_with_weights():
    model = _two_in_two_out()
    model._loss_spec = ["sparse_categorical_crossentropy", "mae"]
    model._loss_weights = [0.3, 2.0]
    rng = np.random.default_rng(4)
    x = [rng.standard_normal((12, 4)), rng.standard_normal((12, 3))]
    _check_grads(model, x, [rng.integers(0, 3, 12), rng.standard_normal((12, 2))], count=20)


def test_shared_layer_accumulates_gradients():
    shared = build(L.Dense(6, activation="tanh"), (5,))
    add = build(L.Add(), (6,), (6,))
    out = build(L.Dense(1), (6,))
    model = HandGraphModel(graph([(5,), (5,)], [(shared, [-1]), (shared, [-2]), (add, [0, 1]), (out, [2])], [3]))
    assert model.count_params() == 5 * 6 + 6 + 6 + 1
    model._loss_spec = "mse"
    rng = np.random.default_rng(5)
    _check_grads(model, [rng.standard_normal((10, 5)), rng.standard_normal((10, 5))], rng.standard_normal(10),
                 count=20)


def test_shared_layer_penalty_counts_once():
    shared = build(L.Dense(3, kernel_regularizer=cnn.regularizers.L2(0.1)), (3,))
    add = build(L.Add(), (3,), (3,))
    model = HandGraphModel(graph([(3,)], [(shared, [-1]), (shared, [0]), (add, [0, 1])], [2]))
    model.compile("sgd", "mse")
    x = np.zeros((4, 3), np.float32)
    w = shared.kernel.numpy()
    out = model.predict(x, verbose=0)
    mse = np.mean(out ** 2)
    assert model.evaluate(x, np.zeros((4, 3)), verbose=0) == pytest.approx(mse + 0.1 * np.sum(w ** 2), rel=1e-5)


def test_chain_graph_trains_to_the_sequential_bits():
    seq = cnn.Sequential([cnn.Input(shape=(4,)), L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")])
    layers = [build(L.Dense(8, activation="relu"), (4,)), build(L.Dense(3, activation="softmax"), (8,))]
    hand = HandGraphModel(Graph.chain(layers, (4,)))
    hand.set_weights(seq.get_weights())
    x, y = _data(50)
    for m in (seq, hand):
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h1 = seq.fit(x, y, epochs=3, batch_size=8, verbose=0)
    h2 = hand.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert h1.history == h2.history
    for a, b in zip(seq.get_weights(), hand.get_weights()):
        assert np.array_equal(a, b)


def test_graph_path_matches_the_chain_bits():
    """The same chain run by the graph path (a second output, weighted 0, forces it) gives the chain's bits."""
    seq = cnn.Sequential([cnn.Input(shape=(4,)), L.Dense(8, activation="relu"), L.Dense(2)])
    d1, d2 = build(L.Dense(8, activation="relu"), (4,)), build(L.Dense(2), (8,))
    extra = build(L.Activation("linear"), (2,))
    hand = HandGraphModel(graph([(4,)], [(d1, [-1]), (d2, [0]), (extra, [1])], [1, 2]))
    hand.set_weights(seq.get_weights())
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((48, 4)), rng.standard_normal((48, 2))
    seq.compile("adam", "mse")
    hand.compile("adam", "mse", loss_weights=[1.0, 0.0])
    h1 = seq.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
    h2 = hand.fit(x, [y, y], epochs=3, batch_size=16, verbose=0, shuffle=False)
    assert h1.history["loss"] == h2.history["loss"]
    assert h2.history[f"{d2.name}_loss"] == h1.history["loss"]
    for a, b in zip(seq.get_weights(), hand.get_weights()):
        assert np.array_equal(a, b)


def _trained_weights(threads):
    cnn.utils.set_random_seed(7)
    cnn.utils.set_num_threads(threads)
    model = _two_in_two_out()
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.25])
    rng = np.random.default_rng(8)
    x = [rng.standard_normal((64, 4)), rng.standard_normal((64, 3))]
    h = model.fit(x, [rng.integers(0, 3, 64), rng.standard_normal((64, 2))], epochs=3, batch_size=16, verbose=0)
    return h.history, model.get_weights()


def test_one_and_two_threads_bit_identical():
    h1, w1 = _trained_weights(1)
    h2, w2 = _trained_weights(2)
    assert h1 == h2
    for a, b in zip(w1, w2):
        assert np.array_equal(a, b)


def test_inputs_and_targets_errors():
    model = _two_in_two_out()
    model.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    xa = np.zeros((4, 4))
    with pytest.raises(ValueError, match="2 input"):
        model.predict(xa, verbose=0)
    with pytest.raises(ValueError, match="missing"):
        model.predict({"a": xa}, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(4, 4\)"):
        model.predict([xa, xa], verbose=0)
    with pytest.raises(ValueError, match="loss"):
        model.compile("sgd", ["mse"])
    with pytest.raises(ValueError, match="loss dict"):
        model.compile("sgd", {"cls": "mse"})
    with pytest.raises(ValueError, match="metrics"):
        model.compile("sgd", "mse", metrics=["mae"])


def test_bad_graph_records_are_refused():
    d = build(L.Dense(2), (3,))
    add = build(L.Add(), (2,), (2,))
    with pytest.raises(ValueError, match="source 1"):
        HandGraphModel(graph([(3,)], [(d, [-1]), (add, [0, 1])], [1])).predict(np.zeros((1, 3)), verbose=0)
    with pytest.raises(ValueError, match="in_shape"):
        HandGraphModel(graph([(3,), (5,)], [(d, [-2])], [0])).predict([np.zeros((1, 3)), np.zeros((1, 5))],
                                                                      verbose=0)


def _plan(layers, inputs, outputs):
    from cnn import _core
    return _core.Plan(layers, {"kind": "mse"}, [], {"kind": "sgd"}, np.zeros(8, np.float32), 0,
                      np.zeros(1, np.float32), 4, inputs=inputs, outputs=outputs)


@pytest.mark.parametrize("inputs, field", [([1], "inputs"), ([-3], "inputs"), ([0, 0], "inputs"),
                                           ([-1, -2, -1] * 6, "inputs"), ([0.5], "inputs")])
def test_binding_checks_sources(inputs, field):
    act = {"kind": "activation", "in_shape": [2], "out_shape": [2]}
    with pytest.raises((ValueError, TypeError), match=field):
        _plan([act, dict(act, inputs=inputs)], [[2], [2]], [{"layer": 1, "loss": {"kind": "mse"}}])


def test_binding_checks_merge_shapes_and_outputs():
    act = {"kind": "activation", "in_shape": [2], "out_shape": [2]}
    merge = {"kind": "merge", "op": "add", "in_shape": [2], "out_shape": [2], "inputs": [-1, -2]}
    out = [{"layer": 0, "loss": {"kind": "mse"}}]
    with pytest.raises(ValueError, match="in_shape"):
        _plan([merge], [[2], [3]], out)
    with pytest.raises(ValueError, match="inputs"):
        _plan([dict(merge, op="subtract", inputs=[-1, -2, -1])], [[2], [2]], out)
    with pytest.raises(ValueError, match="outputs"):
        _plan([act], [[2]], [{"layer": 1, "loss": {"kind": "mse"}}])
    with pytest.raises(ValueError, match="metrics"):
        _plan([act], [[2]], [{"layer": 0, "loss": {"kind": "mse"}, "metrics": 1}])
    with pytest.raises(ValueError, match="output"):
        _plan([act], [[2]], [{"layer": 0}])
    plan = _plan([merge, act], [[2], [2]], out + [{"layer": 1, "loss": {"kind": "mae"}}])
    x = np.array([[1, 2, 3, 4]], np.float32)
    assert plan.predict(x, 1, None, 0).tolist() == [[4, 6, 4, 6]]


def test_relu_mask_fusion_in_a_graph_gradients():
    """A ReLU layer read by one Dense (mask folded into that Dense's dx), another read twice (not)."""
    bias = cnn.initializers.RandomNormal(stddev=0.5, seed=1)   # no pre-activation exactly at the kink
    d1 = build(L.Dense(6, activation="relu", bias_initializer=bias), (3,))
    d2 = build(L.Dense(6, activation="relu", bias_initializer=bias), (6,))
    d3 = build(L.Dense(6), (6,))
    add = build(L.Add(), (6,), (6,))
    out = build(L.Dense(2, activation="sigmoid"), (6,))
    model = HandGraphModel(graph([(3,)], [(d1, [-1]), (d2, [0]), (d3, [1]), (add, [0, 2]), (out, [3])], [4]))
    model._loss_spec = "binary_crossentropy"
    rng = np.random.default_rng(9)
    _check_grads(model, rng.standard_normal((10, 3)), rng.integers(0, 2, (10, 2)).astype(np.float32), count=30)


def test_single_batch_calls_and_training_call():
    model = _two_in_two_out()
    model.compile("adam", ["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    rng = np.random.default_rng(10)
    x = {"a": rng.standard_normal((6, 4)), "b": rng.standard_normal((6, 3))}
    y = {"cls": rng.integers(0, 3, 6), "reg": rng.standard_normal((6, 2))}
    out = model.predict_on_batch(x)
    assert [o.shape for o in out] == [(6, 3), (6, 2)]
    called = model(x)
    assert all(np.array_equal(a, b) for a, b in zip(out, called))
    trained = model(x, training=True)   # no dropout or batch statistics here: the same outputs
    assert all(np.allclose(a, b) for a, b in zip(out, trained))
    logs = model.test_on_batch(x, y, return_dict=True)
    assert sorted(logs) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]
    assert model.metrics_names == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]
    before = model.train_on_batch(x, y)
    assert before == [logs[k] for k in model.metrics_names]
    assert model.train_on_batch(x, y)[0] < before[0]


def test_convolutional_branches_gradients():
    """Spatial kinds in a graph: two conv branches joined on channels, pooled, then a Dense."""
    bias = cnn.initializers.RandomNormal(stddev=0.5, seed=2)
    c1 = build(L.Conv2D(2, 3, padding="same", activation="relu", bias_initializer=bias), (5, 5, 1))
    c2 = build(L.Conv2D(3, 1, activation="tanh"), (5, 5, 1))
    cat = build(L.Concatenate(), (5, 5, 2), (5, 5, 3))
    pool = build(L.MaxPooling2D(2), (5, 5, 5))
    flat = build(L.Flatten(), (2, 2, 5))
    out = build(L.Dense(1), (20,))
    model = HandGraphModel(graph([(5, 5, 1)], [(c1, [-1]), (c2, [-1]), (cat, [0, 1]), (pool, [2]), (flat, [3]),
                                                (out, [4])], [5]))
    model._loss_spec = "mse"
    rng = np.random.default_rng(12)
    _check_grads(model, rng.standard_normal((4, 5, 5, 1)), rng.standard_normal((4, 1)), count=25)
