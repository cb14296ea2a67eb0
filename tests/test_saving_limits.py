"""Bounded loading (issue 14 item 3): a .keras file of at most 1 MB loads or is refused within 2 s and
200 MB of memory, whatever it holds; BackupAndRestore refuses metadata that is not an epoch count.

Each case runs in a fresh interpreter that measures its own wall time and peak-RSS growth around the
call (ru_maxrss), so one case's memory cannot hide behind another's.
"""
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

SECONDS, MEGABYTES = 2.0, 200
MB = 1 << 20

_CHILD = textwrap.dedent("""
    import json, os, resource, sys, time, warnings
    import numpy as np
    import h5py  # noqa: F401 (imported before measuring: loading may need it)
    import cnn
    from cnn import callbacks, layers, models, saving  # noqa: F401
    warnings.simplefilter("ignore")

    def status_mb(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024

    def reset_peak():
        # the current RSS in MB, after resetting the peak (Linux's clear_refs) when possible
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return status_mb("VmRSS:")
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def peak_mb():
        try:
            return status_mb("VmHWM:")
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    case, path = sys.argv[1], sys.argv[2]
    if case == "backup":    # a model to resume, built before measuring
        model = cnn.Sequential([cnn.Input(shape=(2,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.save_weights(os.path.join(path, "latest.weights.h5"))
        epochs = []
        seen = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: epochs.append(epoch))
    before, start = reset_peak(), time.perf_counter()
    try:
        if case == "load":
            model = models.load_model(path)
            outcome = "loaded " + str(len(model.layers))
        elif case == "sequential":
            model = cnn.Sequential([cnn.Input(shape=(3,))] + [layers.Dropout(0.0) for _ in range(int(path))])
            outcome = "built " + str(len(model.layers))
        else:
            model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=5, verbose=0,
                      callbacks=[callbacks.BackupAndRestore(path, delete_checkpoint=False), seen])
            outcome = "ran epochs " + str(epochs)
    except ValueError as e:
        outcome = "ValueError: " + str(e)
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start,
                      "mb": peak_mb() - before}))
""")


def _measure(case, arg):
    """(outcome, seconds, MB of peak memory growth) of one call in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, case, str(arg)], capture_output=True, text=True,
                              check=False, timeout=30, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case} {arg}: still running after 30 s")
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{case}: {result['seconds']:.2f} s, {result['mb']:.0f} MB, {result['outcome'][:120]}")  # with -s
    return result["outcome"], result["seconds"], result["mb"]


# Under AddressSanitizer (.ci/sanitize) every allocation carries redzones and shadow memory and runs
# several times slower: there the outcome is checked, the budgets only in an ordinary build.
_SANITIZED = "libasan" in os.environ.get("LD_PRELOAD", "")


def _assert_bounded(outcome, seconds, mb, expected):
    assert expected in outcome, outcome
    if _SANITIZED:
        return
    assert seconds < SECONDS, f"took {seconds:.2f} s: {outcome[:200]}"
    assert mb < MEGABYTES, f"peak memory grew by {mb:.0f} MB: {outcome[:200]}"


# ------------------------------------------------------------------------------ hand-made files

def _layer(class_name, **config):
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


def _model_config(body, n_inputs=3, **extra):
    layers = [_layer("InputLayer", batch_shape=[None, n_inputs], name="input")] + body
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "hostile", "layers": layers}, **extra}


def _npz(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _write(path, config_bytes, weights=None, deflate=()):
    """A .keras zip; the members named in `deflate` are compressed (as a bomb would be)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in (("metadata.json", b'{"keras_version": "3.0.0"}'), ("config.json", config_bytes),
                           ("model.weights.npz", _npz(weights or {}) if not isinstance(weights, bytes)
                            else weights)):
            method = zipfile.ZIP_DEFLATED if name in deflate else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    size = os.path.getsize(path)
    assert size <= MB, f"the test file should be at most 1 MB, it is {size} bytes"
    return str(path)


def _dropouts(n):
    return [{"class_name": "Dropout", "config": {"rate": 0, "name": f"d{i}"}} for i in range(n)]


def test_forty_thousand_layers_refused_quickly(tmp_path):
    path = _write(tmp_path / "many.keras", json.dumps(_model_config(_dropouts(40000))).encode(),
                  deflate=("config.json",))
    _assert_bounded(*_measure("load", path), "lists 40001 layers; cnn loads at most")


def test_ten_thousand_layers_load_in_linear_time(tmp_path):
    path = _write(tmp_path / "many.keras", json.dumps(_model_config(_dropouts(9999))).encode(),
                  deflate=("config.json",))
    _assert_bounded(*_measure("load", path), "loaded 9999")


def test_adding_ten_thousand_layers_is_linear():
    _assert_bounded(*_measure("sequential", 20000), "built 20000")


def test_config_bomb_refused_before_parsing(tmp_path):
    # 64 KB that inflate to 63 MB of JSON: it cost 1.6 GB to parse
    junk = b"[" + b"{}," * (21 * MB) + b"{}]"
    config = json.dumps(_model_config([_layer("Dense", units=2, name="d")])).encode()
    path = _write(tmp_path / "bomb.keras", config[:-1] + b', "junk": ' + junk + b"}", deflate=("config.json",))
    _assert_bounded(*_measure("load", path), "'config.json' is 66060666 bytes, too large")


@pytest.mark.parametrize("item", [b"{},", b"[],"], ids=["dicts", "lists"])
def test_config_at_its_cap_is_bounded_whatever_it_holds(tmp_path, item):
    # just under the 3 MB cap, of the JSON that costs most to parse (~25x its size as Python objects)
    config = json.dumps(_model_config([_layer("Dense", units=2, name="d")])).encode()
    junk = b"[" + item * ((3 * MB - len(config) - 100) // len(item)) + b"0]"
    weights = {"layers/dense/vars/0": np.ones((3, 2), np.float32), "layers/dense/vars/1": np.ones(2, np.float32)}
    path = _write(tmp_path / "wide.keras", config[:-1] + b', "junk": ' + junk + b"}", weights,
                  deflate=("config.json",))
    _assert_bounded(*_measure("load", path), "loaded 1")


def test_deep_nesting_refused(tmp_path):
    config = json.dumps(_model_config([_layer("Dropout", rate=0.0, name="d")])).encode()
    junk = b"[" * 70 + b"]" * 70
    path = _write(tmp_path / "deep.keras", config[:-1] + b', "junk": ' + junk + b"}")
    _assert_bounded(*_measure("load", path), "nested more than 64 levels")


def test_weights_member_bomb_refused(tmp_path):
    # a model of 15M floats whose weights are 60 MB of zeros, deflated into a file of < 1 MB
    units = 15 * MB // 4
    config = json.dumps(_model_config([_layer("Dense", units=units, name="d")])).encode()
    weights = {"layers/dense/vars/0": np.zeros((3, units), np.float32),
               "layers/dense/vars/1": np.zeros((units,), np.float32)}
    path = _write(tmp_path / "zeros.keras", config, weights, deflate=("model.weights.npz",))
    _assert_bounded(*_measure("load", path), "decompression bomb")


def test_model_larger_than_its_weight_arrays_refused_before_allocating(tmp_path):
    # the member may hold 12 MB (it is under its expansion cap) but its arrays declare 6 floats,
    # while the config asks for 2.8M weights: refused by comparing the array headers with what the
    # layers declare, before the model is built (the message says which check fired)
    units = 2 * MB // 3
    config = json.dumps(_model_config([_layer("Dense", units=units, name="d")])).encode()
    weights = {"layers/dense/vars/0": np.zeros((3, 2), np.float32), "junk": np.zeros(3 * MB, np.float32)}
    path = _write(tmp_path / "liar.keras", config, weights, deflate=("model.weights.npz",))
    _assert_bounded(*_measure("load", path), "asks for 2796200 weights but the file stores at most 1048576")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e300])
def test_non_finite_weights_refused_as_set_weights_does(tmp_path, value):
    kernel = np.ones((3, 2), np.float64)
    kernel[1, 1] = value
    config = json.dumps(_model_config([_layer("Dense", units=2, name="d")])).encode()
    path = _write(tmp_path / "nan.keras", config, {"layers/dense/vars/0": kernel,
                                                    "layers/dense/vars/1": np.zeros(2, np.float32)})
    _assert_bounded(*_measure("load", path), "not a finite numeric array")


# ------------------------------------------------------------------------------ BackupAndRestore

@pytest.mark.parametrize("metadata", [
    '{"epoch": -3, "batch": 0}', '{"epoch": "2"}', '{"epoch": true}', '{"epoch": 2.5}', '{"epoch": 1e300}',
    '{"epoch": 100000000000000000000}', '{"batch": 0}', '[3]', "{not json", "",
])
def test_backup_metadata_must_hold_an_epoch_count(tmp_path, metadata):
    (tmp_path / "training_metadata.json").write_text(metadata)
    _assert_bounded(*_measure("backup", tmp_path), "does not hold a valid backup")


def test_backup_metadata_resumes_at_its_epoch(tmp_path):
    (tmp_path / "training_metadata.json").write_text('{"epoch": 3, "batch": 0}')
    _assert_bounded(*_measure("backup", tmp_path), "ran epochs [3, 4]")


def test_largest_model_a_small_file_may_hold_loads_within_bounds(tmp_path):
    # 16 MB of float16 zeros (the expansion floor) in a file of < 1 MB: 8M weights, compiled with
    # Adam, so loading allocates the weights and two slots per weight
    units = (16 * MB - 65536) // 8
    config = _model_config([_layer("Dense", units=units, name="d")], n_inputs=3,
                           compile_config={"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
                                                         "config": {"learning_rate": 0.001}},
                                           "loss": "mse", "metrics": None})
    weights = {"layers/dense/vars/0": np.zeros((3, units), np.float16),
               "layers/dense/vars/1": np.zeros((units,), np.float16),
               "optimizer/vars/0": np.array(0), "optimizer/vars/1": np.array(0.001, np.float32)}
    path = _write(tmp_path / "big.keras", json.dumps(config).encode(), weights, deflate=("model.weights.npz",))
    _assert_bounded(*_measure("load", path), "loaded 1")
