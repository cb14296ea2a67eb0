"""Values that used to be accepted silently or failed with an obscure error: each now gets a
ValueError/TypeError naming the argument and the value received."""
import numpy as np
import pytest

import cnn
from cnn import layers


def _model(loss="mse", metrics=None, units=1):
    cnn.utils.set_random_seed(0)
    model = cnn.Sequential([cnn.Input((3,)), layers.Dense(units)])
    model.compile(optimizer="sgd", loss=loss, metrics=metrics)
    return model


X = np.arange(24, dtype=np.float32).reshape(8, 3) / 24
Y = np.linspace(0, 1, 8, dtype=np.float32)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.GaussianNoise(float("inf")), "stddev.*inf"),
    (lambda: layers.GaussianNoise(float("nan")), "stddev.*nan"),
    (lambda: layers.BatchNormalization(epsilon=float("nan")), "epsilon.*nan"),
    (lambda: layers.BatchNormalization(epsilon=float("inf")), "epsilon.*inf"),
    (lambda: layers.ReLU(max_value=float("nan")), "max_value.*nan"),
])
def test_layer_arguments_that_are_not_finite(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("class_weight, match", [
    ({0: float("nan")}, r"class_weight\[0\].*nan"),
    ({0: -1.0}, r"class_weight\[0\].*-1"),
    ({0: float("inf")}, r"class_weight\[0\].*inf"),
    ({"a": 1}, "keys must be integer class ids.*'a'"),
    ({0.5: 1}, "keys must be integer class ids.*0.5"),
])
def test_class_weight(class_weight, match):
    model = _model(loss="binary_crossentropy")
    with pytest.raises(ValueError, match=match):
        model.fit(X, (Y > 0.5).astype(int), class_weight=class_weight, verbose=0)


def test_sample_weight_larger_than_float32():
    model = _model()
    with pytest.raises(ValueError, match="sample_weight holds 1e\\+39"):
        model.fit(X, Y, sample_weight=np.full(8, 1e39), verbose=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"validation_batch_size": 0}, "validation_batch_size.*0"),
    ({"validation_freq": 0}, "validation_freq.*0"),
    ({"validation_freq": [0, 2]}, "validation_freq.*0"),
    ({"validation_freq": "2"}, "validation_freq.*'2'"),
])
def test_validation_arguments(kwargs, match):
    model = _model()
    with pytest.raises(ValueError, match=match):
        model.fit(X, Y, validation_data=(X, Y), verbose=0, **kwargs)


def test_validation_freq_as_epoch_list_still_works():
    history = _model().fit(X, Y, validation_data=(X, Y), epochs=3, validation_freq=[1, 3], verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_a_callback_that_is_not_a_callback():
    with pytest.raises(TypeError, match="callbacks must be.*object.*set_model"):
        _model().fit(X, Y, callbacks=[object()], verbose=0)


def test_compile_without_an_optimizer():
    model = cnn.Sequential([cnn.Input((3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="optimizer.*None"):
        model.compile(optimizer=None, loss="mse")


def test_get_layer_index_out_of_range():
    model = _model()
    with pytest.raises(ValueError, match="index 99 but model only has 1 layers"):
        model.get_layer(index=99)
    assert model.get_layer(index=-1) is model.layers[-1]


def test_a_generator_is_named_as_such():
    model = _model()   # x may be a generator of batches (tests/test_generators.py); y may not
    with pytest.raises(TypeError, match="y must be an array, got a generator"):
        model.fit(X, (v for v in Y), verbose=0)
    with pytest.raises(ValueError, match="y and sample_weight must not be given when x is a generator"):
        model.fit((row for row in X), Y, verbose=0)


def test_pandas_nullable_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abc")).astype("Float64")
    model = _model()
    model.fit(frame, pd.Series(Y).astype("Float64"), verbose=0)   # <NA>-free nullable columns just work
    frame.iloc[2, 1] = pd.NA
    with pytest.raises(ValueError, match=r"x contains NaN or infinity \(first at index \(2, 1\)\)"):
        model.fit(frame, Y, verbose=0)


@pytest.mark.parametrize("loss, labels", [
    ("sparse_categorical_crossentropy", np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]),       # one-hot, sparse loss
    ("categorical_crossentropy", np.array([0, 1, 2, 0, 1, 2, 0, 1])),               # ids, categorical loss
])
def test_label_mistakes_get_the_same_message_with_and_without_metrics(loss, labels):
    messages = []
    for metrics in (None, ["accuracy"]):
        model = cnn.Sequential([cnn.Input((3,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss=loss, metrics=metrics)
        with pytest.raises(ValueError) as err:
            model.fit(X, labels, verbose=0)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "metric" not in messages[1]
