"""Before compile(): training and evaluation raise Keras 3's ValueError; inference works, as in Keras 3.
(Checked against Keras 3.15.1 on torch: fit, train_on_batch and test_on_batch raise this ValueError;
its evaluate fails with an AttributeError instead, which we do not copy; predict, predict_on_batch and
model(x) work uncompiled.)"""
import numpy as np
import pytest

import cnn
from cnn import layers

MESSAGE = r"^You must call `compile\(\)` before using the model\.$"
X, Y = np.ones((8, 4), np.float32), np.zeros((8, 1), np.float32)


@pytest.mark.parametrize("call", [lambda m: m.fit(X, Y, verbose=0), lambda m: m.evaluate(X, Y, verbose=0),
                                  lambda m: m.train_on_batch(X, Y), lambda m: m.test_on_batch(X, Y)],
                         ids=["fit", "evaluate", "train_on_batch", "test_on_batch"])
@pytest.mark.parametrize("built", [True, False])
def test_training_and_evaluation_need_compile(call, built):
    m = cnn.Sequential(([cnn.Input((4,))] if built else []) + [layers.Dense(1)])
    with pytest.raises(ValueError, match=MESSAGE):
        call(m)


def test_inference_needs_no_compile():
    m = cnn.Sequential([layers.Dense(2, kernel_initializer="ones")])
    assert m.predict(X, verbose=0).shape == (8, 2)
    assert np.array_equal(m.predict_on_batch(X[:1]), [[4.0, 4.0]])
    assert np.array_equal(m(X[:2]), [[4.0, 4.0], [4.0, 4.0]])
