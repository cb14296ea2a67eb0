"""The examples in the public entry points' docstrings run and print what they say."""
import doctest

import pytest

import cnn
from cnn import models, trainer

ENTRY_POINTS = [models.Sequential, models.Sequential.compile, models.Sequential.summary, trainer.Trainer.fit,
                trainer.Trainer.evaluate, trainer.Trainer.predict, trainer.Trainer.train_on_batch,
                trainer.Trainer.test_on_batch, trainer.Trainer.predict_on_batch, models.load_model,
                models.save_model]


@pytest.mark.parametrize("obj", ENTRY_POINTS, ids=lambda o: o.__qualname__)
def test_docstring_in_keras_style_and_examples_run(obj):
    doc = obj.__doc__
    assert doc and doc.strip().splitlines()[0].endswith(".")
    assert "Args:" in doc
    if obj not in (models.Sequential, models.Sequential.compile):  # Keras documents no return for these
        assert "Returns:" in doc
    cnn.utils.clear_session()
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, obj.__qualname__, globs={}):
        runner.run(test)
    assert runner.failures == 0
    assert ("Example:" in doc) == (runner.tries > 0)
