"""Side-by-side numbers: cnn against Keras 3 (torch backend) on the same weights and data.

Needs both packages in one interpreter (Keras is not a dependency of cnn, only of this script):

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> python benchmarks/compare_keras.py

It builds the same small models in both, copies Keras's initial weights into cnn with
set_weights, and compares
  1. predictions;
  2. every built-in loss through model.evaluate (batch 32 over 50 rows: a short last batch);
  3. the weights (and returned losses) after N train_on_batch steps for each optimizer setting;
  4. the optimizer update alone, given identical gradients (no forward/backward in between).
A case passes when max|cnn - keras| <= TOL * max(1, max|keras|): float32 rounding, amplified a
little by different summation orders in the matrix products. Exit status 1 if any case fails.
Bitwise equality is not expected: Keras-on-torch evaluates x.add_(y, alpha=a) as a fused
multiply-add and its CPU sqrt (MKL) is not correctly rounded, while cnn rounds every operation.
"""
import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

TOL = 1e-5
N_ROWS, N_IN = 50, 11
rows = []   # (section, case, max abs diff, max rel diff, ok, note)


def record(section, case, got, ref, note=""):
    got = [np.asarray(g, np.float64) for g in (got if isinstance(got, (list, tuple)) else [got])]
    ref = [np.asarray(r, np.float64) for r in (ref if isinstance(ref, (list, tuple)) else [ref])]
    if len(got) != len(ref) or any(g.shape != r.shape for g, r in zip(got, ref)):
        rows.append((section, case, np.nan, np.nan, False, "shapes differ: "
                     f"{[g.shape for g in got]} vs {[r.shape for r in ref]}"))
        return
    diff = max((float(np.max(np.abs(g - r))) if g.size else 0.0) for g, r in zip(got, ref))
    scale = max((float(np.max(np.abs(r))) if r.size else 0.0) for r in ref)
    ok = bool(np.isfinite(diff)) and diff <= TOL * max(1.0, scale)
    rows.append((section, case, diff, diff / scale if scale else diff, ok, note))


def failed(section, case, err):
    rows.append((section, case, np.nan, np.nan, False, f"{type(err).__name__}: {err}"[:150]))


# ---------------------------------------------------------------------- models and data

def build(lib, arch):
    """The same architecture in keras or cnn (identical API)."""
    D = lib.layers.Dense
    hidden = [lib.Input((N_IN,)), D(16, activation="relu")]
    heads = {
        "regression": [D(8, activation="tanh"), D(1)],
        "softmax": [D(4, activation="softmax")],
        "logits": [D(4)],
        "sigmoid": [D(1, activation="sigmoid")],
        "logit1": [D(1)],
        "tanh": [D(1, activation="tanh")],
    }
    return lib.Sequential(hidden + heads[arch])


def data(rng):
    x = rng.standard_normal((N_ROWS, N_IN)).astype(np.float32)
    ids = rng.integers(0, 4, N_ROWS)
    onehot = np.eye(4, dtype=np.float32)[ids]
    probs = rng.dirichlet(np.ones(4), N_ROWS).astype(np.float32)
    return {
        "x": x,
        "real": rng.standard_normal((N_ROWS, 1)).astype(np.float32),
        "positive": rng.uniform(1.0, 3.0, (N_ROWS, 1)).astype(np.float32),
        "onehot": onehot, "ids": ids.astype(np.int64), "probs": probs,
        "counts": rng.poisson(1.0, (N_ROWS, 4)).astype(np.float32),
        "vectors": rng.standard_normal((N_ROWS, 4)).astype(np.float32),
        "binary": rng.integers(0, 2, (N_ROWS, 1)).astype(np.float32),
    }


# (case name, architecture, target, loss class, loss kwargs)
LOSSES = [
    ("mse", "regression", "real", "MeanSquaredError", {}),
    ("mae", "regression", "real", "MeanAbsoluteError", {}),
    ("mape", "regression", "positive", "MeanAbsolutePercentageError", {}),
    ("msle", "regression", "positive", "MeanSquaredLogarithmicError", {}),
    ("huber", "regression", "real", "Huber", {}),
    ("huber(delta=0.5)", "regression", "real", "Huber", {"delta": 0.5}),
    ("log_cosh", "regression", "real", "LogCosh", {}),
    ("binary_crossentropy", "sigmoid", "binary", "BinaryCrossentropy", {}),
    ("binary_crossentropy(ls=0.1)", "sigmoid", "binary", "BinaryCrossentropy",
     {"label_smoothing": 0.1}),
    ("binary_crossentropy(from_logits)", "logit1", "binary", "BinaryCrossentropy",
     {"from_logits": True}),
    ("categorical_crossentropy", "softmax", "onehot", "CategoricalCrossentropy", {}),
    ("categorical_crossentropy(ls=0.1)", "softmax", "onehot", "CategoricalCrossentropy",
     {"label_smoothing": 0.1}),
    ("categorical_crossentropy(from_logits)", "logits", "onehot", "CategoricalCrossentropy",
     {"from_logits": True}),
    ("categorical_crossentropy(from_logits,ls=0.2)", "logits", "onehot",
     "CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}),
    ("sparse_categorical_crossentropy", "softmax", "ids", "SparseCategoricalCrossentropy", {}),
    ("sparse_categorical_crossentropy(from_logits)", "logits", "ids",
     "SparseCategoricalCrossentropy", {"from_logits": True}),
    ("hinge", "tanh", "binary", "Hinge", {}),
    ("squared_hinge", "tanh", "binary", "SquaredHinge", {}),
    ("categorical_hinge", "softmax", "onehot", "CategoricalHinge", {}),
    ("kl_divergence", "softmax", "probs", "KLDivergence", {}),
    ("poisson", "softmax", "counts", "Poisson", {}),
    ("cosine_similarity", "softmax", "vectors", "CosineSimilarity", {}),
]

# (case name, optimizer class, kwargs); each trained on every TRAIN_SETUPS model and loss
OPTIMIZERS = [
    ("SGD", "SGD", {"learning_rate": 0.1}),
    ("SGD(momentum=0.9)", "SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD(nesterov)", "SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adam", "Adam", {"learning_rate": 0.01}),
    ("Adam(amsgrad)", "Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("RMSprop", "RMSprop", {"learning_rate": 0.01}),
    ("RMSprop(momentum=0.9)", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop(centered)", "RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("Adagrad", "Adagrad", {"learning_rate": 0.1}),
]
EXTRA_OPTIMIZERS = [
    ("AdamW", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Adadelta", "Adadelta", {"learning_rate": 1.0}),
    ("Adamax", "Adamax", {"learning_rate": 0.01}),
    ("Nadam", "Nadam", {"learning_rate": 0.01}),
    ("Lion", "Lion", {"learning_rate": 0.001}),
    ("Ftrl", "Ftrl", {"learning_rate": 0.1}),
]
TRAIN_SETUPS = [("regression", "real", "MeanSquaredError"),
                ("softmax", "onehot", "CategoricalCrossentropy")]


def pair(keras, cnn, arch, seed):
    keras.utils.set_random_seed(seed)
    k = build(keras, arch)
    c = build(cnn, arch)
    c.set_weights(k.get_weights())
    return k, c


def as_float(r):
    return float(np.ravel(np.asarray(r, np.float64))[0])


# ---------------------------------------------------------------------- the comparisons

def compare_predictions(keras, cnn, d):
    for arch in ("regression", "softmax", "logits", "sigmoid", "tanh"):
        try:
            k, c = pair(keras, cnn, arch, 1)
            record("predict", arch, c.predict(d["x"], verbose=0), k.predict(d["x"], verbose=0))
        except Exception as e:  # noqa: BLE001 - report and go on
            failed("predict", arch, e)


def compare_losses(keras, cnn, d):
    for case, arch, target, cls, kw in LOSSES:
        try:
            k, c = pair(keras, cnn, arch, 2)
            k.compile(optimizer=keras.optimizers.SGD(0.01), loss=getattr(keras.losses, cls)(**kw))
            c.compile(optimizer=cnn.optimizers.SGD(0.01), loss=getattr(cnn.losses, cls)(**kw))
            y = d[target]
            kl = as_float(k.evaluate(d["x"], y, batch_size=32, verbose=0))
            cl = as_float(c.evaluate(d["x"], y, batch_size=32, verbose=0))
            record("evaluate", case, cl, kl)
        except Exception as e:  # noqa: BLE001
            failed("evaluate", case, e)


def compare_training(keras, cnn, d, steps, cases):
    for arch, target, loss in TRAIN_SETUPS:
        for case, cls, kw in cases:
            name = f"{case} / {loss}"
            try:
                k, c = pair(keras, cnn, arch, 3)
                k.compile(optimizer=getattr(keras.optimizers, cls)(**kw),
                          loss=getattr(keras.losses, loss)())
                c.compile(optimizer=getattr(cnn.optimizers, cls)(**kw),
                          loss=getattr(cnn.losses, loss)())
                kl, cl = [], []
                for _ in range(steps):
                    kl.append(as_float(k.train_on_batch(d["x"], d[target])))
                    cl.append(as_float(c.train_on_batch(d["x"], d[target])))
                record("train_on_batch loss", name, cl, kl)
                record(f"weights after {steps} steps", name, c.get_weights(), k.get_weights())
            except Exception as e:  # noqa: BLE001
                failed(f"weights after {steps} steps", name, e)


def compare_update_alone(keras, cnn, steps):
    """The optimizer update from identical gradients: keras optimizer.apply vs _core.opt_step."""
    import torch

    from cnn import _core
    rng = np.random.default_rng(5)
    n = 1000
    for case, cls, kw in OPTIMIZERS + EXTRA_OPTIMIZERS:
        try:
            p0 = rng.standard_normal(n).astype(np.float32)
            grads = [(rng.standard_normal(n) * (0.2 + 0.7 * t)).astype(np.float32)
                     for t in range(steps)]
            kv = keras.Variable(p0.copy())
            ko = getattr(keras.optimizers, cls)(**kw)
            o = getattr(cnn.optimizers, cls)(**kw)
            rec = o._c_record()
            state = _core.opt_state_count(rec) if hasattr(_core, "opt_state_count") else 0
            slots = np.zeros(_core.opt_slot_count(rec) * n + state, np.float32)
            _core.opt_init_slots(rec, slots)
            p = p0.copy()
            for it, g in enumerate(grads):
                ko.apply([torch.from_numpy(g.copy())], [kv])
                _core.opt_step(rec, p, slots, g, it + 1, o._lr_at(it))
            kp = keras.ops.convert_to_numpy(kv.value)
            record("update from equal gradients", case, p, kp,
                   f"{100 * np.mean(p == kp):.0f}% bit-equal")
        except Exception as e:  # noqa: BLE001
            failed("update from equal gradients", case, e)


def compare_saved_files(keras, cnn, k, c, x, y, name, folder):
    """Each library trains its twin two epochs and saves it; the other loads the .keras file and must
    predict the same."""
    for src, dst, model, opt, label in ((keras, cnn, k, keras.optimizers.Adam(0.01), "keras file -> cnn"),
                                        (cnn, keras, c, cnn.optimizers.Adam(0.01), "cnn file -> keras")):
        try:
            model.compile(optimizer=opt, loss="mse")
            model.fit(x, y, epochs=2, verbose=0)
            path = os.path.join(folder, f"{src.__name__}.keras")
            model.save(path)
            loaded = dst.saving.load_model(path)
            record(label, name, loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        except Exception as e:  # noqa: BLE001
            failed(label, name, e)


def print_header(keras, cnn):
    """Versions, backend and the pass rule, printed before a comparison table."""
    if keras.backend.backend() != "torch":
        print(f"note: Keras backend is {keras.backend.backend()!r}, not 'torch'")
    print(f"keras {keras.__version__} ({keras.backend.backend()}), cnn {cnn.__version__}, "
          f"numpy {np.__version__}")
    print(f"PASS when max|cnn - keras| <= {TOL:g} * max(1, max|keras|)  "
          f"(rel diff = max|cnn - keras| / max|keras|)\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=5, help="train_on_batch steps (default 5)")
    ap.add_argument("--only", choices=["predict", "losses", "train", "update"], default=None)
    args = ap.parse_args()
    import keras

    import cnn
    print_header(keras, cnn)
    d = data(np.random.default_rng(0))
    if args.only in (None, "predict"):
        compare_predictions(keras, cnn, d)
    if args.only in (None, "losses"):
        compare_losses(keras, cnn, d)
    if args.only in (None, "train"):
        compare_training(keras, cnn, d, args.steps, OPTIMIZERS + EXTRA_OPTIMIZERS)
    if args.only in (None, "update"):
        compare_update_alone(keras, cnn, args.steps)

    return print_table()


def print_table():
    """Prints the recorded rows by section and returns the exit code (1 when any case failed)."""
    w = max(len(r[1]) for r in rows)
    section = None
    sections = list(dict.fromkeys(r[0] for r in rows))
    for sec, case, diff, rel, ok, note in sorted(rows, key=lambda r: sections.index(r[0])):
        if sec != section:
            section = sec
            print(f"== {sec}")
        print(f"  {case:<{w}}  max abs diff {diff:10.3e}  max rel diff {rel:10.3e}  "
              f"{'PASS' if ok else 'FAIL'}  {note}")
    nfail = sum(not r[4] for r in rows)
    print(f"\n{len(rows) - nfail} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
