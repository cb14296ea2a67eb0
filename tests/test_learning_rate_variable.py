"""optimizer.learning_rate as Keras's variable (assign, numpy) that still reads as a float32 number."""
import copy
import pickle

import numpy as np
import pytest

import cnn
from cnn import optimizers as O


def test_reads_as_a_float32_number():
    lr = O.Adam(0.001).learning_rate
    assert isinstance(lr, np.float32) and lr == np.float32(0.001)
    assert float(lr) == float(np.float32(0.001)) and f"{lr:.4f}" == "0.0010"
    assert lr * 10 == np.float32(0.001) * 10 and lr / 2 < lr and lr > 0 and max(lr, 0.5) == 0.5
    assert np.asarray(lr).dtype == np.float32


def test_assign_and_numpy_act_on_the_optimizer():
    o = O.SGD(0.1)
    lr = o.learning_rate
    assert lr.assign(0.01) == np.float32(0.01)
    assert o.learning_rate == np.float32(0.01) and lr.numpy() == np.float32(0.01)
    assert o._lr_at(0) == float(np.float32(0.01))
    o.learning_rate.assign_add(0.02)
    assert o.learning_rate == np.float32(np.float32(0.01) + 0.02)
    o.learning_rate.assign_sub(0.02)
    assert o.learning_rate == np.float32(0.01)
    with pytest.raises(ValueError, match="learning_rate"):
        o.learning_rate.assign(-1.0)
    o.learning_rate = 0.5            # the attribute form, as before
    assert o.learning_rate.numpy() == 0.5 and type(o.learning_rate.numpy()) is np.float32


def test_schedule_rates_are_not_assignable():
    o = O.SGD(cnn.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    assert o.learning_rate == np.float32(0.1)
    with pytest.raises(TypeError, match="not settable"):
        o.learning_rate.assign(0.3)


def test_assign_reaches_training_and_saving(tmp_path):
    model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=O.SGD(0.1), loss="mse")
    model.optimizer.learning_rate.assign(0.0)
    before = model.get_weights()
    model.train_on_batch(np.ones((4, 2)), np.zeros(4))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)     # a zero rate moves nothing
    model.optimizer.learning_rate.assign(0.25)
    model.save(tmp_path / "m.keras")
    restored = cnn.models.load_model(tmp_path / "m.keras")
    assert restored.optimizer.learning_rate == np.float32(0.25)
    assert restored.optimizer.get_config()["learning_rate"] == 0.25
    # the number pickles and copies as a plain float32, not holding the optimizer
    for clone in (pickle.loads(pickle.dumps(model.optimizer.learning_rate)),
                  copy.deepcopy(model.optimizer.learning_rate)):
        assert type(clone) is np.float32 and clone == np.float32(0.25)


def test_callbacks_set_and_read_it():
    model = cnn.Sequential([cnn.Input(shape=(2,)), cnn.layers.Dense(1)])
    model.compile(optimizer=O.SGD(0.1), loss="mse")
    seen = []
    sched = cnn.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    probe = cnn.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs["learning_rate"]))
    model.fit(np.ones((4, 2)), np.zeros(4), epochs=3, verbose=0, callbacks=[sched, probe])
    np.testing.assert_allclose(seen, [0.05, 0.025, 0.0125], rtol=1e-6)
    assert model.optimizer.learning_rate.numpy() == np.float32(0.0125)
