"""An optimizer written in Python keeps its state as Keras 3's does: its slots (the variables build()
created with add_variable_from_reference) are saved in the `.keras` file under the optimizer's
variables, in Keras's order, and restored by load_model, so training resumes bit-identically; its
weight_decay is Keras's decoupled decay applied before update_step; get_config/from_config round trip."""
import copy
import io
import json
import pickle
import zipfile

import h5py
import numpy as np
import pytest

import cnn
import keras_oracle
from cnn import layers
from test_custom_optimizers import NumpyAdam, NumpySGD, _data


class ScaledMomentum(cnn.optimizers.Optimizer):
    """A custom optimizer with its own hyperparameters, saved by its get_config as Keras's guide does."""

    def __init__(self, learning_rate=0.01, momentum=0.9, scale=1.0, name="scaled_momentum", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum, self.scale = momentum, scale

    def build(self, var_list):
        super().build(var_list)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        m = self.velocities[self._get_variable_index(variable)]
        m.assign(np.float32(self.momentum) * m - gradient * (learning_rate * np.float32(self.scale)))
        variable.assign_add(m)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "scale": self.scale})
        return config


@cnn.saving.register_keras_serializable(package="course")
class RegisteredAdam(NumpyAdam):
    pass


X, Y = _data()


def _model(optimizer):
    cnn.utils.set_random_seed(7)
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(6, activation="tanh"), layers.Dense(3)])
    model.compile(optimizer, "mse")
    return model


def _fit(model, epochs):
    return model.fit(X, Y, epochs=epochs, batch_size=16, shuffle=False, verbose=0).history["loss"]


def _optimizer_vars(path):
    with zipfile.ZipFile(path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        group = f["optimizer/vars"]
        return [np.asarray(group[str(i)]) for i in range(len(group))]


@pytest.mark.parametrize("make", [lambda: NumpyAdam(0.01), lambda: ScaledMomentum(0.05, momentum=0.9),
                                  lambda: NumpyAdam(0.01, weight_decay=0.004)])
def test_fit_save_load_fit_equals_one_longer_fit(tmp_path, make):
    ref = _model(make())
    ref_loss = _fit(ref, 3)
    model = _model(make())
    loss = _fit(model, 2)
    model.save(tmp_path / "m.keras")
    custom = {"NumpyAdam": NumpyAdam, "ScaledMomentum": ScaledMomentum}
    loaded = cnn.saving.load_model(tmp_path / "m.keras", custom_objects=custom)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.iterations == 10
    for a, b in zip(loaded.optimizer._slot_variables, model.optimizer._slot_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    loss += _fit(loaded, 1)
    assert loss == ref_loss
    for a, b in zip(loaded.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_slots_are_saved_in_keras_order(tmp_path):
    """iterations, learning_rate, then the variables in the order build() created them: every m, every v."""
    model = _model(NumpyAdam(0.01))
    _fit(model, 1)
    model.save(tmp_path / "m.keras")
    saved = _optimizer_vars(tmp_path / "m.keras")
    opt = model.optimizer
    assert len(saved) == 2 + 2 * 4
    assert int(saved[0]) == opt.iterations == 5
    assert saved[1] == np.float32(0.01)
    for got, var in zip(saved[2:], opt.m + opt.v):
        assert got.shape == var.shape and got.dtype == np.float32
        np.testing.assert_array_equal(got, var.numpy())
    assert np.any(saved[2]) and np.all(saved[6] >= 0) and np.any(saved[6])   # a momentum, a velocity
    spec = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["compile_config"]["optimizer"]
    assert spec["class_name"] == "NumpyAdam" and spec["registered_name"] == "NumpyAdam"
    assert spec["module"] == NumpyAdam.__module__


def test_save_weights_and_load_weights_carry_the_slots(tmp_path):
    model = _model(NumpySGD(0.05, momentum=0.9))
    _fit(model, 2)
    model.save_weights(tmp_path / "m.weights.h5")
    other = _model(NumpySGD(0.05, momentum=0.9))
    other.load_weights(tmp_path / "m.weights.h5")
    assert other.optimizer.iterations == 10
    for a, b in zip(other.optimizer.velocity, model.optimizer.velocity):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert _fit(other, 1) == _fit(model, 1)


def test_pickle_and_deepcopy_keep_the_slots():
    model = _model(NumpyAdam(0.01))
    _fit(model, 2)
    copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model)]
    loss = _fit(model, 1)
    for other in copies:
        assert _fit(other, 1) == loss


def test_saved_before_training_has_no_slots_and_trains_after_loading(tmp_path):
    model = _model(NumpyAdam(0.01))
    model.save(tmp_path / "m.keras")
    assert len(_optimizer_vars(tmp_path / "m.keras")) == 2
    loaded = cnn.saving.load_model(tmp_path / "m.keras", custom_objects={"NumpyAdam": NumpyAdam})
    assert _fit(loaded, 2) == _fit(_model(NumpyAdam(0.01)), 2)


def test_a_registered_optimizer_loads_without_custom_objects(tmp_path):
    model = _model(RegisteredAdam(0.01))
    _fit(model, 1)
    model.save(tmp_path / "m.keras")
    spec = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["compile_config"]["optimizer"]
    assert spec["registered_name"] == "course>RegisteredAdam"
    loaded = cnn.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is RegisteredAdam
    for a, b in zip(loaded.optimizer.v, model.optimizer.v):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_an_unknown_custom_optimizer_names_custom_objects(tmp_path):
    model = _model(NumpyAdam(0.01))
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        cnn.saving.load_model(tmp_path / "m.keras")


def test_a_file_with_other_slots_is_skipped_with_keras_warning(tmp_path):
    model = _model(NumpySGD(0.05, momentum=0.9))    # 4 slots
    _fit(model, 1)
    model.save_weights(tmp_path / "m.weights.h5")
    other = _model(NumpyAdam(0.01))                 # 8 slots
    _fit(other, 1)
    before = [m.numpy() for m in other.optimizer.m]
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        other.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(other.optimizer.m, before):
        np.testing.assert_array_equal(a.numpy(), b)


def test_weight_decay_gives_the_builtin_sgd_history_exactly():
    """Keras's decoupled decay (w -= w * weight_decay * lr before update_step), with the built-in's rounding."""
    ref = _model(cnn.optimizers.SGD(0.05, momentum=0.9, weight_decay=0.01))
    ref_loss = _fit(ref, 4)
    model = _model(NumpySGD(0.05, momentum=0.9, weight_decay=0.01))
    assert _fit(model, 4) == ref_loss
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert _fit(_model(NumpySGD(0.05, momentum=0.9)), 4) != ref_loss     # the decay did something


@pytest.mark.parametrize("mine, builtin", [
    (lambda: NumpyAdam(0.01, weight_decay=0.004), lambda: cnn.optimizers.AdamW(0.01, weight_decay=0.004)),
    (lambda: NumpyAdam(0.01, weight_decay=0.05), lambda: cnn.optimizers.Adam(0.01, weight_decay=0.05)),
])
def test_weight_decay_gives_the_builtin_adamw_history(mine, builtin):
    """To float32 rounding: the student's Adam computes its step size in another order than the C one
    (as without decay, test_custom_optimizers)."""
    ref = _model(builtin())
    ref_loss = _fit(ref, 4)
    model = _model(mine())
    np.testing.assert_allclose(_fit(model, 4), ref_loss, rtol=1e-5)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    plain = _model(NumpyAdam(0.01))
    assert not np.allclose(_fit(plain, 4), ref_loss, rtol=1e-5)


def test_an_exception_in_update_step_undoes_the_decay_too():
    class Failing(NumpySGD):
        def update_step(self, gradient, variable, learning_rate):
            raise ArithmeticError("student bug")

    model = _model(Failing(0.1, weight_decay=0.5))
    before = model.get_weights()
    with pytest.raises(ArithmeticError, match="student bug"):
        _fit(model, 1)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_weight_decay_uses_the_step_learning_rate():
    """A schedule's rate of each step scales the decay, as Keras's self.learning_rate does."""
    schedule = cnn.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5)
    ref = _model(cnn.optimizers.SGD(schedule, weight_decay=0.1))
    model = _model(NumpySGD(cnn.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5),
                            weight_decay=0.1))
    assert _fit(model, 3) == _fit(ref, 3)


def test_get_config_from_config_round_trip_with_own_hyperparameters(tmp_path):
    opt = ScaledMomentum(0.02, momentum=0.8, scale=0.5, weight_decay=0.001, clipvalue=1.0)
    config = opt.get_config()
    assert config["momentum"] == 0.8 and config["scale"] == 0.5 and config["weight_decay"] == 0.001
    again = ScaledMomentum.from_config(config)
    assert again.get_config() == config
    spec = cnn.optimizers.serialize(opt)
    assert cnn.optimizers.deserialize(spec, custom_objects={"ScaledMomentum": ScaledMomentum}).get_config() == config
    model = _model(opt)
    _fit(model, 1)
    model.save(tmp_path / "m.keras")
    loaded = cnn.saving.load_model(tmp_path / "m.keras", custom_objects={"ScaledMomentum": ScaledMomentum})
    assert loaded.optimizer.get_config() == config
    assert _fit(loaded, 1) == _fit(model, 1)


# ------------------------------------------------------------------------------ against Keras 3
KERAS_SCRIPT = r'''
import json, os, sys, tempfile
import numpy as np, keras
from keras import ops


class NumpyAdam(keras.optimizers.Optimizer):
    """The student's Adam as a Keras 3 custom optimizer (keras/src/optimizers/adam.py's maths)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="numpy_adam", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.m = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self.v = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.m[i], self.v[i]
        lr = ops.cast(learning_rate, variable.dtype)
        t = ops.cast(self.iterations + 1, variable.dtype)
        alpha = lr * ops.sqrt(1 - ops.power(ops.cast(self.beta_2, variable.dtype), t)) / (
            1 - ops.power(ops.cast(self.beta_1, variable.dtype), t))
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        self.assign_sub(variable, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon)))


data = json.load(sys.stdin)
model = keras.saving.load_model(data["path"], custom_objects={"NumpyAdam": NumpyAdam})
out = {"class": type(model.optimizer).__name__, "iterations": int(model.optimizer.iterations.numpy()),
       "variables": [np.asarray(v.numpy()).tolist() for v in model.optimizer.variables[2:]]}
x, y = np.array(data["x"], np.float32), np.array(data["y"], np.float32)
out["loss"] = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0).history["loss"]
out["weights"] = [w.tolist() for w in model.get_weights()]
out["path"] = os.path.join(tempfile.mkdtemp(), "keras_wrote.keras")
model.save(out["path"])
out["saved_variables"] = [np.asarray(v.numpy()).tolist() for v in model.optimizer.variables[2:]]
print(json.dumps(out))
'''


def test_keras_loads_the_slots_cnn_saved_and_cnn_loads_the_ones_keras_saved(tmp_path):
    """cnn -> Keras: Keras 3 rebuilds the same custom optimizer, finds our slots in its variables and
    trains on from them to cnn's numbers (float32 rounding); Keras -> cnn: its file's slots load here."""
    model = _model(NumpyAdam(0.01))
    _fit(model, 2)
    model.save(tmp_path / "m.keras")
    payload = {"path": str(tmp_path / "m.keras"), "x": X.tolist(), "y": Y.tolist()}
    keras = keras_oracle.run(KERAS_SCRIPT, payload=payload)
    assert keras["class"] == "NumpyAdam" and keras["iterations"] == 10
    mine = model.optimizer.m + model.optimizer.v
    assert len(keras["variables"]) == len(mine)
    for got, var in zip(keras["variables"], mine):
        np.testing.assert_array_equal(np.array(got, np.float32), var.numpy())
    loss = _fit(model, 1)
    np.testing.assert_allclose(keras["loss"], loss, rtol=1e-5)
    for a, b in zip(keras["weights"], model.get_weights()):
        np.testing.assert_allclose(np.array(a, np.float32), b, rtol=1e-4, atol=1e-6)
    back = cnn.saving.load_model(keras["path"], custom_objects={"NumpyAdam": NumpyAdam})
    assert back.optimizer.iterations == 15
    for got, var in zip(keras["saved_variables"], back.optimizer.m + back.optimizer.v):
        np.testing.assert_array_equal(np.array(got, np.float32), var.numpy())
