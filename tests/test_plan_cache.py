"""The model's C plans are built once and rebuilt exactly when something they are made of changes."""
import copy
import pickle

import numpy as np
import pytest

import cnn
from cnn import _core, layers


@pytest.fixture
def builds(monkeypatch):
    """The number of C plans constructed so far."""
    count = [0]
    real = _core.Plan

    def counting(*args, **kwargs):
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(_core, "Plan", counting)
    return count


def _model(dropout=0.0, optimizer="adam"):
    cnn.utils.set_random_seed(1)
    m = cnn.Sequential([cnn.Input((4,)), layers.Dense(8, activation="relu"), layers.Dropout(dropout),
                        layers.Dense(3, activation="softmax")])
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _data(n=16):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, n)


def test_calls_in_a_loop_build_nothing(builds):
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    m.predict(x, verbose=0)
    assert builds[0] == 2  # one training plan, one inference plan
    for _ in range(50):
        m.train_on_batch(x, y)
        m.test_on_batch(x, y)
        m.evaluate(x, y, verbose=0)
        m.predict(x, verbose=0)
        m.predict_on_batch(x[:3])
        m(x[:1])
    m.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert builds[0] == 2


def test_unrelated_changes_rebuild_nothing(builds):
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    m.predict(x, verbose=0)
    other = _model()                 # other models, layers and optimizers change
    other.train_on_batch(x, y)
    m.optimizer.learning_rate = 0.5  # the rate reaches the core per call, not through the plan
    m.layers[0].kernel.assign(np.ones((4, 8), np.float32))
    builds[0] = 0
    m.train_on_batch(x, y)
    m.predict(x, verbose=0)
    assert builds[0] == 0


def test_trainable_false_after_compile_rebuilds_and_freezes(builds):
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    builds[0] = 0
    m.layers[0].trainable = False
    before = m.layers[0].get_weights()
    m.train_on_batch(x, y)
    assert builds[0] == 1
    for a, b in zip(before, m.layers[0].get_weights()):
        assert np.array_equal(a, b)
    m.layers[0].trainable = True
    m.train_on_batch(x, y)
    assert builds[0] == 2
    assert not np.array_equal(before[0], m.layers[0].get_weights()[0])


def test_compile_again_rebuilds(builds):
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    builds[0] = 0
    m.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    before = m.get_weights()
    assert isinstance(m.train_on_batch(x, y), float)  # no metrics any more
    assert builds[0] == 1
    for a, b in zip(before, m.get_weights()):
        assert np.array_equal(a, b)


def test_dropout_rate_change_rebuilds(builds):
    m = _model(dropout=0.0)
    x, y = _data(64)
    sgd0 = cnn.optimizers.SGD(learning_rate=0.0)
    m.compile(optimizer=sgd0, loss="sparse_categorical_crossentropy")
    no_dropout = m.train_on_batch(x, y)
    assert no_dropout == m.test_on_batch(x, y)
    builds[0] = 0
    m.layers[1].rate = 0.9
    with_dropout = m.train_on_batch(x, y)
    assert builds[0] == 1
    assert with_dropout != no_dropout


def test_clipnorm_change_rebuilds(builds):
    x, y = _data()
    free, clipped = _model(optimizer=cnn.optimizers.SGD(1.0)), _model(optimizer=cnn.optimizers.SGD(1.0))
    clipped.train_on_batch(x, y)
    free.train_on_batch(x, y)
    builds[0] = 0
    clipped.optimizer.clipnorm = 1e-6
    start = clipped.get_weights()
    clipped.train_on_batch(x, y)
    assert builds[0] == 1
    step = max(np.abs(a - b).max() for a, b in zip(start, clipped.get_weights()))
    assert 0 < step <= 1e-6


def test_set_random_seed_rebuilds_with_the_new_dropout_stream(builds):
    x, y = _data(64)
    m = _model(dropout=0.5, optimizer=cnn.optimizers.SGD(learning_rate=0.0))
    first = m.train_on_batch(x, y)
    builds[0] = 0
    assert m.train_on_batch(x, y) != first  # the stream moves on with each step
    assert builds[0] == 0
    cnn.utils.set_random_seed(2)
    m.optimizer.iterations = 0
    assert m.train_on_batch(x, y) != first  # another seed, other masks
    assert builds[0] == 1
    cnn.utils.set_random_seed(1)
    m.optimizer.iterations = 0
    assert m.train_on_batch(x, y) == first  # the same seed, the same masks again
    assert builds[0] == 2


def test_copies_get_their_own_plans_and_lock():
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    want = m.predict(x, verbose=0)
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert clone._plans is not m._plans and clone._plans.lock is not m._plans.lock
        assert not hasattr(clone, "_plan_key") and not hasattr(clone, "_predict_plan")
        assert np.array_equal(clone.predict(x, verbose=0), want)
        clone.train_on_batch(x, y)
        assert np.array_equal(m.predict(x, verbose=0), want)  # the original is untouched


def test_assigning_another_optimizer_rebuilds(builds):
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    builds[0] = 0
    m.optimizer = cnn.optimizers.SGD(learning_rate=0.0)
    before = m.get_weights()
    m.train_on_batch(x, y)
    assert builds[0] == 1
    for a, b in zip(before, m.get_weights()):
        assert np.array_equal(a, b)


def test_pickle_from_before_the_plan_cache_still_loads():
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    state = pickle.loads(pickle.dumps(m.__getstate__()))  # a copy, as an old pickle would hold
    state.pop("_plans")
    state["optimizer"] = state.pop("_optimizer")
    old = cnn.Sequential.__new__(cnn.Sequential)
    old.__setstate__(state)
    assert np.array_equal(old.predict(x, verbose=0), m.predict(x, verbose=0))
    assert old.train_on_batch(x, y) == m.train_on_batch(x, y)


def test_metric_change_rebuilds(builds):
    cnn.utils.set_random_seed(4)
    acc = cnn.metrics.BinaryAccuracy(threshold=0.5)
    m = cnn.Sequential([cnn.Input((4,)), layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[acc])
    x, _ = _data(64)
    y = np.ones(64)
    _, at_half = m.evaluate(x, y, verbose=0)
    builds[0] = 0
    acc.threshold = 1.0  # no sigmoid output reaches 1: every prediction becomes 0
    _, at_one = m.evaluate(x, y, verbose=0)
    assert builds[0] == 1
    assert at_one == 0.0 < at_half
