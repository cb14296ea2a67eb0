"""Subclassed models (`class MyModel(cnn.Model)`): layer tracking, eager calls, tracing `call` into a
graph trained in C, the tracing error, and Keras's default config."""
import os
import pickle

import numpy as np
import pytest

import cnn
from cnn import layers
from cnn._tracing import CallTraceError

HERE = os.path.basename(__file__)


class MLP(cnn.Model):
    """A chain with dropout used only in training."""

    def __init__(self, units=8, rate=0.0, out_units=1, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(units, activation="relu")
        self.dropout = layers.Dropout(rate)
        self.head = layers.Dense(out_units)

    def call(self, inputs, training=False):
        h = self.hidden(inputs)
        h = self.dropout(h, training=training)
        return self.head(h)


class Containers(cnn.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(5)
        self.blocks = [layers.Dense(4), (layers.Dense(4),)]
        self.heads = {"b": layers.Dense(3), "a": layers.Dense(2)}
        self._private = layers.Dense(3)
        self.seq = cnn.Sequential([layers.Dense(3), layers.Dense(3)])
        self.inner = MLP(units=3, out_units=3)
        self.note = "not a layer"

    def call(self, x):
        x = self.first(x)
        x = self.blocks[1][0](self.blocks[0](x))
        x = self.heads["b"](x)
        x = self._private(x)
        x = self.seq(x)
        x = self.inner(x)
        return self.heads["a"](x)


def data(n=32, features=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x[:, :1] - 0.5 * x[:, 1:2]).astype(np.float32)


# ---------------------------------------------------------------------------------------- tracking

def test_layers_tracked_in_assignment_order_through_containers():
    m = Containers()
    names = [type(layer).__name__ for layer in m.layers]
    assert names == ["Dense"] * 5 + ["Dense", "Sequential", "MLP"]
    assert m.layers[0] is m.first and m.layers[1] is m.blocks[0] and m.layers[2] is m.blocks[1][0]
    assert m.layers[3] is m.heads["b"] and m.layers[4] is m.heads["a"] and m.layers[5] is m._private
    assert m.layers[6] is m.seq and m.layers[7] is m.inner


def test_weights_follow_layers_and_appends_are_seen():
    m = Containers()
    m.blocks.append(layers.Dense(7))
    assert m.layers[-1] is m.blocks[-1]
    m.build((None, 6))
    assert [tuple(w.shape) for w in m.weights][:4] == [(6, 5), (5,), (5, 4), (4,)]
    n = sum(int(np.prod(w.shape)) for w in m.weights)
    assert m.count_params() == n
    assert len(m.trainable_weights) == len(m.weights)


def test_reassigning_or_deleting_an_attribute_untracks_the_layer():
    m = MLP()
    old = m.head
    m.head = layers.Dense(2)
    assert old not in m.layers and m.head in m.layers
    del m.dropout
    assert [type(layer).__name__ for layer in m.layers] == ["Dense", "Dense"]


def test_shared_layer_counted_once():
    class Shared(cnn.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(4)
            self.again = [self.d]

        def call(self, x):
            return self.d(x)

    m = Shared()
    m.build((None, 4))
    assert len(m.layers) == 1 and len(m.weights) == 2


# ---------------------------------------------------------------------------------------- eager

def test_eager_call_runs_call_on_arrays():
    x, _ = data()
    m = MLP(rate=0.5)
    out = m(x)
    assert isinstance(out, np.ndarray) and out.shape == (32, 1) and out.dtype == np.float32
    h = np.maximum(x @ m.hidden.kernel.numpy() + m.hidden.bias.numpy(), 0)
    np.testing.assert_allclose(out, h @ m.head.kernel.numpy() + m.head.bias.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(m(x, training=False), out)
    assert not np.allclose(m(x, training=True), out)     # dropout acts in training only


def test_call_without_training_argument_and_with_extra_kwargs():
    class Scaled(cnn.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x, scale=1.0):
            return self.d(x) * scale

    m = Scaled()
    x, _ = data()
    np.testing.assert_allclose(m(x, scale=2.0), 2 * m(x), rtol=1e-6)
    np.testing.assert_array_equal(m(x, training=True), m(x))   # no training argument: not passed


def test_dict_and_list_inputs():
    class Two(cnn.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(3)
            self.b = layers.Dense(3)

        def call(self, inputs):
            return {"sum": self.a(inputs["left"]) + self.b(inputs["right"])}

    m = Two()
    x, _ = data()
    out = m({"left": x, "right": x[:, :2]})
    assert out["sum"].shape == (32, 3)


# ---------------------------------------------------------------------------------------- training

def test_fit_traces_call_and_predict_matches_eager_call():
    x, y = data()
    m = MLP(rate=0.3)
    m.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse")
    losses = m.fit(x, y, epochs=20, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(m.predict(x, verbose=0), m(x), rtol=1e-5, atol=1e-6)
    graph = m._graph()
    assert [node.layer for node in graph.nodes] == [m.hidden, m.dropout, m.head]


def test_training_is_seeded_and_deterministic():
    x, y = data()
    runs = []
    for _ in range(2):
        cnn.utils.set_random_seed(4)
        m = MLP(rate=0.5)
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
        runs.append(m.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_dropout_only_in_training_steps():
    x, y = data()
    a, b = MLP(rate=0.0), MLP(rate=0.5)
    a.build((None, 5))
    b.build((None, 5))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    for m in (a, b):
        m.compile(optimizer=cnn.optimizers.SGD(0.1), loss="mse")
        m.train_on_batch(x, y)
    assert not all(np.allclose(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def test_user_build_creates_layers():
    class Built(cnn.Model):
        def build(self, input_shape):
            self.d = layers.Dense(input_shape[-1] * 2)

        def call(self, x):
            return self.d(x)

    m = Built()
    x, y = data()
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, np.repeat(y, 10, axis=1), epochs=1, verbose=0)
    assert m.layers == [m.d] and m.output_shape == (None, 10)


def test_nested_subclassed_model_trains_as_part_of_the_graph():
    m = Containers()
    x, y = data(features=6)
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, np.repeat(y, 2, axis=1), epochs=2, verbose=0)
    np.testing.assert_allclose(m.predict(x, verbose=0), m(x), rtol=1e-5, atol=1e-5)
    assert len(m._graph().nodes) == 11


# ---------------------------------------------------------------------------------------- tracing errors

class Untraceable(cnn.Model):
    def __init__(self, mode, **kwargs):
        super().__init__(**kwargs)
        self.mode = mode
        self.d = layers.Dense(3)

    def call(self, x, training=None):
        h = self.d(x)
        if self.mode == "if":
            if h > 0:   # LINE if
                h = self.d(h)
        elif self.mode == "numpy-function":
            h = np.maximum(h, 0)   # LINE numpy-function
        elif self.mode == "numpy":
            h = h.numpy()   # LINE numpy
        return h


def _line_of(marker):
    with open(__file__) as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith(f"# LINE {marker}"):
                return number
    raise AssertionError(marker)


@pytest.mark.parametrize("mode", ["if", "numpy-function", "numpy"])
def test_untraceable_call_names_file_and_line(mode):
    m = Untraceable(mode)
    with pytest.raises(CallTraceError) as info:
        m.build((None, 3))
    message = str(info.value)
    assert f"{HERE}:{_line_of(mode)}" in message
    assert "Untraceable.call" in message and "Fixes:" in message
    m2 = Untraceable(mode)
    m2.compile(optimizer="sgd", loss="mse")
    with pytest.raises(CallTraceError):
        m2.fit(np.ones((4, 3)), np.ones((4, 3)), verbose=0)


class Branchy(cnn.Model):
    """Python `if training:` in call: traced once per mode, as Keras calls it in each."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d = layers.Dense(4)
        self.extra = layers.Dense(4)
        self.head = layers.Dense(1)

    def call(self, x, training=False):
        h = self.d(x)
        if training:
            h = self.extra(h) + h
        return self.head(h)


def test_branch_on_training_trains_one_graph_and_evaluates_the_other():
    x, y = data()
    m = Branchy()
    m.build((None, 5))
    twin = Branchy()
    twin.build((None, 5))
    twin.set_weights(m.get_weights())
    assert len(m._graph().nodes) == 2 and m._traced_train is not None
    m.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mse")
    inference = float(np.mean((twin(x) - y) ** 2))
    training = float(np.mean((twin(x, training=True) - y) ** 2))
    assert abs(inference - training) > 1e-3
    np.testing.assert_allclose(m.train_on_batch(x, y), training, rtol=1e-5)
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), inference, rtol=1e-5)
    np.testing.assert_allclose(m.test_on_batch(x, y), inference, rtol=1e-5)
    np.testing.assert_allclose(m.predict(x, verbose=0), twin(x), rtol=1e-5, atol=1e-6)
    history = m.fit(x, y, validation_data=(x, y), epochs=1, batch_size=32, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"][0], training, rtol=1e-5)
    np.testing.assert_allclose(history["val_loss"][0], inference, rtol=1e-5)


def test_nested_model_branching_on_training():
    class Outer(cnn.Model):
        def __init__(self):
            super().__init__()
            self.inner = Branchy()
            self.out = layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.inner(x, training=training))

    x, y = data()
    m, twin = Outer(), Outer()
    m.build((None, 5))
    twin.build((None, 5))
    twin.set_weights(m.get_weights())
    m.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mse")
    np.testing.assert_allclose(m.train_on_batch(x, y), np.mean((twin(x, training=True) - y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), np.mean((twin(x) - y) ** 2), rtol=1e-5)


def test_layer_created_inside_call_is_refused():
    class Fresh(cnn.Model):
        def call(self, x):
            return layers.Dense(2)(x)

    with pytest.raises(ValueError, match="not an attribute of the model"):
        Fresh().build((None, 3))


def test_model_without_call():
    class NoCall(cnn.Model):
        pass

    with pytest.raises(NotImplementedError, match="call"):
        NoCall()(np.ones((2, 3)))


def test_bad_arguments():
    with pytest.raises(TypeError, match="unexpected keyword"):
        MLP(units=3, bogus=1)
    with pytest.raises(ValueError, match="float32"):
        MLP(dtype="float16")
    with pytest.raises(ValueError, match="input_shape"):
        MLP().build("nope")
    m = MLP()
    m.build((None, 5))
    with pytest.raises(ValueError, match="built for inputs"):
        m.build((None, 6))


# ---------------------------------------------------------------------------------------- config

def test_default_config_is_the_constructor_arguments():
    m = MLP(units=4, rate=0.25, name="mine")
    assert m.get_config() == {"name": "mine", "units": 4, "rate": 0.25, "out_units": 1, "trainable": True,
                              "dtype": "float32"}
    clone = MLP.from_config(m.get_config())
    assert clone.name == "mine" and clone.hidden.units == 4 and clone.dropout.rate == 0.25


def test_config_without_kwargs_drops_the_name_and_refuses_complex_arguments():
    class Plain(cnn.Model):
        def __init__(self, width=3):
            super().__init__()
            self.d = layers.Dense(width)

        def call(self, x):
            return self.d(x)

    assert Plain(width=5).get_config() == {"width": 5, "trainable": True, "dtype": "float32"}

    class Holder(cnn.Model):
        def __init__(self, layer, **kwargs):
            super().__init__(**kwargs)
            self.layer = layer

        def call(self, x):
            return self.layer(x)

    with pytest.raises(NotImplementedError, match="get_config"):
        Holder(layers.Dense(2)).get_config()


def test_user_get_config_is_used():
    class Custom(MLP):
        def __init__(self, width, **kwargs):
            super().__init__(units=width, **kwargs)
            self.width = width

        def get_config(self):
            return {**super().get_config(), "width": self.width}

    config = Custom(width=6, name="c").get_config()
    assert config == {"name": "c", "trainable": True, "dtype": "float32", "width": 6}
    assert Custom.from_config(config).hidden.units == 6


def test_summary_lists_the_tracked_layers():
    m = MLP()
    m.build((None, 5))
    lines = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for layer in m.layers:
        assert layer.name in text
    assert "Total params: 57" in text


def test_pickle_and_deepcopy_keep_weights_and_predictions():
    import copy
    x, y = data()
    m = MLP()
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, y, epochs=1, verbose=0)
    for other in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        np.testing.assert_array_equal(other.predict(x, verbose=0), m.predict(x, verbose=0))
        other.fit(x, y, epochs=1, verbose=0)
