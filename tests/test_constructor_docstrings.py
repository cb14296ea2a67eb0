"""Every public layer, loss, optimizer and callback constructor has a Keras-style docstring (a summary,
`Args:` naming each argument) whose examples run and print what they say."""
import doctest
import inspect

import numpy as np
import pytest

import cnn
from cnn import callbacks, layers, losses, optimizers


def _public_classes(module, base, names=None):
    names = names if names is not None else [n for n in vars(module) if not n.startswith("_")]
    found = [getattr(module, n) for n in names]
    return [c for c in found if isinstance(c, type) and issubclass(c, base)]


CONSTRUCTORS = (
    [c for c in _public_classes(layers, layers.Layer, layers.__all__) if c is not layers.Layer] + [layers.Input]
    + [c for c in _public_classes(losses, losses.Loss) if c is not losses.AutoCrossentropy]
    + _public_classes(optimizers, optimizers.Optimizer, optimizers.__all__)
    + _public_classes(callbacks, callbacks.Callback)
)


def _parameters(obj):
    fn = obj.__init__ if isinstance(obj, type) else obj
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def _globs():
    """What the examples assume, as Keras's do: a compiled binary classifier and its data."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 11)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(8, activation="relu"),
                            layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return {"cnn": cnn, "np": np, "layers": layers, "model": model, "x": x, "y": y}


def test_every_family_is_covered():
    names = {c.__name__ for c in CONSTRUCTORS}
    assert {"Dense", "Dropout", "BatchNormalization", "Input", "MeanSquaredError", "Huber", "Adam", "Ftrl",
            "EarlyStopping", "BackupAndRestore"} <= names
    assert len(CONSTRUCTORS) > 50


@pytest.mark.parametrize("obj", CONSTRUCTORS, ids=lambda o: o.__name__)
def test_docstring_names_every_argument(obj):
    doc = inspect.cleandoc(obj.__doc__ or "")
    summary = doc.split("\n\n")[0]
    assert summary and summary.endswith("."), f"{obj.__name__}: no one-paragraph summary"
    params = _parameters(obj)
    if not params:
        return
    assert "Args:" in doc, f"{obj.__name__}: no Args section"
    args = doc.split("Args:", 1)[1]
    for p in params:
        name = "**" + p.name if p.kind is p.VAR_KEYWORD else p.name
        assert name in args, f"{obj.__name__}: argument {name!r} is not documented"


@pytest.mark.parametrize("obj", [c for c in CONSTRUCTORS if ">>>" in (c.__doc__ or "")], ids=lambda o: o.__name__)
def test_docstring_examples_run(obj, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write checkpoints and logs
    cnn.utils.clear_session()
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, obj.__name__, globs=_globs()):
        runner.run(test)
    assert runner.tries > 0
    assert runner.failures == 0
