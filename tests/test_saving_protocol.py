"""Saving walks what layers and optimizers declare; the registries behind get/serialize/deserialize."""
import numpy as np
import pytest

import cnn
from cnn import (
    activations,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    regularizers,
    schedules,
)
from cnn._registry import Registry
from cnn.saving import config as saving_config
from cnn.saving import weights as saving_weights


class Scale(layers.Layer):
    """A layer saving has never heard of: one weight per feature, created after a frozen one."""

    def build(self, input_shape):
        self.offset = self.add_weight("offset", (input_shape[-1],), "ones", trainable=False)
        self.scale = self.add_weight("scale", (input_shape[-1],), "ones")

    def _count_params_for(self, input_shape):
        return 2 * int(input_shape[-1])


def test_allow_list_is_what_cnn_layers_exports(monkeypatch):
    found = saving_config.layer_classes()
    assert set(found) == {n for n in layers.__all__ if n not in ("Layer", "Input")}
    monkeypatch.setattr(layers, "Scale", Scale, raising=False)
    monkeypatch.setattr(layers, "__all__", [*layers.__all__, "Scale"])
    model = cnn.Sequential([cnn.Input(shape=(3,)), Scale(name="s")])
    config = model.get_config()
    config["layers"][1]["class_name"] = "Scale"
    rebuilt = cnn.Sequential.from_config(config)      # found without custom_objects
    assert type(rebuilt.layers[0]) is Scale and rebuilt.count_params() == 6


def test_a_new_layer_class_saves_in_keras_order_with_no_change_in_saving(tmp_path):
    model = cnn.Sequential([cnn.Input(shape=(3,)), Scale(name="s"), layers.Dense(2)])
    model.layers[0].scale.assign(np.array([1.0, 2.0, 3.0]))
    arrays, _ = saving_weights.collect_state(model)
    assert np.array_equal(arrays["layers/scale/vars/0"], [1.0, 2.0, 3.0])   # trainable first
    assert np.array_equal(arrays["layers/scale/vars/1"], [1.0, 1.0, 1.0])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = cnn.models.load_model(path, custom_objects={"Scale": Scale})
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))


def test_declared_parameter_counts_match_the_built_layers():
    shape = (None, 7)
    for layer in (layers.Dense(4), layers.Dense(4, use_bias=False), layers.BatchNormalization(),
                  layers.BatchNormalization(center=False, scale=False), layers.Dropout(0.1), Scale()):
        declared = layer._count_params_for(shape)
        layer._build_for(shape)
        assert declared == layer.count_params(), type(layer).__name__


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(), lambda: optimizers.SGD(momentum=0.5), lambda: optimizers.Adam(amsgrad=True),
    lambda: optimizers.RMSprop(momentum=0.5, centered=True), lambda: optimizers.Nadam(), lambda: optimizers.Ftrl(),
])
def test_optimizers_declare_what_the_core_keeps(make):
    opt = make()
    _, slots, scalars = saving_weights._slot_counts(opt)
    assert sum(len(g) for g in opt._keras_slot_groups()) == slots and opt._keras_state_count == scalars


def test_an_optimizer_that_declares_nothing_is_refused_by_name():
    class Mine(optimizers.Adam):
        def _keras_slot_groups(self):
            return []
    model = cnn.Sequential([cnn.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer=Mine(), loss="mse")
    with pytest.raises(RuntimeError, match="Mine declares 0 slots"):
        saving_weights.collect_state(model)


# ------------------------------------------------------------------------------ registries

def test_registry_lookup_aliases_and_errors():
    reg = Registry("widget", "keras.widgets", case_insensitive=True)
    reg.register_classes([optimizers.Adam], snake=True)
    reg.register(optimizers.SGD, "gd")
    assert reg.lookup("ADAM") is optimizers.Adam and reg.lookup("GD") is optimizers.SGD
    assert reg.lookup("adam", custom_objects={"adam": int}) is int
    assert "Adam" in reg and 3 not in reg and reg.names() == ["adam", "gd"]
    with pytest.raises(ValueError, match="Could not interpret widget identifier: 'nope'"):
        reg.require("nope")


@pytest.mark.parametrize("module, name", [
    (initializers, "he_normal"), (initializers, "HeNormal"), (regularizers, "l1l2"), (constraints, "max_norm"),
    (activations, "relu"), (losses, "mse"), (optimizers, "adam"), (optimizers, "Adam"),
    (metrics, "mae"), (metrics, "MeanSquaredError"),
])
def test_every_module_resolves_through_its_registry(module, name):
    assert module._registry.lookup(name) is not None
    assert module.get(name) is not None


@pytest.mark.parametrize("module", [initializers, regularizers, constraints, activations, losses, optimizers,
                                    metrics])
def test_unknown_names_are_named_in_the_error(module):
    with pytest.raises(ValueError, match="no_such_thing"):
        module.get("no_such_thing")


def test_serialize_round_trips_through_the_registries():
    for module, obj in ((initializers, initializers.HeNormal(seed=3)), (regularizers, regularizers.L2(0.1)),
                        (constraints, constraints.MaxNorm(2.0)),
                        (schedules, schedules.ExponentialDecay(0.1, 10, 0.5))):
        config = module.serialize(obj)
        assert config["module"] == module._registry.module and config["class_name"] == type(obj).__name__
        again = module.deserialize(config)
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    with pytest.raises(ValueError, match="Nope"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
