"""Generators and PyDataset-style sequences in fit, evaluate and predict, as Keras accepts them: the
same batches in the same order give the same bits as the arrays themselves."""
import numpy as np
import pytest

import cnn
from cnn import layers

rng = np.random.default_rng(0)
X = rng.random((64, 5), dtype=np.float32)
Y = (X.sum(axis=1) > 2.5).astype(np.float32)
W = rng.random(64).astype(np.float32) + 0.5


def _model():
    cnn.utils.set_random_seed(3)
    model = cnn.Sequential([cnn.Input((5,)), layers.Dense(8, activation="relu"), layers.Dropout(0.2),
                            layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _forever(batch=16, weights=False):
    while True:
        for i in range(0, len(X), batch):
            yield (X[i:i + batch], Y[i:i + batch]) + ((W[i:i + batch],) if weights else ())


class Batches(cnn.utils.PyDataset):
    def __init__(self, batch=16):
        super().__init__()
        self.batch, self.epochs_ended = batch, 0

    def __len__(self):
        return len(X) // self.batch

    def __getitem__(self, i):
        s = slice(i * self.batch, (i + 1) * self.batch)
        return X[s], Y[s]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _reference(epochs=3, **kwargs):
    model = _model()
    history = model.fit(X, Y, batch_size=16, epochs=epochs, shuffle=False, verbose=0, **kwargs)
    return model, history


@pytest.mark.parametrize("weights", [False, True])
def test_fit_on_a_generator_matches_the_arrays_bit_for_bit(weights):
    ref, ref_history = _reference(sample_weight=W if weights else None, validation_data=(X[:16], Y[:16]))
    model = _model()
    history = model.fit(_forever(weights=weights), steps_per_epoch=4, epochs=3, verbose=0,
                        validation_data=(X[:16], Y[:16]))
    assert history.history == ref_history.history
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 12


def test_fit_on_a_pydataset_matches_the_arrays_and_ends_each_epoch():
    ref, ref_history = _reference()
    data = Batches()
    model = _model()
    history = model.fit(data, epochs=3, verbose=0)
    assert history.history == ref_history.history and data.epochs_ended == 3
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_evaluate_and_predict_on_batches():
    model = _model()
    model.fit(X, Y, epochs=2, verbose=0)
    want = model.evaluate(X, Y, verbose=0, return_dict=True)
    got = model.evaluate(_forever(), steps=4, verbose=0, return_dict=True)
    assert got == pytest.approx(want, rel=1e-6)
    assert model.evaluate(Batches(), verbose=0, return_dict=True) == pytest.approx(want, rel=1e-6)
    np.testing.assert_array_equal(model.predict((x for x, _ in _forever()), steps=4, verbose=0),
                                  model.predict(X, verbose=0))
    np.testing.assert_array_equal(model.predict(Batches(), verbose=0), model.predict(X, verbose=0))


def test_a_finite_generator_runs_out_after_its_batches():
    model = _model()
    finite = ((X[i:i + 16], Y[i:i + 16]) for i in range(0, 64, 16))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(finite, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1 and model.optimizer.iterations == 4


def test_targets_come_with_the_batches():
    with pytest.raises(ValueError, match="y and sample_weight must not be given"):
        _model().fit(_forever(), Y, steps_per_epoch=2, verbose=0)
    bad = (x for x, _ in _forever())
    with pytest.raises(ValueError, match=r"must yield \(x, y\)"):
        _model().fit(bad, steps_per_epoch=2, verbose=0)
