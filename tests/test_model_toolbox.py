"""model.to_json / models.model_from_json, models.clone_model and model.get_layer, as Keras 3 has them."""
import json

import numpy as np
import pytest

import cnn
from cnn import layers


def _model(compiled=True):
    model = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dropout(0.2),
                            layers.BatchNormalization(), layers.Dense(1)])
    if compiled:
        model.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def test_to_json_is_keras_layout_and_round_trips():
    model = _model()
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert [e["class_name"] for e in config["config"]["layers"]] == [
        "InputLayer", "Dense", "Dropout", "BatchNormalization", "Dense"]
    assert config["compile_config"]["loss"] == "mse"
    assert model.to_json(indent=2).count("\n") > 10         # kwargs reach json.dumps
    restored = cnn.models.model_from_json(text)
    assert restored.compiled and restored.metrics_names == ["loss", "mae"]
    assert [lay.name for lay in restored.layers] == [lay.name for lay in model.layers]
    assert [lay.get_config() for lay in restored.layers] == [lay.get_config() for lay in model.layers]
    assert restored.optimizer.learning_rate == np.float32(0.01)
    assert not cnn.models.model_from_json(_model(compiled=False).to_json()).compiled


def test_model_from_json_bad_input():
    with pytest.raises(ValueError, match="not valid JSON"):
        cnn.models.model_from_json("{not json")
    with pytest.raises(TypeError, match="json_string"):
        cnn.models.model_from_json({"class_name": "Sequential"})
    with pytest.raises(ValueError, match="Lambda"):
        cnn.models.model_from_json(json.dumps({"class_name": "Sequential", "config": {
            "layers": [{"class_name": "Lambda", "config": {}}]}}))


def test_clone_model_same_config_new_weights():
    cnn.utils.set_random_seed(3)
    model = _model()
    clone = cnn.models.clone_model(model)
    first = clone.get_weights()
    assert clone is not model and clone.name == model.name and clone.compiled
    assert clone.optimizer is not model.optimizer and clone.optimizer.learning_rate == np.float32(0.01)
    assert [lay.get_config() for lay in clone.layers] == [lay.get_config() for lay in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])   # new kernel
    x = np.random.default_rng(0).normal(size=(8, 3))
    clone.fit(x, x[:, :1], epochs=2, verbose=0)
    assert model.optimizer.iterations == 0                                      # independent
    cnn.utils.set_random_seed(3)
    again = cnn.models.clone_model(_model())
    for a, b in zip(again.get_weights(), first):   # the new weights are seeded draws: reproducible
        np.testing.assert_array_equal(a, b)


def test_clone_function_and_inputs():
    model = _model(compiled=False)

    def copy_with_weights(layer):
        new = type(layer).from_config(layer.get_config())
        return new

    clone = cnn.models.clone_model(model, clone_function=copy_with_weights)
    clone.set_weights(model.get_weights())
    x = np.ones((2, 3))
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    shared = cnn.models.clone_model(model, clone_function=lambda layer: layer)
    assert shared.layers[0] is model.layers[0]
    other = cnn.models.clone_model(model, input_tensors=cnn.Input(shape=(3,)))
    assert other.input_shape == (None, 3)
    with pytest.raises(TypeError, match="clone_function must return a layer"):
        cnn.models.clone_model(model, clone_function=lambda layer: None)
    with pytest.raises(ValueError, match="clone_function"):
        cnn.models.clone_model(model, clone_function=3)
    with pytest.raises(ValueError, match="Sequential"):
        cnn.models.clone_model("model")
    with pytest.raises(ValueError, match="input_tensors"):
        cnn.models.clone_model(model, input_tensors=np.ones((1, 3)))


def test_clone_of_an_unbuilt_model_stays_unbuilt():
    model = cnn.Sequential([layers.Dense(2)])
    clone = cnn.models.clone_model(model)
    assert not clone.built and clone.layers[0] is not model.layers[0]


def test_get_layer_by_name_or_index_with_keras_errors():
    model = _model(compiled=False)
    assert model.get_layer("dropout" if model.layers[1].name == "dropout" else model.layers[1].name) \
        is model.layers[1]
    assert model.get_layer(index=0) is model.layers[0] and model.get_layer(index=-1) is model.layers[-1]
    with pytest.raises(ValueError, match="Provide only a layer name or a layer index"):
        model.get_layer(name=model.layers[0].name, index=0)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        model.get_layer()
    with pytest.raises(ValueError, match="No such layer: nope. Existing layers are"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="only has 4 layers"):
        model.get_layer(index=4)
    with pytest.raises(TypeError, match="index must be an integer"):
        model.get_layer(index="0")
    with pytest.raises(TypeError, match="name must be a string"):
        model.get_layer(name=3)
