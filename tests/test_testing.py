"""cnn.testing: the grader's checks pass on right answers, fail on wrong ones with messages that show
expected and received side by side, in Spanish or English."""
import time

import numpy as np
import pytest

import cnn
from cnn import testing as T
from cnn.testing import GradingError


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return sigmoid(x) * (1 - sigmoid(x))


def mse_per_row(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def mse_grad(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_pred.shape[-1]


def small_model(seed=0, activation="relu"):
    cnn.utils.set_random_seed(seed)
    model = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(5, activation=activation), cnn.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def data(rows=32):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(rows, 3)).astype(np.float32)
    return x, (x @ np.array([1.0, -1.0, 2.0])).astype(np.float32)


# ----------------------------------------------------------------------------- check_gradients

@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "elu", "softmax", "gelu", "leaky_relu", "mish"])
def test_builtin_activations_pass(name):
    report = T.check_gradients(name)
    assert report["checks"] == 20


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy", "kl_divergence", "poisson", "hinge"])
def test_builtin_losses_pass(name):
    assert T.check_gradients(name)["checks"] == 20


def test_a_right_student_derivative_passes_and_a_wrong_one_names_the_elements():
    assert T.check_gradients(sigmoid, grad=sigmoid_derivative)["max_error"] < 1e-5
    with pytest.raises(GradingError) as e:
        T.check_gradients(sigmoid, grad=sigmoid, lang="en")   # forgot the (1 - s) factor
    text = str(e.value)
    assert "sigmoid: the derivative does not match" in text
    assert "expected" in text and "received" in text and "difference" in text
    assert "(" in text.splitlines()[3]   # an element index comes first


def test_messages_in_spanish(monkeypatch):
    with pytest.raises(GradingError, match="la derivada no coincide") as e:
        T.check_gradients(sigmoid, grad=lambda x: 2 * sigmoid_derivative(x), lang="es")
    assert "esperado" in str(e.value) and "recibido" in str(e.value)
    monkeypatch.setenv("CNN_LANG", "es")
    with pytest.raises(GradingError, match="el gradiente es cero"):
        T.check_gradients(sigmoid, grad=np.zeros_like)
    monkeypatch.delenv("CNN_LANG")
    monkeypatch.setenv("LC_ALL", "es_ES.UTF-8")
    assert T.language() == "es"
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert T.language() == "en"


def test_zero_gradient_guard_and_its_opt_out():
    with pytest.raises(GradingError, match="zero everywhere"):
        T.check_gradients(sigmoid, grad=np.zeros_like, lang="en")
    with pytest.raises(GradingError, match="zero everywhere"):
        T.check_gradients("step", lang="en")
    assert T.check_gradients("step", allow_zero=True)["checks"] > 0


def test_student_loss_per_row_and_scalar_functions():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    T.check_gradients(mse_per_row, p, y, grad=mse_grad)
    with pytest.raises(GradingError):
        T.check_gradients(mse_per_row, p, y, grad=lambda t, q: (q - t))   # missing 2 / n
    T.check_gradients(lambda w: np.sum(w ** 3), p, grad=lambda w: 3 * w ** 2)
    with pytest.raises(GradingError, match=r"shape \(4, 6\), but .* \(6, 4\) \(the transposed shape"):
        T.check_gradients(lambda w: np.sum(w ** 3), p, grad=lambda w: (3 * w ** 2).T, lang="en")


def test_a_crashing_student_function_is_reported():
    def broken(x):
        raise ZeroDivisionError("oops")
    with pytest.raises(GradingError, match="ZeroDivisionError: oops"):
        T.check_gradients(broken, grad=broken, lang="en")


@pytest.mark.parametrize("name", ["wine", "ionosphere", "iris", "sonar"])
def test_the_reference_models_gradients_pass(name):
    model = T.reference_model(name, seed=0)
    (x, y), _ = T.reference_data(name)
    before = T.fingerprint(model)
    T.check_gradients(model, x[:48], y[:48], directions=3, elements=8)
    assert T.fingerprint(model) == before and model.optimizer.iterations == 0   # the model is untouched


def test_model_gradient_matches_a_numpy_backward_pass():
    from cnn.testing._targets import model_gradient
    model = small_model(activation="tanh")
    x, y = data()
    w1, b1, w2, b2 = [w.astype(np.float64) for w in model.get_weights()]
    a = np.tanh(x @ w1 + b1)
    out = (a @ w2 + b2)[:, 0]
    d_out = (2 * (out - y) / len(y))[:, None]
    d_a = d_out @ w2.T * (1 - a ** 2)
    want = np.concatenate([(x.T @ d_a).ravel(), d_a.sum(0), (a.T @ d_out).ravel(), d_out.sum(0)])
    got = model_gradient(model, x, y)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6 * np.abs(want).max())


def test_layers_and_refused_models():
    x = np.random.default_rng(0).normal(size=(10, 4))
    assert T.check_gradients(cnn.layers.Dense(3, activation="tanh"), x)["checks"] == 4 + 15   # 15 weights
    model = cnn.Sequential([cnn.Input(shape=(4,)), cnn.layers.Dense(3), cnn.layers.Dropout(0.5), cnn.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="Dropout"):
        T.check_gradients(model, x, np.zeros(10))
    with pytest.raises(TypeError, match="needs its derivative"):
        T.check_gradients(sigmoid)


# ----------------------------------------------------------------------------- assert_same_as_builtin

def test_same_as_builtin_activation_and_loss():
    T.assert_same_as_builtin(sigmoid, "sigmoid")
    T.assert_same_as_builtin(sigmoid, "sigmoid", grad=sigmoid_derivative)
    T.assert_same_as_builtin(lambda x: np.maximum(x, 0), "relu")
    T.assert_same_as_builtin(mse_per_row, "mse")
    T.assert_same_as_builtin(mse_per_row, "mse", grad=mse_grad)


def test_same_as_builtin_names_what_differs():
    def sigmoid_derivative_wrong(x):
        return sigmoid(x)

    with pytest.raises(GradingError, match=r"sigmoid_derivative_wrong vs sigmoid': 100 of 100 values differ"):
        T.assert_same_as_builtin(sigmoid, "sigmoid", grad=sigmoid_derivative_wrong, lang="en")
    with pytest.raises(GradingError, match=r"tanh_like\(x\) vs tanh\(x\)"):
        def tanh_like(x):
            return np.tanh(x) * 1.01
        T.assert_same_as_builtin(tanh_like, "tanh", lang="en")
    with pytest.raises(GradingError, match="mse_per_row"):
        T.assert_same_as_builtin(mse_per_row, "mae", lang="en")


# ----------------------------------------------------------------------------- comparisons, hashes

def test_weights_and_histories_from_one_seed_are_equal_and_fingerprints_agree():
    x, y = data()
    runs = []
    for _ in range(2):
        model = small_model(seed=3)
        runs.append((model, model.fit(x, y, epochs=3, batch_size=8, verbose=0)))
    (m1, h1), (m2, h2) = runs
    T.assert_weights_equal(m1, m2)
    T.assert_history_close(h1, h2, rtol=0)
    assert T.fingerprint(m1) == T.fingerprint(m2) and len(T.fingerprint(m1)) == 16
    assert T.fingerprint(h1) == T.fingerprint(h2.history) != T.fingerprint(m1)
    other = small_model(seed=4)
    assert T.fingerprint(other) != T.fingerprint(small_model(seed=3))
    with pytest.raises(GradingError, match="values differ") as e:
        T.assert_weights_equal(other, m1, lang="en")
    assert "dense" in str(e.value) and "expected" in str(e.value)
    with pytest.raises(ValueError, match="length"):
        T.fingerprint(m1, length=0)
    with pytest.raises(TypeError, match="fingerprint takes"):
        T.fingerprint("weights")


def test_a_fingerprint_takes_every_nan_as_the_same():
    """A NaN's sign bit can differ between instruction-set paths (where two NaNs meet, x86 keeps the
    first operand's); a diverged model must still fingerprint alike on every machine."""
    plus = np.array([1.0, np.nan], np.float32)
    minus = plus.copy()
    minus.view(np.uint32)[1] = 0xFFC00000   # x86's default NaN: sign bit set
    assert T.fingerprint([plus]) == T.fingerprint([minus]) != T.fingerprint([np.array([1.0, 2.0], np.float32)])


def test_history_mismatches_are_explained():
    a = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    with pytest.raises(GradingError, match="keys differ"):
        T.assert_history_close({"loss": [1.0, 0.5]}, a, lang="en")
    with pytest.raises(GradingError, match="1 epochs, expected 2"):
        T.assert_history_close({"loss": [1.0], "val_loss": [1.1]}, a, lang="en")
    with pytest.raises(GradingError, match=r"history\['val_loss'\]: 1 of 2") as e:
        T.assert_history_close({"loss": [1.0, 0.5], "val_loss": [1.1, 0.8]}, a, lang="en")
    assert "0.7" in str(e.value) and "0.8" in str(e.value)
    T.assert_history_close({"loss": [1.0, 0.5 + 1e-9], "val_loss": [1.1, 0.7]}, a)


# ----------------------------------------------------------------------------- assert_learns, references

def test_assert_learns_passes_and_fails_with_the_stop_reason():
    x, y = data(200)
    history = T.assert_learns(small_model(), x, y, below=0.5, epochs=200, batch_size=16, time_limit=30)
    assert history.stop_reason == "completed"
    start = time.perf_counter()
    with pytest.raises(GradingError, match="time_limit") as e:
        noisy = y + np.random.default_rng(2).normal(size=y.shape).astype(np.float32)  # a floor of ~1
        T.assert_learns(small_model(), x, noisy, below=0.1, epochs=10 ** 6, time_limit=0.3, lang="en")
    assert time.perf_counter() - start < 3
    assert "did not learn enough" in str(e.value)
    with pytest.raises(ValueError, match="band"):
        T.assert_learns(small_model(), x, y)


def test_reference_data_and_models():
    (xt, yt), (xv, yv) = T.reference_data("iris")
    assert xt.shape == (120, 4) and xv.shape == (30, 4)
    (xt, yt), (xv, yv) = T.reference_data("sonar")
    assert xt.shape == (156, 60) and abs(float(xt.mean())) < 1e-5
    assert T.fingerprint(T.reference_model("wine", seed=1)) == T.fingerprint(T.reference_model("wine", seed=1))
    assert T.reference_model("iris").count_params() == 4 * 8 + 8 + 8 * 9 + 9 + 9 * 3 + 3
    with pytest.raises(ValueError, match="available"):
        T.reference_model("mnist")
    assert sorted(T.REFERENCE_MODELS) == ["ionosphere", "iris", "sonar", "wine"]


def test_cnn_testing_is_reachable_from_import_cnn():
    import subprocess
    import sys
    code = "import sys, cnn; print(callable(cnn.testing.fingerprint), 'pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["True", "False"], out.stderr
