"""The functional API: symbolic tensors, cnn.Model(inputs, outputs), nested models, summary, config, saving."""
import json

import numpy as np
import pytest

import cnn
from cnn import layers

# Keras 3.15's summary() of the model _multi() builds (printed by Keras with the torch backend).
KERAS_MULTI_SUMMARY = """\
Model: "multi"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ shared (Dense)      │ (None, 5)         │         25 │ a[0][0], b[0][0]  │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ trunk (Dense)       │ (None, 3)         │         18 │ shared[0][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out1 (Dense)        │ (None, 2)         │          8 │ trunk[0][0]       │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out2 (Dense)        │ (None, 1)         │          6 │ shared[1][0]      │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ out3_with_a_rather… │ (None, 1)         │          4 │ trunk[0][0]       │
│ (Dense)             │                   │            │                   │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 61 (244.00 B)
 Trainable params: 61 (244.00 B)
 Non-trainable params: 0 (0.00 B)
"""


# Keras 3.15's summary(expand_nested=True) of the model test_summary_expand_nested builds.
KERAS_NESTED_SUMMARY = """\
Model: "outer"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ b (InputLayer)      │ (None, 4)         │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ inner (Functional)  │ (None, 5)         │         25 │ a[0][0], b[0][0]  │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│    └ ii             │ (None, 4)         │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│    └ idense (Dense) │ (None, 5)         │         25 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ cat (Concatenate)   │ (None, 10)        │          0 │ inner[0][0],      │
│                     │                   │            │ inner[1][0]       │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ seq (Sequential)    │ (None, 2)         │         28 │ cat[0][0]         │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│    └ s1 (Dense)     │ (None, 2)         │         22 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│    └ s2 (Dense)     │ (None, 2)         │          6 │ -                 │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 53 (212.00 B)
 Trainable params: 53 (212.00 B)
 Non-trainable params: 0 (0.00 B)
"""


# Keras 3.15's summary(expand_nested=True, show_trainable=True) of test_summary_show_trainable's Sequential.
KERAS_TRAINABLE_SUMMARY = """\
Model: "wrapped"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓
┃ Layer (type)                ┃ Output Shape          ┃    Param # ┃ Trai… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩
│ d1 (Dense)                  │ (None, 3)             │         15 │   N   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ dd (Dropout)                │ (None, 3)             │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ d2 (Dense)                  │ (None, 4)             │         16 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ inner (Functional)          │ (None, 5)             │         25 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│    └ ii (InputLayer)        │ (None, 4)             │          0 │   -   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│    └ idense (Dense)         │ (None, 5)             │         25 │   Y   │
├─────────────────────────────┼───────────────────────┼────────────┼───────┤
│ sm (Softmax)                │ (None, 5)             │          0 │   -   │
└─────────────────────────────┴───────────────────────┴────────────┴───────┘
 Total params: 56 (224.00 B)
 Trainable params: 41 (164.00 B)
 Non-trainable params: 15 (60.00 B)
"""


def _multi():
    a, b = cnn.Input((4,), name="a"), cnn.Input((4,), name="b")
    shared = layers.Dense(5, name="shared")
    x, y = shared(a), shared(b)
    t = layers.Dense(3, name="trunk", activation="relu")(x)
    o1 = layers.Dense(2, name="out1")(t)
    o2 = layers.Dense(1, name="out2")(y)
    o3 = layers.Dense(1, name="out3_with_a_rather_long_name")(t)
    return cnn.Model([a, b], [o1, o2, o3], name="multi")


def _mlp(name=None):
    inputs = cnn.Input((6,), name="features")
    h = layers.Dense(16, activation="relu", name="hidden")(inputs)
    h = layers.Dropout(0.25, name="drop")(h)
    return cnn.Model(inputs, layers.Dense(3, activation="softmax", name="probs")(h), name=name)


def test_symbolic_tensors_carry_shape_dtype_name_and_history():
    x = cnn.Input((4,), name="x")
    assert (x.shape, x.dtype, x.name, x.ndim) == ((None, 4), "float32", "x", 2)
    assert repr(x) == "<KerasTensor shape=(None, 4), dtype=float32, sparse=False, ragged=False, name=x>"
    assert type(x._history.operation).__name__ == "InputLayer" and x._history[1:] == (0, 0)
    dense = layers.Dense(3)
    y = dense(x)
    assert y.shape == (None, 3) and dense.built and dense.kernel.shape == (4, 3)
    assert y._history == (dense, 0, 0) and dense.input is x and dense.output is y
    assert cnn.Input((2, 5), dtype="int32").dtype == "int32"
    assert layers.Flatten()(cnn.Input((2, 5))).shape == (None, 10)
    with pytest.raises(ValueError, match='Input 0 of layer "dense.*" is incompatible.*expected axis -1 .* value 4'):
        dense(cnn.Input((5,)))
    with pytest.raises(TypeError, match="mix of symbolic tensors"):
        layers.Add()([x, np.ones((2, 4))])
    with pytest.raises(ValueError, match='Layer "dense_x" expects 1 input.*received 2 input tensors'):
        layers.Dense(2, name="dense_x")([x, x])
    assert layers.Dense(2)([x]).shape == (None, 2)
    with pytest.raises(TypeError, match="cannot be used as a boolean"):
        bool(y)
    with pytest.raises(TypeError, match="cannot be converted to a NumPy array"):
        np.asarray(y)
    with pytest.raises(AttributeError, match="has never been called"):
        layers.Dense(2).output


def test_model_structure_inputs_outputs_and_get_layer():
    model = _mlp()
    assert type(model).__name__ == "Functional" and isinstance(model, cnn.Model)
    assert cnn.models.Model is cnn.Model
    assert [layer.name for layer in model.layers] == ["features", "hidden", "drop", "probs"]
    assert model.input_shape == (None, 6) and model.output_shape == (None, 3)
    assert model.inputs[0] is model.input and model.outputs[0] is model.output
    assert model.get_layer("hidden") is model.layers[1] and model.get_layer(index=-1).name == "probs"
    assert model.get_layer(index=0).name == "features"                 # Keras counts the InputLayer
    assert [w.shape for w in model.weights] == [(6, 16), (16,), (16, 3), (3,)]
    assert model.count_params() == 6 * 16 + 16 + 16 * 3 + 3
    graph = model._graph()
    assert graph.is_chain() and graph.input_names == ["features"] and graph.output_names == ["probs"]
    x = np.random.default_rng(0).normal(size=(5, 6))
    assert model.predict(x, verbose=0).shape == (5, 3)
    np.testing.assert_array_equal(model(x), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="All `outputs` values must be KerasTensors"):
        cnn.Model(model.inputs, np.ones(3))
    with pytest.raises(ValueError, match="Output with path `` is not connected to `inputs`"):
        cnn.Model(cnn.Input((6,)), model.output)


def test_multi_input_output_graph_sources_and_shared_layer():
    model = _multi()
    graph = model._graph()
    names = [node.layer.name for node in graph.nodes]
    assert names == ["shared", "trunk", "out1", "shared", "out2", "out3_with_a_rather_long_name"]
    assert [node.sources for node in graph.nodes] == [[-1], [0], [1], [-2], [3], [1]]
    assert graph.nodes[0].layer is graph.nodes[3].layer          # one layer, two calls: shared weights
    assert graph.outputs == [2, 4, 5] and graph.input_names == ["a", "b"]
    assert model.output_names == ["out1", "out2", "out3_with_a_rather_long_name"]
    assert model.input_shape == [(None, 4), (None, 4)]
    assert model.output_shape == [(None, 2), (None, 1), (None, 1)]
    assert model.get_layer("shared").output is model.get_layer("trunk").input   # Keras: the first call's
    graph.validate()


def test_summary_matches_keras_with_the_connected_to_column():
    out = []
    _multi().summary(print_fn=out.append)
    assert out[0] == KERAS_MULTI_SUMMARY
    lines = []
    _mlp(name="chain").summary(print_fn=lines.append, line_length=88)
    assert "Connected to" not in lines[0] and "features (InputLayer)" in lines[0]


def test_feature_extraction_shares_the_weights():
    model = _mlp()
    features = cnn.Model(model.inputs, model.get_layer("hidden").output)
    x = np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32)
    kernel, bias = model.get_layer("hidden").get_weights()
    np.testing.assert_allclose(features.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0), rtol=1e-5,
                               atol=1e-6)
    model.get_layer("hidden").set_weights([kernel * 2, bias])
    np.testing.assert_allclose(features.predict(x, verbose=0), np.maximum(x @ (2 * kernel) + bias, 0),
                               rtol=1e-5, atol=1e-6)


def test_nested_models_are_inlined_and_share_weights():
    model = _mlp()
    x = np.random.default_rng(2).normal(size=(7, 6)).astype(np.float32)
    probs = model.predict(x, verbose=0)
    wrapped = cnn.Sequential([model, layers.Softmax()])          # TensorFlow's classification tutorial
    assert wrapped.built and wrapped.output_shape == (None, 3)
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), np.exp(probs) / np.exp(probs).sum(1, keepdims=True),
                               rtol=1e-5)
    inputs = cnn.Input((6,))
    outer = cnn.Model(inputs, layers.Dense(1, name="head")(model(inputs)))
    assert [type(layer).__name__ for layer in outer.layers] == ["InputLayer", "Functional", "Dense"]
    assert [node.layer.name for node in outer._graph().nodes] == ["hidden", "drop", "probs", "head"]
    head = outer.get_layer("head").get_weights()
    np.testing.assert_allclose(outer.predict(x, verbose=0), probs @ head[0] + head[1], rtol=1e-5, atol=1e-6)
    assert len(outer.weights) == 6 and outer.weights[0] is model.weights[0]


def test_functional_chain_trains_to_the_same_bits_as_sequential():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(64, 6)).astype(np.float32), rng.integers(0, 3, 64)
    cnn.utils.set_random_seed(7)
    seq = cnn.Sequential([cnn.Input((6,)), layers.Dense(16, activation="relu"), layers.Dropout(0.25),
                          layers.Dense(3, activation="softmax")])
    func = _mlp()
    func.set_weights(seq.get_weights())
    results = []
    for model in (seq, func):
        cnn.utils.set_random_seed(11)
        model.compile(cnn.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_and_json():
    model = _multi()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["out1", 0, 0], ["out2", 0, 0], ["out3_with_a_rather_long_name", 0, 0]]
    shared = next(entry for entry in config["layers"] if entry["name"] == "shared")
    histories = [node["args"][0]["config"]["keras_history"] for node in shared["inbound_nodes"]]
    assert histories == [["a", 0, 0], ["b", 0, 0]]
    assert json.loads(model.to_json())["class_name"] == "Functional"
    again = cnn.models.model_from_json(model.to_json())
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert again._graph().nodes[0].layer is again._graph().nodes[3].layer
    rebuilt = cnn.Model.from_config(config)
    assert rebuilt.output_shape == model.output_shape and rebuilt.get_config()["layers"] == config["layers"]


def test_clone_model_new_weights_same_graph():
    model = _mlp()
    clone = cnn.models.clone_model(model)
    assert type(clone).__name__ == "Functional" and [la.name for la in clone.layers] == [la.name for la in model.layers]
    assert all(a is not b for a, b in zip(clone.weights, model.weights))
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    relu = cnn.models.clone_model(model, clone_function=lambda layer: layer)   # same layers: shared weights
    assert relu.weights[0] is model.weights[0]


def test_save_load_round_trip_with_nested_models(tmp_path):
    pytest.importorskip("h5py")
    inner_in = cnn.Input((4,), name="ii")
    inner = cnn.Model(inner_in, layers.Dense(5, name="idense")(inner_in), name="inner")
    a = cnn.Input((4,), name="a")
    seq = cnn.Sequential([layers.Dense(2, name="s1"), layers.Dense(2, name="s2")], name="seq")
    model = cnn.Model(a, seq(layers.Dense(3, name="d3")(inner(a))), name="one")
    x = np.random.default_rng(4).normal(size=(8, 4)).astype(np.float32)
    model.save(tmp_path / "m.keras")
    loaded = cnn.models.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == ["InputLayer", "Functional", "Dense", "Sequential"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    import zipfile

    import h5py
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        z.extract("model.weights.h5", tmp_path)
    groups = []
    with h5py.File(tmp_path / "model.weights.h5") as f:
        f.visit(groups.append)
    for path in ("layers/functional/layers/dense/vars/0", "layers/sequential/layers/dense_1/vars/1",
                 "layers/dense/vars/0", "layers/input_layer/vars"):
        assert path in groups                                     # Keras 3's layout


def test_plot_model_draws_a_functional_graph():
    fig = cnn.utils.plot_model(_multi(), show_shapes=True)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("InputLayer") == 2 and "Dense" in texts


def test_sequential_feature_extraction_as_in_keras():
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3), layers.Softmax()])
    extractor = cnn.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(5).normal(size=(6, 4)).astype(np.float32)
    outs = extractor.predict(x, verbose=0)
    assert [o.shape for o in outs] == [(6, 8), (6, 3), (6, 3)]
    np.testing.assert_array_equal(outs[-1], model.predict(x, verbose=0))
    assert cnn.Model(model.input, model.layers[0].output).output_shape == (None, 8)


def _two_heads():
    a, b = cnn.Input((6,), name="a"), cnn.Input((4,), name="b")
    da, db = layers.Dense(8, activation="relu", name="da"), layers.Dense(8, name="db")
    h = layers.Concatenate(name="cat")([da(a), db(b)])
    return cnn.Model({"a": a, "b": b}, {"reg": layers.Dense(2, name="reg")(h),
                                        "cls": layers.Dense(3, activation="softmax", name="cls")(h)})


def test_multi_input_output_training_saving_and_dict_predictions(tmp_path):
    pytest.importorskip("h5py")
    rng = np.random.default_rng(6)
    x = {"a": rng.normal(size=(40, 6)).astype(np.float32), "b": rng.normal(size=(40, 4)).astype(np.float32)}
    y = {"reg": rng.normal(size=(40, 2)).astype(np.float32), "cls": rng.integers(0, 3, 40)}
    model = _two_heads()
    assert model.output_names == ["cls", "reg"]                     # Keras flattens dicts by sorted key
    model.compile(cnn.optimizers.Adam(0.01), loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.5}, metrics={"cls": ["accuracy"]})
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    pred = model.predict(x, verbose=0)
    assert sorted(pred) == ["cls", "reg"] and pred["cls"].shape == (40, 3) and pred["reg"].shape == (40, 2)
    model.save(tmp_path / "two.keras")
    loaded = cnn.models.load_model(tmp_path / "two.keras")
    for key in pred:
        np.testing.assert_array_equal(loaded.predict(x, verbose=0)[key], pred[key])
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)
    before = [w.copy() for w in loaded.get_weights()]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)   # the optimizer state came back too
    for a, b, c in zip(model.get_weights(), loaded.get_weights(), before):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(b, c) or not b.any()


def test_pickle_deepcopy_and_a_fixed_training_mode_warns():
    import copy
    import pickle
    model = _multi()
    x = [np.ones((3, 4), np.float32), np.zeros((3, 4), np.float32)]
    want = model.predict(x, verbose=0)
    for other in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert type(other).__name__ == "Functional" and other.output_names == model.output_names
        for a, b in zip(other.predict(x, verbose=0), want):
            np.testing.assert_array_equal(a, b)
        assert other.weights[0] is not model.weights[0]
    import warnings
    with warnings.catch_warnings():   # a fixed mode is honoured (tests/test_call_mode.py), so no warning
        warnings.simplefilter("error")
        layers.Dropout(0.5)(cnn.Input((3,)), training=True)


def test_tensor_operators_record_merge_layers_and_keras_ops_configs_load():
    x = cnn.Input((3,), name="x")
    h = layers.Dense(3, name="h")(x)
    model = cnn.Model(x, (h + x) * h - x)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Add", "Multiply", "Subtract"]
    data = np.random.default_rng(7).normal(size=(4, 3)).astype(np.float32)
    hv = model.get_layer("h")(data)
    np.testing.assert_allclose(model.predict(data, verbose=0), (hv + data) * hv - data, rtol=1e-5, atol=1e-6)
    config = model.get_config()    # as Keras 3 writes `h + x`: an op of keras.src.ops.numpy, two arguments
    add = next(entry for entry in config["layers"] if entry["class_name"] == "Add")
    add.update(module="keras.src.ops.numpy", registered_name="Add")
    add["inbound_nodes"][0]["args"] = add["inbound_nodes"][0]["args"][0]
    rebuilt = cnn.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0))


def test_a_hostile_functional_config_is_refused_before_allocating(tmp_path):
    import zipfile
    x = cnn.Input((4,), name="x")
    cnn.Model(x, layers.Dense(3, name="d")(x)).save(tmp_path / "small.keras")
    with zipfile.ZipFile(tmp_path / "small.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["units"] = 10 ** 9
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "hostile.keras", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match="more weights than the file stores"):
        cnn.models.load_model(tmp_path / "hostile.keras")


def test_a_sequential_graph_is_made_on_first_use_also_after_pickling():
    import pickle
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(8), layers.Dense(3)])
    assert "_inbound_nodes" not in model.layers[0].__dict__          # building costs nothing more
    copy_ = pickle.loads(pickle.dumps(model))
    assert copy_.layers[1].output.shape == (None, 3) and copy_.layers[1].input.shape == (None, 8)
    assert cnn.Model(model.layers[0].input, model.layers[1].output).output_shape == (None, 3)


def test_summary_expand_nested_matches_keras():
    ii = cnn.Input((4,), name="ii")
    inner = cnn.Model(ii, layers.Dense(5, name="idense")(ii), name="inner")
    a, b = cnn.Input((4,), name="a"), cnn.Input((4,), name="b")
    seq = cnn.Sequential([layers.Dense(2, name="s1"), layers.Dense(2, name="s2")], name="seq")
    model = cnn.Model([a, b], seq(layers.Concatenate(name="cat")([inner(a), inner(b)])), name="outer")
    out = []
    model.summary(expand_nested=True, print_fn=out.append)
    assert out[0] == KERAS_NESTED_SUMMARY
    wrapped = []
    cnn.Sequential([inner, layers.Softmax(name="sm")], name="wrapped").summary(expand_nested=True,
                                                                                 print_fn=wrapped.append)
    assert "│    └ idense (Dense) " in wrapped[0]


def test_summary_show_trainable_matches_keras():
    ii = cnn.Input((4,), name="ii")
    inner = cnn.Model(ii, layers.Dense(5, name="idense")(ii), name="inner")
    model = cnn.Sequential([cnn.Input((4,)), layers.Dense(3, name="d1"), layers.Dropout(0.2, name="dd"),
                            layers.Dense(4, name="d2"), inner, layers.Softmax(name="sm")], name="wrapped")
    model.layers[0].trainable = False
    out = []
    model.summary(expand_nested=True, show_trainable=True, print_fn=out.append)
    assert out[0] == KERAS_TRAINABLE_SUMMARY


def test_summary_layer_range_as_keras():
    out = []
    _multi().summary(layer_range=["trunk", "out2"], print_fn=out.append)
    names = [line.split()[1] for line in out[0].splitlines() if line.startswith("│ ") and "(" in line.split()[2]]
    assert names == ["trunk", "out1", "out2"]
    with pytest.raises(ValueError, match="do not match the layer names"):
        _multi().summary(layer_range=["nothing", "out2"])


def test_a_model_from_intermediate_tensors_gets_clone_inputs_as_keras():
    x = cnn.Input((4,), name="x")
    h = layers.Dense(8, name="h")(x)
    full = cnn.Model(x, layers.Dense(2, name="o")(layers.Dense(3, name="m")(h)))
    sub = cnn.Model(full.get_layer("h").output, full.output)
    assert [type(layer).__name__ for layer in sub.layers] == ["InputLayer", "Dense", "Dense"]
    assert sub.layers[0].name == h.name + "CLONE" and sub.input_shape == (None, 8)
    hv = np.random.default_rng(8).normal(size=(5, 8)).astype(np.float32)
    want = full.get_layer("o")(full.get_layer("m")(hv))
    np.testing.assert_allclose(sub.predict(hv, verbose=0), want, rtol=1e-6, atol=1e-6)
    assert sub.weights[0] is full.get_layer("m").kernel                 # the same layers: shared weights
    assert cnn.models.model_from_json(sub.to_json()).output_shape == (None, 2)
