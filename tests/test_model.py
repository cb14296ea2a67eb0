"""Whole-model behaviour: the course's worked example, the red-wine lesson, Keras's API conventions."""
import numpy as np
import pytest

import cnn
from cnn import layers
from cnn.datasets import load_iris, load_red_wine


def backprop_example_model():
    """The course's worked example: input [2, 3], two linear hidden units, one linear output, biases 1."""
    model = cnn.Sequential([cnn.Input(shape=(2,)), layers.Dense(2), layers.Dense(1)])
    model.set_weights([np.array([[0.11, 0.12], [0.21, 0.08]]), np.ones(2),
                       np.array([[0.14], [0.15]]), np.ones(1)])
    return model


def test_backprop_worked_example_forward_and_error():
    model = backprop_example_model()
    x, y = np.array([[2.0, 3.0]]), np.array([[1.0]])
    pred = model.predict(x, verbose=0)
    assert pred.shape == (1, 1)
    assert pred[0, 0] == pytest.approx(1.481, abs=1e-6)
    model.compile(optimizer=cnn.optimizers.SGD(0.05), loss="mse")
    mse = model.evaluate(x, y, verbose=0)
    assert mse / 2 == pytest.approx(0.1156805, abs=1e-6)     # the course's error: 1/2 (1.481 - 1)^2


def test_backprop_worked_example_one_gradient_step():
    # The course uses E = 1/2 (y - t)^2 and learning rate 0.05; Keras's MSE doubles the gradient,
    # so SGD(0.025) on 'mse' takes exactly the course's step.
    model = backprop_example_model()
    model.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.025), loss="mse")
    model.train_on_batch(np.array([[2.0, 3.0]]), np.array([[1.0]]))
    w1, b1, w2, b2 = model.get_weights()
    delta = 0.481
    np.testing.assert_allclose(w2[:, 0], [0.14 - 0.05 * delta * 1.85, 0.15 - 0.05 * delta * 1.48], atol=1e-6)
    np.testing.assert_allclose(w1, [[0.11 - 0.05 * delta * 2 * 0.14, 0.12 - 0.05 * delta * 2 * 0.15],
                                    [0.21 - 0.05 * delta * 3 * 0.14, 0.08 - 0.05 * delta * 3 * 0.15]], atol=1e-6)
    np.testing.assert_allclose(b2, [1 - 0.05 * delta], atol=1e-6)
    np.testing.assert_allclose(b1, [1 - 0.05 * delta * 0.14, 1 - 0.05 * delta * 0.15], atol=1e-6)
    assert model.predict(np.array([[2.0, 3.0]]), verbose=0)[0, 0] < 1.481   # the error went down


def wine_model():
    return cnn.Sequential([
        cnn.Input(shape=(11,)),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(1),
    ])


def test_red_wine_lesson_reaches_keras_band():
    cnn.utils.set_random_seed(0)
    (x_train, y_train), (x_valid, y_valid) = load_red_wine()
    model = wine_model()
    model.compile(optimizer="adam", loss="mae")
    history = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=256, epochs=10,
                        verbose=0)
    val = history.history["val_loss"]
    assert len(val) == 10 and all(isinstance(v, float) for v in val)
    assert val[-1] < val[0]
    # Keras reaches about 0.10 after 10 epochs; predicting the median gives 0.1329.
    assert min(val) < 0.112, val
    assert model.evaluate(x_valid, y_valid, verbose=0) == pytest.approx(val[-1], rel=1e-5)


def test_history_keys_values_and_params():
    x, y = load_iris()
    order = np.random.RandomState(0).permutation(150)
    x, y = x[order], y[order]
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                            layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.epoch == [0, 1, 2]
    assert h.params == {"verbose": 0, "epochs": 3, "steps": 8}
    assert model.history is h
    for values in h.history.values():
        assert len(values) == 3 and all(type(v) is float for v in values)


def test_keras_history_doctest():
    # keras.callbacks.History doctest
    model = cnn.Sequential([layers.Dense(10)])
    model.compile(cnn.optimizers.SGD(), loss="mse")
    h = model.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=10, verbose=0)
    assert h.params == {"verbose": 0, "epochs": 10, "steps": 1}
    assert list(h.history) == ["loss"]


def test_epoch_loss_is_batch_size_weighted_running_mean():
    # With lr = 0 the weights never change, so the epoch loss is the batch-size-weighted mean of the
    # batch losses, which equals evaluate's loss.
    x, y = load_iris()
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=cnn.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    h = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    assert h.history["loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_validation_split_takes_the_tail_before_shuffling():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    model = cnn.Sequential([cnn.Input(shape=(1,)), layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mae")
    h = model.fit(x, x, validation_split=0.3, epochs=1, verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(np.mean([7, 8, 9]))
    assert h.history["loss"][0] == pytest.approx(np.mean(np.arange(7)))


def test_evaluate_return_conventions():
    x, y = load_iris()
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acc", "mse"])
    with pytest.raises(ValueError):
        model.evaluate(x, y, verbose=0)      # mse on integer labels: a clear error, not garbage
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acc"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(d) == ["acc", "loss"] and d["acc"] == result[1]
    assert model.metrics_names == ["loss", "acc"]
    assert 0 <= d["acc"] <= 1


def test_accuracy_resolution_by_shape():
    x = np.random.RandomState(0).rand(40, 3).astype(np.float32)
    yb = (x[:, 0] > 0.5).astype(np.float32)
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    acc = model.evaluate(x, yb, verbose=0, return_dict=True)["accuracy"]
    p = model.predict(x, verbose=0)[:, 0]
    assert acc == pytest.approx(np.mean((p > 0.5) == yb), abs=1e-7)
    yc = cnn.utils.to_categorical((x[:, 1] * 3).astype(int), 3)
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    acc = model.evaluate(x, yc, verbose=0, return_dict=True)["accuracy"]
    assert acc == pytest.approx(np.mean(model.predict(x, verbose=0).argmax(1) == yc.argmax(1)), abs=1e-7)


def test_predict_matches_call_and_batches():
    x, _ = load_iris()
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(5, activation="tanh"), layers.Dense(2)])
    full = model.predict(x, batch_size=150, verbose=0)
    np.testing.assert_array_equal(model.predict(x, batch_size=7, verbose=0), full)
    np.testing.assert_array_equal(model(x), full)
    assert full.dtype == np.float32 and full.shape == (150, 2)
    ref = np.tanh(x.astype(np.float64) @ model.get_weights()[0] + model.get_weights()[1]) @ model.get_weights()[2] \
        + model.get_weights()[3]
    np.testing.assert_allclose(full, ref, rtol=1e-5, atol=1e-5)


def test_deferred_build_and_structure():
    model = cnn.Sequential()
    model.add(layers.Dense(4, activation="relu"))
    model.add(layers.Dense(1))
    assert not model.built and model.weights == []
    with pytest.raises(ValueError):
        model.count_params()
    model.build((None, 3))
    assert model.count_params() == 3 * 4 + 4 + 4 + 1
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 1), (1,)]
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and len(model.layers) == 1
    with pytest.warns(UserWarning):
        legacy = cnn.Sequential([layers.Dense(2, input_dim=5)])
    assert legacy.built and legacy.count_params() == 12
    with pytest.raises(ValueError, match="Only instances"):
        model.add("dense")


def test_set_weights_checks_and_views():
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="expecting 2 weights"):
        model.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match="shape"):
        model.set_weights([np.zeros((2, 3)), np.zeros(2)])
    given = [np.ones((3, 2)), np.zeros(2)]
    model.set_weights(given)
    got = model.get_weights()
    got[0][...] = 5          # get_weights returns copies
    assert model.get_weights()[0][0, 0] == 1
    assert model.layers[0].kernel.numpy()[0, 0] == 1


def test_summary_prints_keras_table(capsys):
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(2), layers.Dense(1)], name="sequential")
    model.summary(line_length=76)
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out
    assert "(None, 2)" in out and " Total params: 11 (44.00 B)" in out
    assert " Trainable params: 11 (44.00 B)" in out


def test_fit_continues_training_and_initial_epoch():
    x, y = load_iris()
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    h1 = model.fit(x, y, epochs=2, verbose=0)
    h2 = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert h2.epoch == [2, 3] and h2.history["loss"][0] < h1.history["loss"][0]
    assert model.optimizer.iterations == 4 * 5


def test_validation_split_on_sorted_labels_warns():
    x, y = load_iris()      # sorted by class: the tail is all one class
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="same label"):
        model.fit(x, y, validation_split=0.2, verbose=0)


def test_python_only_learning_rate_is_evaluated_every_step():
    # A callable learning rate (evaluated by Keras at every step) and a plain constant give the same
    # weights when the callable returns that constant.
    x, y = load_iris()
    results = []
    for lr in (0.01, lambda: 0.01):
        cnn.utils.set_random_seed(0)
        model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer=cnn.optimizers.SGD(learning_rate=lr), loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("schedule", [
    lambda: cnn.optimizers.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5),
    lambda: cnn.optimizers.schedules.InverseTimeDecay(0.05, decay_steps=2, decay_rate=1.0, staircase=True),
    lambda: cnn.optimizers.schedules.PiecewiseConstantDecay([4, 8], [0.05, 0.01, 0.001]),
    lambda: cnn.optimizers.schedules.PolynomialDecay(0.05, decay_steps=10, end_learning_rate=0.001),
    lambda: cnn.optimizers.schedules.CosineDecay(0.05, decay_steps=10, warmup_target=0.1, warmup_steps=3),
    lambda: cnn.optimizers.schedules.CosineDecayRestarts(0.05, first_decay_steps=4),
])
def test_schedules_step_per_batch_in_c(schedule):
    # The C core evaluates the schedule at every step. Stepping one batch at a time from Python with
    # the rate set by hand to schedule(step) must give the same weights.
    x, y = load_iris()
    x = x / 8.0

    def fresh(optimizer):
        cnn.utils.set_random_seed(0)
        model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        return model

    fitted = fresh(cnn.optimizers.SGD(schedule()))
    fitted.fit(x, y, batch_size=50, epochs=4, shuffle=False, verbose=0)
    manual = fresh(cnn.optimizers.SGD(0.0))
    sched = schedule()
    for step in range(12):
        manual.optimizer.learning_rate = float(sched(step))
        rows = slice(50 * (step % 3), 50 * (step % 3) + 50)
        manual.train_on_batch(x[rows], y[rows])
    for a, b in zip(fitted.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert fitted.optimizer.iterations == 12
    assert not np.allclose(fitted.get_weights()[0], fresh(cnn.optimizers.SGD(0.0)).get_weights()[0])


def test_step_activation_warns_when_trained():
    model = cnn.Sequential([cnn.Input(shape=(2,)), layers.Dense(1, activation="step")])
    model.set_weights([np.array([[1.0], [1.0]]), np.array([-1.5])])
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0)[:, 0], [0, 0, 0, 1])   # an AND perceptron
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="zero gradient"):
        model.fit(x, np.array([0, 1, 1, 1]), epochs=2, verbose=0)


def test_steps_arguments_limit_batches():
    x, y = load_iris()
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model.evaluate(x, y, batch_size=10, steps=2, verbose=0) == pytest.approx(
        model.evaluate(x[:20], y[:20], verbose=0), rel=1e-6)
    assert model.predict(x, batch_size=10, steps=3, verbose=0).shape == (30, 3)


def test_dropout_noise_shape_shares_the_mask():
    # noise_shape=(None, 1): each sample keeps or drops all its features together.
    cnn.utils.set_random_seed(3)
    x = np.ones((64, 6), np.float32)
    model = cnn.Sequential([cnn.Input(shape=(6,)), layers.Dropout(0.5, noise_shape=(None, 1)),
                            layers.Dense(6, use_bias=False, kernel_initializer="identity")])
    model.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mse")
    seen = []

    class Grab(cnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    # mse against 0 of [2, 2, ...] (kept) or [0, 0, ...] (dropped): per-sample loss 4 or 0, never between
    model.fit(x, np.zeros((64, 6)), batch_size=1, epochs=1, verbose=0, shuffle=False, callbacks=[Grab()])
    per_sample = np.diff([0.0] + [v * (i + 1) for i, v in enumerate(seen)])
    np.testing.assert_allclose(np.sort(np.unique(np.round(per_sample, 4))), [0.0, 4.0])
    with pytest.raises(ValueError, match="broadcast"):
        bad = cnn.Sequential([cnn.Input(shape=(6,)), layers.Dropout(0.5, noise_shape=(None, 3))])
        bad.compile(optimizer="sgd", loss="mse")
        bad.fit(x, x, verbose=0)


@pytest.mark.parametrize("layer, expected", [(lambda: layers.GaussianNoise(0.5), 0.25),
                                             (lambda: layers.GaussianDropout(0.2), 1.0 + 0.2 / 0.8)])
def test_gaussian_noise_layers_train_only(layer, expected):
    # mse of the noisy input against 0: E[noise^2] = 0.25 (additive, sigma 0.5) and, for inputs of 1
    # times N(1, sqrt(rate / (1 - rate))), E = 1 + rate / (1 - rate).
    cnn.utils.set_random_seed(0)
    x = np.ones((4000, 8), np.float32) * (0.0 if expected == 0.25 else 1.0)
    model = cnn.Sequential([cnn.Input(shape=(8,)), layer()])
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, np.zeros_like(x), batch_size=500, epochs=1, verbose=0)
    assert h.history["loss"][0] == pytest.approx(expected, rel=0.03)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)        # inference: no noise
    cnn.utils.set_random_seed(0)
    again = cnn.Sequential([cnn.Input(shape=(8,)), layer()])
    again.compile(optimizer="sgd", loss="mse")
    assert again.fit(x, np.zeros_like(x), batch_size=500, epochs=1, verbose=0).history == h.history


def test_gaussian_dropout_gradient_scales_by_the_noise():
    # With a linear model and GaussianDropout before it, one SGD step moves the kernel by
    # -lr * mean over samples of 2 * (noise * x . w - y) * noise * x / cols: check its sign and size
    # against the step without noise on average.
    cnn.utils.set_random_seed(1)
    x = np.ones((2000, 1), np.float32)
    model = cnn.Sequential([cnn.Input(shape=(1,)), layers.GaussianDropout(0.5),
                            layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=cnn.optimizers.SGD(0.1), loss="mse")
    model.fit(x, np.zeros((2000, 1)), batch_size=2000, epochs=1, verbose=0)
    # E[2 * n * n] = 2 * (1 + 1) for N(1, 1): w = 1 - 0.1 * 4 = 0.6
    assert model.get_weights()[0][0, 0] == pytest.approx(0.6, abs=0.03)


def test_alpha_dropout_keeps_mean_and_variance():
    # For standard-normal inputs AlphaDropout keeps mean 0 and variance 1, so mse against 0 is ~1;
    # plain Dropout(0.5) would give 2 (kept units doubled, variance 4, half of them).
    cnn.utils.set_random_seed(0)
    x = np.random.RandomState(0).standard_normal((4000, 8)).astype(np.float32)
    model = cnn.Sequential([cnn.Input(shape=(8,)), layers.AlphaDropout(0.5)])
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, np.zeros_like(x), batch_size=4000, epochs=1, verbose=0)
    assert h.history["loss"][0] == pytest.approx(float(np.mean(x.astype(np.float64) ** 2)), rel=0.03)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_stop_training_from_epoch_begin_still_runs_one_step():
    x, y = load_iris()
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")

    class StopNow(cnn.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.model.stop_training = True

    h = model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[StopNow()])
    assert len(h.history["loss"]) == 1 and model.optimizer.iterations == 1
