"""The demos behind `python -m cnn`: one per lab in notebooks/, each a short terminal version of it.

Each demo is a function taking the parsed arguments (epochs=None means the lab's own number) and
printing a few lines; training shows one progress bar over the epochs, redrawn in place.
"""
import numpy as np

import cnn
from cnn import callbacks, layers
from cnn.progbar import Progbar


class EpochBar(callbacks.Callback):
    """One progress bar for the whole fit, one unit per epoch, showing the epoch's logs."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs
        self.bar = Progbar(epochs, unit_name="epoch", stateless_metrics=set())
        self.seen = 0

    def on_epoch_end(self, epoch, logs=None):
        self.seen = epoch + 1
        self.bar.update(self.seen, sorted((logs or {}).items()), finalize=self.seen >= self.epochs)

    def on_train_end(self, logs=None):
        if 0 < self.seen < self.epochs:   # stopped early: end the bar's line where it is
            self.bar.update(self.seen, finalize=True)


def _dense_stack(inputs, widths, last, **kwargs):
    return cnn.Sequential([cnn.Input(shape=(inputs,)), *[layers.Dense(w, activation="relu", **kwargs)
                                                         for w in widths], last])


def wine(args):
    """The red-wine model with early stopping (the default); its learning curves as a PNG."""
    from cnn.datasets import load_red_wine

    epochs = args.epochs or 500
    (x_train, y_train), (x_valid, y_valid) = load_red_wine()
    print(f"Red wine (lab 04): {len(x_train)} training and {len(x_valid)} validation rows, "
          f"{x_train.shape[1]} min-max scaled features.")
    print(f"Model: 3 x Dense(512, relu) + Dense(1); adam, MAE loss, batch 256, up to {epochs} epochs,\n"
          "early stopping (min_delta 0.001, patience 20, best weights restored).")
    model = _dense_stack(11, [512, 512, 512], layers.Dense(1))
    model.compile(optimizer="adam", loss="mae")
    stop = callbacks.EarlyStopping(min_delta=0.001, patience=20, restore_best_weights=True)
    history = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=256,
                        epochs=epochs, callbacks=[stop, EpochBar(epochs)], verbose=0)
    val = history.history["val_loss"]
    ran = len(val)
    if ran < epochs:
        print(f"Stopped at epoch {ran} of {epochs}: validation MAE did not improve by 0.001 for 20 epochs.")
    else:
        print(f"Ran all {epochs} epochs.")
    best = int(np.argmin(val))
    print(f"Minimum validation MAE: {val[best]:.4f} at epoch {best + 1}.\n"
          "(Predicting the median gives 0.1329; the lesson's Keras runs reach 0.090-0.093.)")
    if args.plot:
        _save_curves(history.history, args.plot)


def _save_curves(hist, path):
    try:
        from matplotlib.figure import (
            Figure,  # no pyplot: no window, no backend to choose
        )
    except ImportError:
        print("(pip install matplotlib to save the learning curves as a PNG)")
        return
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    epochs = range(1, len(hist["loss"]) + 1)
    ax.plot(epochs, hist["loss"], label="loss")
    ax.plot(epochs, hist["val_loss"], label="val_loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MAE")
    ax.set_title("Red wine: learning curves")
    ax.legend()
    fig.savefig(path, dpi=100)
    print(f"Learning curves saved to {path}")


def neuron(args):
    """A single neuron is a straight line; activations bend it."""
    model = cnn.Sequential([cnn.Input(shape=(1,)), layers.Dense(1)])
    w, b = (v.numpy().ravel()[0] for v in model.weights)
    x = np.array([[-1.0], [0.0], [1.0]], dtype=np.float32)
    y = model.predict(x, verbose=0).ravel()
    print(f"An untrained neuron: w = {w:.3f}, b = {b:.3f}; "
          f"y(-1, 0, 1) = {', '.join(f'{v:.3f}' for v in y)} (a straight line).")
    grid = np.array([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=np.float32)
    print("activation  " + "".join(f"{v:>8.1f}" for v in grid))
    for name in ("relu", "elu", "selu", "swish", "sigmoid", "tanh"):
        print(f"{name:<12}" + "".join(f"{v:>8.3f}" for v in cnn.activations.get(name)(grid)))
    deep = _dense_stack(8, [512, 512, 32], layers.Dense(1))
    print(f"A deep network 8-512-512-32-1 has {deep.count_params():,} parameters.")


def sgd(args):
    """The course's backpropagation example, then batch sizes compared with SGD."""
    from cnn.datasets import load_red_wine

    net = cnn.Sequential([cnn.Input(shape=(2,)), layers.Dense(2), layers.Dense(1)])
    net.set_weights([np.array([[0.11, 0.12], [0.21, 0.08]]), np.ones(2), np.array([[0.14], [0.15]]), np.ones(1)])
    net.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.025), loss="mse")
    x, t = np.array([[2.0, 3.0]]), np.array([[1.0]])
    before = net.get_weights()[2].ravel()
    print(f"Worked example: y = {net.predict(x, verbose=0)[0, 0]:.3f}, "
          f"E = 1/2 (y - t)^2 = {net.evaluate(x, t, verbose=0) / 2:.4f}")
    net.train_on_batch(x, t)
    grad = (before - net.get_weights()[2].ravel()) / 0.025 / 2
    print(f"dE/dW2 from one SGD step: {grad.round(4)} (by hand: 0.481 * [1.85, 1.48] = [0.8898, 0.7119])")
    epochs = args.epochs or 3
    (x_train, y_train), (x_valid, y_valid) = load_red_wine()
    print(f"Red wine, SGD(0.01), {epochs} epoch(s) each:")
    for name, batch in (("full batch", len(x_train)), ("batches of 32", 32), ("batch size 1", 1)):
        cnn.utils.set_random_seed(1)
        model = _dense_stack(11, [512, 512, 512], layers.Dense(1))
        model.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.01), loss="mae")
        h = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=batch, epochs=epochs,
                      verbose=0)
        steps = -(-len(x_train) // batch) * epochs
        print(f"  {name:<14} {steps:>6} steps  validation MAE {h.history['val_loss'][-1]:.4f}")


def learning_rate(args):
    """The playground's three rates, then four schedules on the ionosphere."""
    from cnn.datasets import load_ionosphere
    from cnn.playground import LearningRatePlayground

    for rate in (0.03, 0.1, 1.0):
        game = LearningRatePlayground(learning_rate=rate)
        steps = game.run()
        outcome = "minimum reached" if game.converged else "diverging: each step lands further from the minimum"
        print(f"Playground, learning rate {rate:g}: {steps} step(s), {outcome}.")
    epochs = args.epochs or 50
    (x_train, y_train), (x_valid, y_valid) = load_ionosphere()
    steps = -(-len(x_train) // 28)
    schedules = {   # Keras schedules are evaluated every step; step decay is a function of the epoch
        "time-based decay": cnn.optimizers.schedules.InverseTimeDecay(0.1, steps, 0.1 / epochs),
        "step decay": lambda epoch, lr: 0.1 * 0.5 ** ((1 + epoch) // 10),
        "cosine annealing": cnn.optimizers.schedules.CosineDecay(0.1, epochs * steps),
        "cosine with restarts": cnn.optimizers.schedules.CosineDecayRestarts(0.1, 10 * steps, t_mul=1.0),
    }
    print(f"Ionosphere, SGD(momentum 0.9) from 0.1, {epochs} epochs:")
    for name, schedule in schedules.items():
        cnn.utils.set_random_seed(7)
        model = _dense_stack(33, [34], layers.Dense(1, activation="sigmoid"))
        per_epoch = not isinstance(schedule, cnn.optimizers.schedules.LearningRateSchedule)
        model.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.1 if per_epoch else schedule, momentum=0.9),
                      loss="binary_crossentropy", metrics=["accuracy"])
        extra = [callbacks.LearningRateScheduler(schedule)] if per_epoch else []
        h = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), epochs=epochs, batch_size=28,
                      callbacks=extra, verbose=0)
        print(f"  {name:<21} best validation accuracy {max(h.history['val_accuracy']):.2%}")


def dropout(args):
    """Dropout on the visible and on the hidden layers, with max-norm and momentum, on sonar."""
    from cnn.constraints import MaxNorm
    from cnn.datasets import load_sonar

    x, y = load_sonar()
    order = np.random.RandomState(7).permutation(len(x))
    train, test = order[:156], order[156:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = (x - mean) / std
    epochs = args.epochs or 300
    print(f"Sonar: {len(train)} training and {len(test)} test echoes; SGD with momentum, {epochs} epochs.")
    variants = {   # name: (dropout on the inputs, dropout after the hidden layers, learning rate, momentum)
        "baseline": (False, False, 0.01, 0.8),
        "dropout on inputs": (True, False, 0.1, 0.9),
        "dropout on hidden": (False, True, 0.1, 0.9),
    }
    for name, (visible, hidden, rate, momentum) in variants.items():
        cnn.utils.set_random_seed(7)
        norm = {} if name == "baseline" else {"kernel_constraint": MaxNorm(3)}   # max-norm goes with dropout
        model = cnn.Sequential([
            cnn.Input(shape=(60,)), *([layers.Dropout(0.2)] if visible else []),
            layers.Dense(60, activation="relu", **norm), *([layers.Dropout(0.2)] if hidden else []),
            layers.Dense(30, activation="relu", **norm), *([layers.Dropout(0.2)] if hidden else []),
            layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer=cnn.optimizers.SGD(learning_rate=rate, momentum=momentum),
                      loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(x[train], y[train], epochs=epochs, batch_size=16, verbose=0)
        print(f"  {name:<18} test accuracy {model.evaluate(x[test], y[test], verbose=0)[1]:.2%}")


def classification(args):
    """Ionosphere (binary, early stopping) and iris 4-8-9-3 (multi-class, Adam)."""
    from cnn.datasets import load_ionosphere, load_iris

    (x_train, y_train), (x_valid, y_valid) = load_ionosphere()
    cnn.utils.set_random_seed(3)
    model = _dense_stack(33, [4, 4], layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    stop = callbacks.EarlyStopping(patience=10, min_delta=0.001, restore_best_weights=True)
    epochs = args.epochs or 1000
    h = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=512, epochs=epochs,
                  callbacks=[stop, EpochBar(epochs)], verbose=0)
    print(f"Ionosphere: best validation accuracy {max(h.history['val_binary_accuracy']):.2%} "
          f"(always 'good': {1 - y_valid.mean():.2%}), {len(h.history['loss'])} epochs.")
    x, y = load_iris()
    order = np.random.RandomState(41).permutation(len(x))
    test, train = order[:30], order[30:]
    cnn.utils.set_random_seed(41)
    model = _dense_stack(4, [8, 9], layers.Dense(3))
    model.compile(optimizer=cnn.optimizers.Adam(0.01),
                  loss=cnn.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x[train], y[train], batch_size=len(train), epochs=100, verbose=0)
    right = int(np.sum(model.predict(x[test], verbose=0).argmax(axis=1) == y[test]))
    print(f"Iris 4-8-9-3: {right} of {len(test)} test flowers right.")


def history(args):
    """The training history as a table, one row per epoch."""
    from cnn.datasets import load_ionosphere

    (x_train, y_train), (x_valid, y_valid) = load_ionosphere()
    cnn.utils.set_random_seed(7)
    model = _dense_stack(33, [12, 8], layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    epochs = args.epochs or 30
    h = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), epochs=epochs, batch_size=10, verbose=0)
    keys = list(h.history)
    print("epoch " + "".join(f"{k:>14}" for k in keys))
    for e in range(0, epochs, max(1, epochs // 10)):
        print(f"{e + 1:>5} " + "".join(f"{h.history[k][e]:>14.4f}" for k in keys))


def metrics(args):
    """Confusion matrix, precision, recall, F1, log loss, ROC and AUC: by hand and on ionosphere."""
    from cnn import metrics as m
    from cnn.datasets import load_ionosphere

    scores = np.array([0.21, 0.67, 0.56, 0.31, 0.70, 0.84])
    infected = np.array([0, 1, 0, 0, 1, 0])   # Healthy, Infected, Healthy, Healthy, Infected, Healthy
    fpr, tpr, _ = m.roc_curve(infected, scores, drop_intermediate=False)
    print("Six patients, the ROC curve's points from the highest threshold down:")
    print("  FPR " + " ".join(f"{f:.2f}" for f in fpr) + "\n  TPR " + " ".join(f"{t:.2f}" for t in tpr))
    print(f"AUC = {m.roc_auc_score(infected, scores):.2f} "
          "(6 of the 8 infected-healthy pairs are ranked right)")
    (x_train, y_train), (x_valid, y_valid) = load_ionosphere()
    cnn.utils.set_random_seed(3)
    model = _dense_stack(33, [16], layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", m.Precision(), m.Recall(), m.AUC()])
    epochs = args.epochs or 100
    model.fit(x_train, y_train, batch_size=16, epochs=epochs, callbacks=[EpochBar(epochs)], verbose=0)
    result = model.evaluate(x_valid, y_valid, verbose=0, return_dict=True)
    print("Ionosphere validation data (positive class: bad signal), from evaluate:\n  "
          + ", ".join(f"{k} {v:.4f}" for k, v in result.items()))
    prob = model.predict(x_valid, verbose=0)[:, 0]
    pred = (prob > 0.5).astype(int)
    (tn, fp), (fn, tp) = m.confusion_matrix(y_valid, pred)
    print(f"Confusion matrix: TN {tn}  FP {fp}  FN {fn}  TP {tp}; "
          f"log loss {m.log_loss(y_valid, prob):.4f}, ROC AUC {m.roc_auc_score(y_valid, prob):.4f}")
    print(m.classification_report(y_valid, pred, target_names=["good", "bad"], digits=3).rstrip())


def tuning(args):
    """A random search of 8 trials over units, dropout and learning rate on red wine."""
    import tempfile

    from cnn.datasets import load_red_wine
    from cnn.tuner import RandomSearch

    (x_train, y_train), (x_valid, y_valid) = load_red_wine()

    def build(hp):
        units = hp.Int("units", 32, 256, step=32)
        model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(units, activation="relu"),
                                layers.Dropout(hp.Float("dropout", 0.0, 0.4, step=0.1)),
                                layers.Dense(units, activation="relu"), layers.Dense(1)])
        model.compile(optimizer=cnn.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
                      loss="mae")
        return model

    with tempfile.TemporaryDirectory() as folder:
        tuner = RandomSearch(build, objective="val_loss", max_trials=8, seed=args.seed, directory=folder,
                             project_name="vino")
        tuner.search(x_train, y_train, epochs=args.epochs or 10, batch_size=256,
                     validation_data=(x_valid, y_valid), verbose=0)
        best = tuner.oracle.get_best_trials(1)[0]
    print(f"best of 8 trials: {best.hyperparameters.values}, val_loss {best.score:.4f}")


def conv(args):
    """The classic convolutional network on Fashion-MNIST: test accuracy after 3 epochs."""
    from cnn.datasets import load_fashion_mnist
    from cnn.datasets.fashion_mnist import fashion_mnist_source

    epochs = args.epochs or 3
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()   # the full set if installed, else the subset
    print(f"Fashion-MNIST (lab 10): {len(x_train):,} training and {len(x_test):,} test images, 28x28,\n"
          f"read from {fashion_mnist_source()}.")
    model = cnn.Sequential([cnn.Input(shape=(28, 28, 1)), layers.Rescaling(1 / 255),
                            layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                            layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"Model: Rescaling(1/255), Conv2D(32, 3, relu), MaxPooling2D, Flatten, Dense(10, softmax),\n"
          f"{model.count_params():,} parameters; adam, sparse categorical cross-entropy, batch 32, "
          f"{epochs} epochs.")
    model.fit(x_train[..., None], y_train, batch_size=32, epochs=epochs, callbacks=[EpochBar(epochs)],
              verbose=0)
    loss, accuracy = model.evaluate(x_test[..., None], y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (loss {loss:.4f}). The full set reaches 0.88 or more in 3 epochs.")


def grading(args):
    """For teachers: a student's NumPy layer against Dense from the same seed, and what a mistake reads."""
    from cnn.testing import GradingError, assert_history_close, check_gradients

    class NumpyDense(layers.Layer):   # what a student writes: build, call and backward in NumPy
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs, training=None):
            self.inputs = inputs
            return inputs @ self.kernel + self.bias

        def backward(self, grad_output):
            self.kernel.grad = self.inputs.T @ grad_output
            self.bias.grad = grad_output.sum(axis=0)
            return grad_output @ self.kernel.T

    x = np.random.default_rng(1).normal(size=(200, 5)).astype(np.float32)
    y = np.stack([x[:, 0] - 2 * x[:, 1], x[:, 2] * x[:, 3]], axis=1)

    def train(layer):
        cnn.utils.set_random_seed(args.seed)
        model = cnn.Sequential([cnn.Input(shape=(5,)), layers.Dense(16, activation="relu"), layer, layers.Dense(2)])
        model.compile(optimizer="adam", loss="mse")
        return model.fit(x, y, epochs=args.epochs or 20, batch_size=16, verbose=0).history

    builtin, student = train(layers.Dense(8)), train(NumpyDense(8))
    assert_history_close(student, builtin, rtol=1e-4)
    builtin, student = builtin["loss"], student["loss"]
    print(f"A NumPy Dense layer and Dense, same seed: final loss {student[-1]:.6f} vs {builtin[-1]:.6f} "
          f"(largest relative difference {max(abs(a - b) / b for a, b in zip(student, builtin)):.1e}).")
    sigmoid = lambda z: 1 / (1 + np.exp(-z))   # noqa: E731
    try:
        check_gradients(sigmoid, grad=lambda z: sigmoid(z) * (1 + sigmoid(z)), what="sigmoid", lang="en")
    except GradingError as failure:
        print("A wrong derivative of the sigmoid, s(1 + s), gets:\n  " + str(failure).splitlines()[0])
    print("The graded course: examples/grading/ (python -m cnn.testing.grade grades a folder of submissions).")


DEMOS = {   # name: (function, notebook)
    "wine": (wine, "04_sobreajuste_parada_temprana.ipynb"),
    "neuron": (neuron, "01_neurona_y_redes_profundas.ipynb"),
    "sgd": (sgd, "02_descenso_gradiente.ipynb"),
    "learning-rate": (learning_rate, "03_tasa_de_aprendizaje.ipynb"),
    "dropout": (dropout, "05_dropout_normalizacion.ipynb"),
    "classification": (classification, "06_clasificacion.ipynb"),
    "history": (history, "07_historial.ipynb"),
    "tuning": (tuning, "08_busqueda_hiperparametros.ipynb"),
    "metrics": (metrics, "09_metricas.ipynb"),
    "conv": (conv, "10_red_convolucional.ipynb"),
    "grading": (grading, "11_calificacion.ipynb"),
}
