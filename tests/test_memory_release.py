"""What a lesson no longer needs is freed (issue 10: a whole lesson stays small): a model and its
History reference each other as in Keras (`history.model`, `model.history`), so a dropped model goes at
the garbage collector's next pass, which `cnn.backend.clear_session()` runs at once as Keras 3's does;
a search in this process neither imports Dask nor keeps every trial's weights; the shipped CSVs load
without a big temporary."""
import gc
import subprocess
import sys
import weakref

import numpy as np

import cnn
from cnn import callbacks, layers


def _fit_and_drop(make_callbacks):
    cbs = make_callbacks()
    x = np.random.default_rng(0).random((64, 5), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype(np.float32)
    model = cnn.Sequential([layers.Input(shape=(5,)), layers.Dense(8, activation="relu"),
                            layers.Dropout(0.1), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", cnn.metrics.AUC()])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, callbacks=cbs, verbose=0)
    assert history.model is model and model.history is history   # as Keras: each holds the other
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    return weakref.ref(model), weakref.ref(history)


def test_a_dropped_model_is_freed_by_clear_session():
    gc.disable()
    try:
        for make in (list, lambda: [callbacks.EarlyStopping(patience=1, restore_best_weights=True)],
                     lambda: [callbacks.LearningRateScheduler(lambda epoch: 0.01)]):
            model, history = _fit_and_drop(make)
            cnn.backend.clear_session()
            assert model() is None and history() is None, f"a model fitted with {make()} outlived clear_session"
    finally:
        gc.enable()


def test_a_history_keeps_its_model_as_in_keras():
    def train():
        model = cnn.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model.fit(np.ones((8, 3), np.float32), np.ones((8, 1), np.float32), epochs=1, verbose=0)
    history = train()
    gc.collect()
    assert history.model is not None and history.model.predict(np.ones((1, 3), np.float32), verbose=0).shape == (1, 1)


def test_a_search_in_this_process_imports_no_dask_and_keeps_weights_on_disk(tmp_path):
    code = f"""
import sys, numpy as np, cnn
from cnn import layers
from cnn.tuner import RandomSearch
def build(hp):
    m = cnn.Sequential([layers.Input(shape=(3,)), layers.Dense(hp.Int("u", 2, 8, step=2)), layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    return m
x = np.random.default_rng(0).random((32, 3), dtype=np.float32)
t = RandomSearch(build, objective="val_loss", max_trials=3, seed=0, directory={str(tmp_path)!r})
t.search(x, x[:, :1], epochs=2, validation_split=0.25, verbose=0)
best = t.get_best_models(1)[0]
assert best.evaluate(x[24:], x[24:, :1], verbose=0) == min(tr.score for tr in t.trials.values())
assert not hasattr(t, "_weights")
print(sorted(m for m in ("distributed", "dask", "cloudpickle") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lesson_csvs_load_without_a_big_temporary():
    code = """
import resource
from cnn.datasets import load_ionosphere, load_iris, load_sonar
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
(xt, yt), (xv, yv) = load_ionosphere()
x, y = load_sonar()
xi, yi = load_iris()
assert xt.shape == (246, 33) and xv.shape == (105, 33) and x.shape == (208, 60) and xi.shape == (150, 4)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    grew = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert grew < 4, f"loading the lesson CSVs raised the peak memory by {grew} MB"
