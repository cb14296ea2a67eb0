"""model.save / cnn.models.load_model / save_weights / load_weights, hostile files, pickle and deepcopy.

HDF5 tests need h5py (skipped without it); the npz fallback is tested by pretending h5py is absent.
The Keras cross-loading test runs only where keras imports.
"""
import copy
import importlib.util
import io
import json
import os
import pickle
import sys
import warnings
import zipfile

import numpy as np
import pytest

import cnn
from cnn import layers, optimizers, saving

try:
    import h5py  # noqa: F401
    HAVE_H5PY = True
except ImportError:
    HAVE_H5PY = False
needs_h5py = pytest.mark.skipif(not HAVE_H5PY, reason="h5py is not installed")
FORMATS = [pytest.param("h5", marks=needs_h5py), "npz"]

RNG = np.random.default_rng(0)
X = RNG.random((40, 4), dtype=np.float32)
Y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 40)]


@pytest.fixture
def fmt(request, monkeypatch):
    """Forces the weights format of model.save: 'h5' (needs h5py) or 'npz' (as if h5py were missing)."""
    monkeypatch.setattr(saving, "_warned_npz", [True])
    if request.param == "npz":
        monkeypatch.setattr(saving, "_have_h5py", lambda: False)
    return request.param


def _model(optimizer=None, metrics=("accuracy",), compile=True):
    m = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.BatchNormalization(),
                        layers.Dropout(0.25), layers.Dense(3, activation="softmax")])
    if compile:
        m.compile(optimizer=optimizer or optimizers.Adam(0.02), loss="categorical_crossentropy",
                  metrics=list(metrics))
    return m


def _fit(m, epochs=2):
    return m.fit(X, Y, epochs=epochs, batch_size=8, verbose=0).history


def _same_weights(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


def _rezip(src, dst, replace=None, add=None):
    """Copies a zip, replacing (or with None deleting) members and adding new ones."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    zout.writestr(info.filename, replace[info.filename])
            else:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in add.items():
            zout.writestr(name, data)


def _config_of(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json"))


def _with_config(src, dst, config):
    _rezip(src, dst, replace={"config.json": json.dumps(config)})


# ------------------------------------------------------------------------------ round trips

@pytest.mark.parametrize("fmt", FORMATS, indirect=True)
def test_round_trip_predicts_identically_and_restores_compile(tmp_path, fmt):
    m = _model(metrics=["accuracy", cnn.metrics.MeanSquaredError()])
    _fit(m)
    path = str(tmp_path / "m.keras")
    m.save(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    assert {"metadata.json", "config.json", f"model.weights.{fmt}"} <= names
    m2 = cnn.models.load_model(path)
    assert np.array_equal(m.predict(X, verbose=0), m2.predict(X, verbose=0))
    assert [layer.name for layer in m2.layers] == [layer.name for layer in m.layers] and m2.name == m.name
    assert m2.compiled and type(m2.optimizer) is optimizers.Adam
    assert m2.optimizer.get_config() == m.optimizer.get_config()
    assert m2.optimizer.iterations == m.optimizer.iterations == 10
    assert m2.evaluate(X, Y, verbose=0) == m.evaluate(X, Y, verbose=0)
    assert m2.metrics_names == m.metrics_names


@pytest.mark.parametrize("fmt", FORMATS, indirect=True)
@pytest.mark.parametrize("make_opt", [
    lambda: optimizers.Adam(0.02, amsgrad=True),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Nadam(0.01),
    lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    lambda: optimizers.Ftrl(0.1),
    lambda: optimizers.Adam(cnn.schedules.PiecewiseConstantDecay([7, 14], [0.05, 0.02, 0.01])),
], ids=["adam-amsgrad", "rmsprop-centered-momentum", "nadam", "sgd-nesterov", "ftrl", "adam-schedule"])
def test_optimizer_state_continues_like_an_unsaved_twin(tmp_path, fmt, make_opt):
    m = _model(make_opt())
    _fit(m)
    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = cnn.models.load_model(path)
    fresh = cnn.models.load_model(path, compile=False)  # same weights, optimizer state lost
    assert not fresh.compiled
    fresh.compile(optimizer=make_opt(), loss="categorical_crossentropy", metrics=["accuracy"])
    fresh.optimizer.iterations = m.optimizer.iterations
    h_twin, h_loaded, _ = _fit(m), _fit(loaded), _fit(fresh)
    assert h_twin == h_loaded
    assert _same_weights(m, loaded)
    assert not _same_weights(m, fresh)   # the test would notice lost slots


@pytest.mark.parametrize("fmt", FORMATS, indirect=True)
def test_compiled_untrained_and_frozen_layer_round_trip(tmp_path, fmt):
    m = _model()
    m.layers[0].trainable = False
    m.compile(optimizer=optimizers.Adam(0.02), loss="categorical_crossentropy")
    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = cnn.models.load_model(path)
    assert loaded.layers[0].trainable is False and loaded.optimizer.iterations == 0
    assert _fit(m) == _fit(loaded) and _same_weights(m, loaded)


@pytest.mark.parametrize("fmt", FORMATS, indirect=True)
def test_uncompiled_unbuilt_and_file_object(tmp_path, fmt):
    m = _model(compile=False)
    buf = io.BytesIO()
    m.save(buf)
    buf.seek(0)
    m2 = cnn.models.load_model(buf)
    assert not m2.compiled and np.array_equal(m.predict(X, verbose=0), m2.predict(X, verbose=0))
    unbuilt = cnn.Sequential([layers.Dense(2)])
    path = str(tmp_path / "u.keras")
    with pytest.warns(UserWarning, match="not yet been built"):
        unbuilt.save(path)
    u2 = cnn.models.load_model(path)
    assert not u2.built and type(u2.layers[0]) is layers.Dense and u2.layers[0].units == 2


def test_npz_fallback_warns_once(tmp_path, monkeypatch):
    monkeypatch.setattr(saving, "_warned_npz", [False])
    monkeypatch.setattr(saving, "_have_h5py", lambda: False)
    m = _model()
    with pytest.warns(UserWarning, match=r'cnn\[h5\]'):
        m.save(str(tmp_path / "a.keras"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.save(str(tmp_path / "b.keras"))


@pytest.mark.parametrize("fmt", FORMATS, indirect=True)
def test_weights_follow_keras_layout(tmp_path, fmt):
    m = _model(optimizers.Adam(0.02))
    _fit(m, 1)
    path = str(tmp_path / "m.keras")
    m.save(path)
    with zipfile.ZipFile(path) as z:
        data = z.read(f"model.weights.{fmt}")
    reader = (saving._H5Reader if fmt == "h5" else saving._NpzReader)(data, "test")
    try:
        assert reader.keys("layers/dense/vars") == {"0", "1"}
        assert reader.keys("layers/batch_normalization/vars") == {"0", "1", "2", "3"}
        assert np.array_equal(reader.get("layers/dense_1/vars/0", (5, 3)), m.layers[3].kernel.numpy())
        assert np.array_equal(reader.get("layers/batch_normalization/vars/2", (5,)),
                              m.layers[1].moving_mean.numpy())
        assert reader.keys("layers/dropout/vars") in (set(), None)
        # optimizer: iteration, learning_rate, then (m, v) interleaved per trainable variable
        assert len(reader.keys("optimizer/vars")) == 2 + 2 * 6
        assert int(reader.get("optimizer/vars/0", (), kinds="iuf")) == 5
        assert float(reader.get("optimizer/vars/1", ())) == np.float32(0.02)
        shapes = [(4, 5), (4, 5), (5,), (5,), (5,), (5,), (5,), (5,), (5, 3), (5, 3), (3,), (3,)]
        for i, shape in enumerate(shapes):
            reader.get(f"optimizer/vars/{i + 2}", shape)
    finally:
        reader.close()
    config = _config_of(path)
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert [layer["class_name"] for layer in config["config"]["layers"]] == \
        ["InputLayer", "Dense", "BatchNormalization", "Dropout", "Dense"]
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "categorical_crossentropy"


def test_from_config_round_trip():
    m = _model(compile=False)
    m2 = cnn.Sequential.from_config(m.get_config())
    assert type(m2) is cnn.Sequential and m2.built
    assert [layer.name for layer in m2.layers] == [layer.name for layer in m.layers]
    m2.set_weights(m.get_weights())
    assert np.array_equal(m.predict(X, verbose=0), m2.predict(X, verbose=0))


# ------------------------------------------------------------------------------ weights only

@needs_h5py
def test_weights_only_round_trip(tmp_path):
    m = _model()
    _fit(m)
    path = str(tmp_path / "w.weights.h5")
    m.save_weights(path)
    saved = m.predict(X, verbose=0)
    other = _model()
    other.load_weights(path)
    assert np.array_equal(saved, other.predict(X, verbose=0))
    assert other.optimizer.iterations == m.optimizer.iterations
    assert _fit(m) == _fit(other) and _same_weights(m, other)   # optimizer state came along
    bare = _model(compile=False)
    bare.load_weights(path)
    assert np.array_equal(saved, bare.predict(X, verbose=0))


@needs_h5py
def test_load_weights_during_fit_reaches_the_running_step(tmp_path):
    """BackupAndRestore loads weights in on_train_begin, after fit built its C plan: the optimizer
    state must still reach the steps that follow."""
    m = _model()
    _fit(m)
    path = str(tmp_path / "w.weights.h5")
    m.save_weights(path)

    class Restore(cnn.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.model.load_weights(path)

    other = _model()
    h_other = other.fit(X, Y, epochs=2, batch_size=8, verbose=0, callbacks=[Restore()]).history
    assert h_other == _fit(m) and _same_weights(m, other)


@pytest.mark.parametrize("fmt", FORMATS, indirect=True)
def test_load_weights_from_keras_file(tmp_path, fmt):
    m = _model()
    _fit(m)
    path = str(tmp_path / "m.keras")
    m.save(path)
    other = _model(compile=False)
    other.load_weights(path)
    assert np.array_equal(m.predict(X, verbose=0), other.predict(X, verbose=0))


def test_weights_path_rules(tmp_path, monkeypatch):
    m = _model()
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        m.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="not yet been built"):
        cnn.Sequential([layers.Dense(2)]).save_weights(str(tmp_path / "w.weights.h5"))
    with pytest.raises(ValueError, match="File format not supported"):
        m.load_weights(str(tmp_path / "w.ckpt"))
    monkeypatch.setitem(sys.modules, "h5py", None)   # as if h5py were not installed
    with pytest.raises(ImportError, match=r'cnn\[h5\]'):
        m.save_weights(str(tmp_path / "w.weights.h5"))
    (tmp_path / "x.weights.h5").write_bytes(b"\x89HDF")
    with pytest.raises(ImportError, match=r'cnn\[h5\]'):
        m.load_weights(str(tmp_path / "x.weights.h5"))


def test_save_path_rules(tmp_path):
    m = _model()
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        m.save(str(tmp_path / "m.txt"))
    with pytest.raises(ValueError, match=r"\.keras"):
        m.save(str(tmp_path / "m.h5"))
    with pytest.raises(ValueError, match="save_format"):
        m.save(str(tmp_path / "m"), save_format="tf")
    with pytest.raises(ValueError, match="File not found"):
        cnn.models.load_model(str(tmp_path / "missing.keras"))
    with pytest.raises(ValueError, match="not supported"):
        cnn.models.load_model(str(tmp_path / "m.pb"))


@pytest.mark.parametrize("fmt", ["npz"], indirect=True)
def test_overwrite_false_refuses_without_a_terminal(tmp_path, fmt, monkeypatch):
    path = tmp_path / "m.keras"
    path.write_bytes(b"keep me")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(FileExistsError):
        _model().save(str(path), overwrite=False)
    assert path.read_bytes() == b"keep me"


# ------------------------------------------------------------------------------ bad and hostile files

@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A valid npz-format .keras file to corrupt."""
    monkeypatch.setattr(saving, "_warned_npz", [True])
    monkeypatch.setattr(saving, "_have_h5py", lambda: False)
    path = str(tmp_path / "good.keras")
    m = _model()
    _fit(m, 1)
    m.save(path)
    return path


def _bad(tmp_path, name="bad.keras"):
    return str(tmp_path / name)


def test_not_a_zip_and_truncated(tmp_path, saved):
    bad = _bad(tmp_path)
    with open(bad, "wb") as f:
        f.write(np.random.default_rng(1).bytes(3000))
    with pytest.raises(ValueError, match="not a valid .keras file"):
        cnn.models.load_model(bad)
    data = open(saved, "rb").read()
    with open(bad, "wb") as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ValueError):
        cnn.models.load_model(bad)


def test_missing_members(tmp_path, saved):
    bad = _bad(tmp_path)
    _rezip(saved, bad, replace={"config.json": None})
    with pytest.raises(ValueError, match="no config.json"):
        cnn.models.load_model(bad)
    _rezip(saved, bad, replace={"model.weights.npz": None})
    with pytest.raises(ValueError, match="no weights|neither"):
        cnn.models.load_model(bad)


@pytest.mark.parametrize("payload", [b"{not json", b'["a list"]', b'{"class_name": "Sequential"}', b"\xff\xfe"])
def test_config_not_a_model(tmp_path, saved, payload):
    bad = _bad(tmp_path)
    _rezip(saved, bad, replace={"config.json": payload})
    with pytest.raises(ValueError):
        cnn.models.load_model(bad)


def _edit_layers(saved, bad, edit):
    config = _config_of(saved)
    edit(config["config"]["layers"])
    _with_config(saved, bad, config)


def test_lambda_layer_refused(tmp_path, saved):
    bad = _bad(tmp_path)
    _edit_layers(saved, bad, lambda ls: ls.insert(2, {"module": "keras.layers", "class_name": "Lambda",
                                                      "config": {"function": "print('boo')"}}))
    with pytest.raises(ValueError, match="Lambda"):
        cnn.models.load_model(bad, safe_mode=False)


def test_lambda_activation_refused(tmp_path, saved):
    bad = _bad(tmp_path)
    _edit_layers(saved, bad, lambda ls: ls[1]["config"].update(
        activation={"class_name": "__lambda__", "config": {"value": "x"}}))
    with pytest.raises(ValueError, match="__lambda__"):
        cnn.models.load_model(bad)


def test_unknown_module_class_and_registered_name(tmp_path, saved):
    bad = _bad(tmp_path)
    _edit_layers(saved, bad, lambda ls: ls[1].update(module="evil.payload"))
    with pytest.raises(ValueError, match="evil.payload"):
        cnn.models.load_model(bad)
    _edit_layers(saved, bad, lambda ls: ls[1].update(class_name="Conv3DTranspose"))
    with pytest.raises(ValueError, match="Conv3DTranspose"):
        cnn.models.load_model(bad)
    _edit_layers(saved, bad, lambda ls: ls[1].update(registered_name="mypkg>MyDense"))
    with pytest.raises(ValueError, match="custom_objects"):
        cnn.models.load_model(bad)
    config = _config_of(saved)
    config["class_name"] = "Functional"
    _with_config(saved, bad, config)
    with pytest.raises(ValueError, match="Sequential"):
        cnn.models.load_model(bad)


def test_bad_layer_arguments(tmp_path, saved):
    bad = _bad(tmp_path)
    _edit_layers(saved, bad, lambda ls: ls[1]["config"].update(units="five"))
    with pytest.raises(ValueError, match="Dense"):
        cnn.models.load_model(bad)
    _edit_layers(saved, bad, lambda ls: ls[1]["config"].update(not_an_argument=1))
    with pytest.raises(ValueError, match="Dense"):
        cnn.models.load_model(bad)


def test_wrong_weight_shapes(tmp_path, saved):
    bad = _bad(tmp_path)
    _edit_layers(saved, bad, lambda ls: ls[0]["config"].update(batch_shape=[None, 3]))
    with pytest.raises(ValueError, match="shape"):
        cnn.models.load_model(bad)
    _edit_layers(saved, bad, lambda ls: ls[1]["config"].update(units=4))
    with pytest.raises(ValueError, match="shape"):
        cnn.models.load_model(bad)


def test_huge_sizes_refused_before_allocating(tmp_path, saved):
    bad = _bad(tmp_path)
    _edit_layers(saved, bad, lambda ls: ls[1]["config"].update(units=10 ** 12))
    with pytest.raises(ValueError, match="weights"):
        cnn.models.load_model(bad)
    _edit_layers(saved, bad, lambda ls: ls[0]["config"].update(batch_shape=[None, 10 ** 15]))
    with pytest.raises(ValueError, match="weights"):
        cnn.models.load_model(bad)


def test_path_traversal_member_refused(tmp_path, saved):
    bad = _bad(tmp_path)
    _rezip(saved, bad, add={"../../evil.txt": b"x"})
    with pytest.raises(ValueError, match="unsafe member name"):
        cnn.models.load_model(bad)
    _rezip(saved, bad, add={"/etc/evil": b"x"})
    with pytest.raises(ValueError, match="unsafe member name"):
        cnn.models.load_model(bad)


_RAN = []


def _payload():
    _RAN.append(True)


class _Evil:
    def __reduce__(self):
        return (_payload, ())


def _npz_with(saved, edits):
    with zipfile.ZipFile(saved) as z:
        npz = np.load(io.BytesIO(z.read("model.weights.npz")))
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(edits)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize("value", [
    np.array([["a", "b", "c"]] * 4),                       # strings of the right shape
    np.zeros((4, 5), dtype=np.complex64),
    np.array([[_Evil()] * 5] * 4, dtype=object),           # a pickle: must never be unpickled
], ids=["strings", "complex", "pickled-object"])
def test_wrong_dtypes_refused(tmp_path, saved, value):
    bad = _bad(tmp_path)
    _rezip(saved, bad, replace={"model.weights.npz": _npz_with(saved, {"layers/dense/vars/0": value})})
    with pytest.raises(ValueError, match="holds"):
        cnn.models.load_model(bad)
    assert not _RAN


def test_corrupt_weights_member(tmp_path, saved):
    bad = _bad(tmp_path)
    _rezip(saved, bad, replace={"model.weights.npz": b"garbage" * 10})
    with pytest.raises(ValueError):
        cnn.models.load_model(bad)


def test_bad_optimizer_state(tmp_path, saved):
    bad = _bad(tmp_path)
    _rezip(saved, bad, replace={"model.weights.npz": _npz_with(saved, {"optimizer/vars/0": np.array(-3.0)})})
    with pytest.raises(ValueError, match="iteration"):
        cnn.models.load_model(bad)
    _rezip(saved, bad, replace={"model.weights.npz": _npz_with(saved, {"optimizer/vars/2": np.zeros(7)})})
    with pytest.raises(ValueError, match="shape"):
        cnn.models.load_model(bad)
    config = _config_of(saved)
    config["compile_config"]["loss"] = {"module": "keras.losses", "class_name": "NoSuchLoss", "config": {}}
    _with_config(saved, bad, config)
    with pytest.raises(ValueError, match="compile=False"):
        cnn.models.load_model(bad)
    assert not cnn.models.load_model(bad, compile=False).compiled


def test_failed_load_weights_changes_nothing(tmp_path, saved):
    bad = _bad(tmp_path)
    _rezip(saved, bad, replace={"model.weights.npz": _npz_with(saved, {"optimizer/vars/5": np.zeros(9)})})
    m = _model()
    _fit(m, 1)
    before, iterations = m.get_weights(), m.optimizer.iterations
    with pytest.raises(ValueError, match="shape"):
        m.load_weights(bad)
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
    assert m.optimizer.iterations == iterations


@needs_h5py
def test_hostile_h5(tmp_path):
    m = _model()
    path = str(tmp_path / "w.weights.h5")
    m.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")
    with pytest.raises(ValueError, match="SoftLink"):
        _model().load_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.array([[b"x"] * 5] * 4)
    with pytest.raises(ValueError, match="holds"):
        _model().load_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.zeros((5, 4), np.float32)
    with pytest.raises(ValueError, match="shape"):
        _model().load_weights(path)
    with open(path, "wb") as f:
        f.write(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ValueError, match="HDF5"):
        _model().load_weights(path)


# ------------------------------------------------------------------------------ pickle and deepcopy

@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
@pytest.mark.parametrize("state", ["trained", "compiled", "uncompiled"])
def test_copies_predict_the_same_and_train_independently(how, state):
    m = _model(compile=state != "uncompiled")
    if state == "trained":
        _fit(m)
    c = pickle.loads(pickle.dumps(m)) if how == "pickle" else copy.deepcopy(m)
    assert np.array_equal(m.predict(X, verbose=0), c.predict(X, verbose=0))
    assert not any(np.shares_memory(a.value, b.value) for a, b in zip(m.weights, c.weights))
    if state == "uncompiled":
        return
    assert c.optimizer is not m.optimizer and c.optimizer.iterations == m.optimizer.iterations
    before = m.predict(X, verbose=0)
    h_copy = _fit(c)
    assert np.array_equal(m.predict(X, verbose=0), before)      # training the copy leaves m alone
    assert _fit(m) == h_copy and _same_weights(m, c)            # same optimizer state, same steps


def test_copy_of_unbuilt_model():
    m = cnn.Sequential([layers.Dense(3)])
    for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert not c.built
        c.build((None, 4))
        assert c.layers[0].kernel.shape == (4, 3) and not m.built


# ------------------------------------------------------------------------------ Keras cross-loading

@needs_h5py
def test_keras_cross_loading(tmp_path):
    if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("torch") is not None:
        os.environ["KERAS_BACKEND"] = "torch"
    keras = pytest.importorskip("keras")
    m = _model()
    _fit(m)
    path = str(tmp_path / "cnn.keras")
    m.save(path)
    km = keras.saving.load_model(path)
    np.testing.assert_allclose(km.predict(X, verbose=0), m.predict(X, verbose=0), atol=1e-5)
    assert int(km.optimizer.iterations.numpy()) == m.optimizer.iterations

    k = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(6, activation="tanh"),
                          keras.layers.BatchNormalization(), keras.layers.LeakyReLU(),
                          keras.layers.Dense(3, activation="softmax")])
    k.compile(optimizer=keras.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
              loss="categorical_crossentropy", metrics=["accuracy"])
    k.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    kpath = str(tmp_path / "keras.keras")
    k.save(kpath)
    c = cnn.models.load_model(kpath)
    np.testing.assert_allclose(c.predict(X, verbose=0), k.predict(X, verbose=0), atol=1e-5)
    assert type(c.optimizer) is optimizers.RMSprop and c.optimizer.iterations == 5
