"""The course's reference models and data splits, as the labs (notebooks/, `python -m cnn`) build them,
for graders that compare a student's model or run with the lesson's."""
import numpy as np

import cnn
from cnn import datasets, layers
from cnn._demos import _dense_stack

# name: (lab, what it is)
REFERENCE_MODELS = {
    "wine": ("04", "red-wine quality regression: 3 x Dense(512, relu) + Dense(1); adam, MAE"),
    "ionosphere": ("06", "ionosphere radar, binary: Dense(4, relu) x 2 + Dense(1, sigmoid); adam, binary crossentropy"),
    "iris": ("06", "iris, 3 classes: 4-8-9-3 with logits; Adam(0.01), sparse categorical crossentropy"),
    "sonar": ("05", "sonar mines vs rocks: Dense(60) + Dense(30) (relu) + Dense(1, sigmoid); SGD(0.01, 0.8)"),
}


def _check(name):
    if name not in REFERENCE_MODELS:
        raise ValueError(f"no reference {name!r}; available: {sorted(REFERENCE_MODELS)}")


def reference_data(name):
    """((x_train, y_train), (x_valid, y_valid)) of a lab: the lessons' own splits and scaling.

    wine and ionosphere: Kaggle's 70 % split, min-max scaled (cnn.datasets); iris: 30 test flowers
    drawn by RandomState(41) as lab 06; sonar: 156 training echoes by RandomState(7), standardized with
    the training rows' mean and deviation, as lab 05."""
    _check(name)
    if name == "wine":
        return datasets.load_red_wine()
    if name == "ionosphere":
        return datasets.load_ionosphere()
    if name == "iris":
        x, y = datasets.load_iris()
        order = np.random.RandomState(41).permutation(len(x))
        test, train = order[:30], order[30:]
        return (x[train], y[train]), (x[test], y[test])
    x, y = datasets.load_sonar()
    order = np.random.RandomState(7).permutation(len(x))
    train, test = order[:156], order[156:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = (x - mean) / std
    return (x[train], y[train]), (x[test], y[test])


def reference_model(name, seed=None):
    """The lab's model, compiled as the lab compiles it (seeded first with `seed` when given)."""
    _check(name)
    if seed is not None:
        cnn.utils.set_random_seed(seed)
    if name == "wine":
        model = _dense_stack(11, [512, 512, 512], layers.Dense(1))
        model.compile(optimizer="adam", loss="mae")
    elif name == "ionosphere":
        model = _dense_stack(33, [4, 4], layers.Dense(1, activation="sigmoid"))
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["binary_accuracy"])
    elif name == "iris":
        model = _dense_stack(4, [8, 9], layers.Dense(3))
        model.compile(optimizer=cnn.optimizers.Adam(0.01),
                      loss=cnn.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    else:
        model = _dense_stack(60, [60, 30], layers.Dense(1, activation="sigmoid"))
        model.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.01, momentum=0.8),
                      loss="binary_crossentropy", metrics=["accuracy"])
    return model
