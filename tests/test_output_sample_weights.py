"""Per-output sample weights against Keras (torch backend, /work/oracle-venv): losses, per-output losses
and metrics, and weights after a few steps. Keras takes a list in output order (None: unweighted) or one
array for every output; cnn also takes a dict by output name (Keras 3.15 fails on dicts: "0")."""
import inspect
import json

import numpy as np
import pytest

import cnn
import keras_oracle


def build(lib):
    """The same code builds the Keras and the cnn model (lib is either module)."""
    L = lib.layers
    x = lib.Input((4,), name="x")
    h = L.Dense(5, activation="tanh", name="hidden")(x)
    a = L.Dense(2, name="a")(h)
    b = L.Dense(1, activation="sigmoid", name="b")(h)
    model = lib.Model(x, [a, b], name="two")
    model.compile(lib.optimizers.Adam(0.01), ["mse", "binary_crossentropy"], loss_weights=[1.0, 0.5],
                  metrics=[["mae"], ["accuracy"]])
    return model


ORACLE_SCRIPT = inspect.getsource(build) + r"""
import json, sys
import numpy as np, keras
d = {k: np.array(v, np.float32) for k, v in json.load(sys.stdin).items() if k != "weights"}
data = json.loads(sys.argv[1])
model = build(keras)
model.set_weights([np.array(w, np.float32) for w in data["weights"]])
out = {"steps": []}
for s in range(4):
    r = slice(8 * s, 8 * s + 8)
    out["steps"].append(model.train_on_batch(d["x"][r], [d["ya"][r], d["yb"][r]],
                                             sample_weight=[d["wa"][r], d["wb"][r]], return_dict=True))
out["weights"] = [w.tolist() for w in model.get_weights()]
out["evaluate"] = model.evaluate(d["x"], [d["ya"], d["yb"]], sample_weight=[d["wa"], d["wb"]],
                                 return_dict=True, verbose=0)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(3)
    model = build(cnn)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    d = {"x": rng.normal(size=(32, 4)), "ya": rng.normal(size=(32, 2)),
         "yb": (rng.uniform(size=(32, 1)) > 0.5).astype(float),
         "wa": rng.uniform(0, 2, 32), "wb": rng.uniform(0, 3, 32) * (rng.uniform(size=32) > 0.3)}
    d = {k: v.astype(np.float32) for k, v in d.items()}
    return weights, d


def test_per_output_sample_weights_give_keras_numbers(case):
    weights, d = case
    keras = keras_oracle.run(ORACLE_SCRIPT, json.dumps({"weights": [w.tolist() for w in weights]}),
                             payload={k: v.tolist() for k, v in d.items()})
    model = build(cnn)
    model.set_weights(weights)
    for s, want in enumerate(keras["steps"]):
        r = slice(8 * s, 8 * s + 8)
        got = model.train_on_batch(d["x"][r], [d["ya"][r], d["yb"][r]], sample_weight=[d["wa"][r], d["wb"][r]],
                                   return_dict=True)
        assert sorted(got) == sorted(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=2e-5, atol=1e-6, err_msg=key)
    for got, want in zip(model.get_weights(), keras["weights"]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    got = model.evaluate(d["x"], [d["ya"], d["yb"]], sample_weight={"a": d["wa"], "b": d["wb"]}, return_dict=True,
                         verbose=0)
    for key, want in keras["evaluate"].items():
        np.testing.assert_allclose(got[key], want, rtol=2e-5, atol=1e-6, err_msg=key)


def _fitted(weights, d, **kwargs):
    model = build(cnn)
    model.set_weights(weights)
    history = model.fit(d["x"], [d["ya"], d["yb"]], batch_size=8, epochs=2, shuffle=False, verbose=0, **kwargs)
    return history.history, model.get_weights()


def test_the_forms_agree_and_weights_matter(case):
    weights, d = case
    ones = np.ones(32, np.float32)
    as_list = _fitted(weights, d, sample_weight=[d["wa"], None])
    as_dict = _fitted(weights, d, sample_weight={"a": d["wa"]})
    explicit = _fitted(weights, d, sample_weight=(d["wa"], ones))
    assert as_list[0] == as_dict[0] == explicit[0]
    for a, b in zip(as_list[1], explicit[1]):
        np.testing.assert_array_equal(a, b)
    one = _fitted(weights, d, sample_weight=d["wa"])                       # one array: every output
    both = _fitted(weights, d, sample_weight=[d["wa"], d["wa"]])
    assert one[0] == both[0] and one[0] != as_list[0]
    split = _fitted(weights, d, sample_weight=[d["wa"], d["wb"]], validation_data=(d["x"], [d["ya"], d["yb"]],
                                                                                 [d["wa"], d["wb"]]))
    assert split[0]["val_loss"] != _fitted(weights, d, validation_data=(d["x"], [d["ya"], d["yb"]]))[0]["val_loss"]


def test_bad_per_output_sample_weights_are_refused(case):
    weights, d = case
    model = build(cnn)
    y = [d["ya"], d["yb"]]
    with pytest.raises(ValueError, match="not model outputs"):
        model.train_on_batch(d["x"], y, sample_weight={"c": d["wa"]})
    with pytest.raises(ValueError, match="list of 3 arrays for 2 model outputs"):
        model.train_on_batch(d["x"], y, sample_weight=[d["wa"]] * 3)
    with pytest.raises(ValueError, match="sample_weight\\['b'\\] has 5 entries for 32 samples"):
        model.train_on_batch(d["x"], y, sample_weight=[d["wa"], d["wb"][:5]])
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(d["x"], y, class_weight={0: 1.0, 1: 2.0}, verbose=0)
