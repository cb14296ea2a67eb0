"""The backward pass stops where nothing before it learns (plan.c: wants_gradient): a first Dense
after Flatten, a frozen base, a branch of model inputs and non-trainable layers skip their input
gradient. Nothing a trainable weight sees may change: each model here trains to the bits of an
equal model fed the frozen part's output as data; a Python layer still gets its backward."""
import numpy as np

import cnn
from cnn import layers as L


def _data(n=64):
    rng = np.random.default_rng(0)
    return rng.random((n, 6, 6), dtype=np.float32), (np.arange(n) % 3)


def _fit(model, x, y):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history


def test_a_frozen_base_trains_the_head_as_if_its_output_were_the_data():
    x, y = _data()
    cnn.utils.set_random_seed(3)
    base = cnn.Sequential([cnn.Input((6, 6)), L.Flatten(), L.Dense(12, activation="relu"), L.Dense(8)])
    head = cnn.Sequential([cnn.Input((8,)), L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")])
    start = [w.copy() for w in base.get_weights()], [w.copy() for w in head.get_weights()]
    base.trainable = False
    whole = cnn.Sequential([base, head])
    h_whole = _fit(whole, x, y)
    assert all(np.array_equal(a, b) for a, b in zip(base.get_weights(), start[0]))   # frozen: untouched

    features = base.predict(x, verbose=0)
    cnn.utils.set_random_seed(3)
    alone = cnn.Sequential([cnn.Input((8,)), L.Dense(8, activation="tanh"), L.Dense(3, activation="softmax")])
    alone.set_weights(start[1])
    h_alone = _fit(alone, features, y)
    assert h_whole == h_alone
    for a, b in zip(head.get_weights(), alone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_graph_branch_of_inputs_and_frozen_layers_gets_no_gradient_but_its_merge_partner_does():
    x, y = _data()
    cnn.utils.set_random_seed(5)
    inp = cnn.Input((6, 6))
    flat = L.Flatten()(inp)
    frozen = L.Dense(9, activation="relu", name="frozen")
    learner = L.Dense(9, name="learner")
    merged = L.Multiply()([frozen(flat), learner(flat)])
    out = L.Dense(3, activation="softmax", name="out")(L.Concatenate()([merged, L.Rescaling(0.5)(flat)]))
    model = cnn.Model(inp, out)
    frozen.trainable = False
    before = {layer.name: [w.copy() for w in layer.get_weights()] for layer in (frozen, learner)}
    _fit(model, x, y)
    assert all(np.array_equal(a, b) for a, b in zip(frozen.get_weights(), before["frozen"]))
    assert not all(np.array_equal(a, b) for a, b in zip(learner.get_weights(), before["learner"]))


class Scale(cnn.layers.Layer):
    """A NumPy layer with no weights: doubles its input; records the gradients it is given."""
    seen = []

    def call(self, inputs, training=None):
        return inputs * 2.0

    def backward(self, grad_output):
        Scale.seen.append(np.array(grad_output))
        return grad_output * 2.0


def test_a_python_layer_first_still_gets_its_backward():
    x, y = _data()
    Scale.seen = []
    cnn.utils.set_random_seed(7)
    model = cnn.Sequential([cnn.Input((6, 6)), L.Flatten(), Scale(), L.Dense(3, activation="softmax")])
    _fit(model, x, y)
    assert len(Scale.seen) == 12 and all(g.shape == (16, 36) and np.abs(g).sum() > 0 for g in Scale.seen)
