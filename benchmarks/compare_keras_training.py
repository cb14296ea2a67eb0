"""Training features side by side: cnn against Keras 3 (torch backend), same weights and data.

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> python benchmarks/compare_keras_training.py

Complements compare_keras.py (predictions, losses, plain optimizer steps) with what training adds:
  1. BatchNormalization (first layer, before and after an activation): weights incl. the moving
     statistics after 5 train_on_batch steps (SGD, Adam), inference predictions, evaluate loss;
  2. kernel / bias / activity regularizers (L1, L2, L1L2, 'l2'): returned losses and weights;
  3. kernel / bias constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm) under SGD(momentum=0.9);
  4. optimizer options: clipnorm, clipvalue, global_clipnorm, weight_decay, use_ema (fit);
  5. learning-rate schedules (and tf.keras 2's decay=, against Keras's InverseTimeDecay);
  6. fit(): history (loss, metrics, val_*) and final weights, with sample_weight, class_weight,
     and the LearningRateScheduler callback;
  7. the EarlyStopping doctest (history length).
Every model starts from Keras's initial weights (copied with set_weights). Tolerance rule and
table format are those of compare_keras.py; exit status 1 if any case fails.
"""
import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from compare_keras import as_float, failed, print_header, print_table, record, rows  # noqa: E402

N_ROWS, N_IN = 50, 11


def data(rng):
    x = rng.standard_normal((N_ROWS, N_IN)).astype(np.float32)
    ids = rng.integers(0, 4, N_ROWS)
    return {
        "x": x * np.linspace(0.5, 3.0, N_IN, dtype=np.float32) + 0.5,   # BN has something to undo
        "real": rng.standard_normal((N_ROWS, 1)).astype(np.float32),
        "ids": ids.astype(np.int64),
        "onehot": np.eye(4, dtype=np.float32)[ids],
        "sw": rng.uniform(0.2, 2.0, N_ROWS).astype(np.float32),
        "xv": rng.standard_normal((20, N_IN)).astype(np.float32),
        "realv": rng.standard_normal((20, 1)).astype(np.float32),
        "idsv": rng.integers(0, 4, 20).astype(np.int64),
    }


def pair(keras, cnn, make, seed):
    """make(lib) -> model; returns (keras model, cnn model with keras's initial weights)."""
    keras.utils.set_random_seed(seed)
    k = make(keras)
    c = make(cnn)
    c.set_weights(k.get_weights())
    return k, c


def mlp(head=1, head_act=None, **dense_kw):
    """Input(11) -> Dense(16, relu, **dense_kw) -> Dense(head, head_act)."""
    def make(lib):
        return lib.Sequential([lib.Input((N_IN,)),
                               lib.layers.Dense(16, activation="relu", **_resolve(lib, dense_kw)),
                               lib.layers.Dense(head, activation=head_act)])
    return make


def _resolve(lib, kw):
    """kwargs whose values are ('module', 'Class', {args}) built from lib (keras or cnn)."""
    out = {}
    for key, v in kw.items():
        if isinstance(v, tuple):
            mod, cls, args = v
            out[key] = getattr(getattr(lib, mod), cls)(**args)
        else:
            out[key] = v
    return out


def opt(lib, spec):
    cls, kw = spec
    return getattr(lib.optimizers, cls)(**_resolve_schedule(lib, kw))


def _resolve_schedule(lib, kw):
    kw = dict(kw)
    lr = kw.get("learning_rate")
    if isinstance(lr, tuple):
        kw["learning_rate"] = getattr(lib.optimizers.schedules, lr[0])(**lr[1])
    return kw


def train_steps(k, c, x, y, steps):
    kl, cl = [], []
    for _ in range(steps):
        kl.append(as_float(k.train_on_batch(x, y)))
        cl.append(as_float(c.train_on_batch(x, y)))
    return cl, kl


# ---------------------------------------------------------------------- 1. BatchNormalization

# A bias just before BN has a zero gradient in exact arithmetic: its float gradient is rounding
# noise, which Adam scales up to steps of ~lr * noise / epsilon, different in each library. So
# that layout is compared under SGD only (where the noise stays negligible).
BN_ARCHS = {
    "BN first": lambda L: [L.layers.BatchNormalization(), L.layers.Dense(16, activation="relu"),
                           L.layers.Dense(1)],
    "BN before act": lambda L: [L.layers.Dense(16, use_bias=False), L.layers.BatchNormalization(),
                                L.layers.Activation("relu"), L.layers.Dense(1)],
    "Dense(bias) -> BN -> act": lambda L: [L.layers.Dense(16), L.layers.BatchNormalization(),
                                           L.layers.Activation("relu"), L.layers.Dense(1)],
    "BN after act": lambda L: [L.layers.Dense(16, activation="tanh"),
                               L.layers.BatchNormalization(momentum=0.8), L.layers.Dense(1)],
    "BN x3 (no bias/scale)": lambda L: [
        L.layers.BatchNormalization(center=False), L.layers.Dense(16, use_bias=False),
        L.layers.BatchNormalization(scale=False), L.layers.Activation("relu"),
        L.layers.Dense(8, activation="relu"), L.layers.BatchNormalization(momentum=0.5),
        L.layers.Dense(1)],
}


def compare_batchnorm(keras, cnn, d, steps):
    for arch, layers in BN_ARCHS.items():
        for oname, spec in (("SGD", ("SGD", {"learning_rate": 0.05})),
                            ("Adam", ("Adam", {"learning_rate": 0.01}))):
            if arch.startswith("Dense(bias)") and oname != "SGD":
                continue
            name = f"{arch} / {oname}"
            try:
                k, c = pair(keras, cnn, lambda L: L.Sequential([L.Input((N_IN,))] + layers(L)), 11)
                k.compile(optimizer=opt(keras, spec), loss="mse")
                c.compile(optimizer=opt(cnn, spec), loss="mse")
                cl, kl = train_steps(k, c, d["x"], d["real"], steps)
                record("1. BatchNorm: train_on_batch loss", name, cl, kl)
                record(f"1. BatchNorm: weights+moving stats after {steps} steps", name,
                       c.get_weights(), k.get_weights())
                record("1. BatchNorm: predict (inference)", name,
                       c.predict(d["x"], verbose=0), k.predict(d["x"], verbose=0))
                record("1. BatchNorm: evaluate loss", name,
                       as_float(c.evaluate(d["x"], d["real"], batch_size=32, verbose=0)),
                       as_float(k.evaluate(d["x"], d["real"], batch_size=32, verbose=0)))
            except Exception as e:  # noqa: BLE001 - report and go on
                failed("1. BatchNorm: weights+moving stats after 5 steps", name, e)


# ---------------------------------------------------------------------- 2. regularizers

def reg(cls, **kw):
    return ("regularizers", cls, kw)


REGULARIZERS = [
    ("kernel L1(0.01)", {"kernel_regularizer": reg("L1", l1=0.01)}),
    ("kernel L2(0.01)", {"kernel_regularizer": reg("L2", l2=0.01)}),
    ("kernel L1L2(0.01,0.02)", {"kernel_regularizer": reg("L1L2", l1=0.01, l2=0.02)}),
    ("kernel 'l2'", {"kernel_regularizer": "l2"}),
    ("bias L1(0.05)", {"bias_regularizer": reg("L1", l1=0.05)}),
    ("bias L2(0.05)", {"bias_regularizer": reg("L2", l2=0.05)}),
    ("bias L1L2(0.02,0.03)", {"bias_regularizer": reg("L1L2", l1=0.02, l2=0.03)}),
    ("activity L1(0.01)", {"activity_regularizer": reg("L1", l1=0.01)}),
    ("activity L2(0.01)", {"activity_regularizer": reg("L2", l2=0.01)}),
    ("activity L1L2(0.01,0.01)", {"activity_regularizer": reg("L1L2", l1=0.01, l2=0.01)}),
    ("kernel+bias+activity", {"kernel_regularizer": reg("L2", l2=0.02),
                              "bias_regularizer": reg("L1", l1=0.02),
                              "activity_regularizer": "l2"}),
]


def compare_regularizers(keras, cnn, d, steps):
    for case, kw in REGULARIZERS:
        for oname, spec in (("SGD", ("SGD", {"learning_rate": 0.1})),
                            ("Adam", ("Adam", {"learning_rate": 0.02}))):
            name = f"{case} / {oname}"
            try:
                k, c = pair(keras, cnn, mlp(**kw), 12)
                k.compile(optimizer=opt(keras, spec), loss="mse")
                c.compile(optimizer=opt(cnn, spec), loss="mse")
                # evaluate in 2 batches (32 + 18): the activity penalty is per batch
                record("2. regularizers: evaluate loss (before training)", name,
                       as_float(c.evaluate(d["x"], d["real"], batch_size=32, verbose=0)),
                       as_float(k.evaluate(d["x"], d["real"], batch_size=32, verbose=0)))
                cl, kl = train_steps(k, c, d["x"], d["real"], steps)
                record("2. regularizers: train_on_batch loss (incl. penalty)", name, cl, kl)
                record(f"2. regularizers: weights after {steps} steps", name,
                       c.get_weights(), k.get_weights())
                record("2. regularizers: evaluate loss (after training)", name,
                       as_float(c.evaluate(d["x"], d["real"], batch_size=32, verbose=0)),
                       as_float(k.evaluate(d["x"], d["real"], batch_size=32, verbose=0)))
            except Exception as e:  # noqa: BLE001
                failed(f"2. regularizers: weights after {steps} steps", name, e)


# ---------------------------------------------------------------------- 3. constraints

def con(cls, **kw):
    return ("constraints", cls, kw)


CONSTRAINTS = [
    ("kernel MaxNorm(0.8)", {"kernel_constraint": con("MaxNorm", max_value=0.8)}),
    ("bias MaxNorm(0.1)", {"bias_constraint": con("MaxNorm", max_value=0.1)}),
    ("kernel NonNeg", {"kernel_constraint": con("NonNeg")}),
    ("bias NonNeg", {"bias_constraint": con("NonNeg")}),
    ("kernel UnitNorm", {"kernel_constraint": con("UnitNorm")}),
    ("kernel MinMaxNorm(0.5,0.9)", {"kernel_constraint": con("MinMaxNorm", min_value=0.5,
                                                             max_value=0.9)}),
    ("kernel MinMaxNorm(0.95,1.2,rate=0.5)", {"kernel_constraint": con(
        "MinMaxNorm", min_value=0.95, max_value=1.2, rate=0.5)}),
    ("bias MinMaxNorm(0.2,0.3)", {"bias_constraint": con("MinMaxNorm", min_value=0.2,
                                                         max_value=0.3)}),
    ("kernel MaxNorm + bias NonNeg", {"kernel_constraint": con("MaxNorm", max_value=0.7),
                                      "bias_constraint": con("NonNeg")}),
]


def compare_constraints(keras, cnn, d, steps):
    spec = ("SGD", {"learning_rate": 0.05, "momentum": 0.9})
    for case, kw in CONSTRAINTS:
        try:
            k, c = pair(keras, cnn, mlp(head=4, head_act="softmax", **kw), 13)
            k.compile(optimizer=opt(keras, spec), loss="categorical_crossentropy")
            c.compile(optimizer=opt(cnn, spec), loss="categorical_crossentropy")
            cl, kl = train_steps(k, c, d["x"], d["onehot"], steps)
            record("3. constraints (SGD momentum=0.9): train_on_batch loss", case, cl, kl)
            record(f"3. constraints (SGD momentum=0.9): weights after {steps} steps", case,
                   c.get_weights(), k.get_weights())
        except Exception as e:  # noqa: BLE001
            failed(f"3. constraints (SGD momentum=0.9): weights after {steps} steps", case, e)


# ---------------------------------------------------------------------- 4. optimizer options

OPTIONS = [
    ("SGD clipnorm=0.1", ("SGD", {"learning_rate": 0.1, "clipnorm": 0.1})),
    ("Adam clipnorm=0.1", ("Adam", {"learning_rate": 0.01, "clipnorm": 0.1})),
    ("SGD clipvalue=0.02", ("SGD", {"learning_rate": 0.1, "clipvalue": 0.02})),
    ("Adam clipvalue=0.02", ("Adam", {"learning_rate": 0.01, "clipvalue": 0.02})),
    ("SGD global_clipnorm=0.2", ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.2})),
    ("Adam global_clipnorm=0.2", ("Adam", {"learning_rate": 0.01, "global_clipnorm": 0.2})),
    ("SGD(momentum) clipnorm=0.1", ("SGD", {"learning_rate": 0.05, "momentum": 0.9,
                                            "clipnorm": 0.1})),
    ("SGD weight_decay=0.05", ("SGD", {"learning_rate": 0.1, "weight_decay": 0.05})),
    ("SGD(momentum) weight_decay=0.05", ("SGD", {"learning_rate": 0.05, "momentum": 0.9,
                                                 "weight_decay": 0.05})),
    ("Adam weight_decay=0.05", ("Adam", {"learning_rate": 0.01, "weight_decay": 0.05})),
    ("RMSprop weight_decay+clipnorm", ("RMSprop", {"learning_rate": 0.01, "weight_decay": 0.1,
                                                   "clipnorm": 0.2})),
]
EMA = [
    ("Adam use_ema", ("Adam", {"learning_rate": 0.01, "use_ema": True})),
    ("Adam use_ema, ema_momentum=0.8", ("Adam", {"learning_rate": 0.01, "use_ema": True,
                                                 "ema_momentum": 0.8})),
    ("Adam use_ema, ema_overwrite_frequency=3", ("Adam", {
        "learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.8,
        "ema_overwrite_frequency": 3})),
    ("SGD(momentum) use_ema, overwrite=4", ("SGD", {
        "learning_rate": 0.05, "momentum": 0.9, "use_ema": True, "ema_momentum": 0.7,
        "ema_overwrite_frequency": 4})),
]


def compare_options(keras, cnn, d, steps):
    sec = "4. optimizer options"
    for case, spec in OPTIONS:
        for loss, target, make in (("mse", "real", mlp()),
                                   ("cce", "onehot", mlp(head=4, head_act="softmax"))):
            name = f"{case} / {loss}"
            lname = "mse" if loss == "mse" else "categorical_crossentropy"
            try:
                k, c = pair(keras, cnn, make, 14)
                k.compile(optimizer=opt(keras, spec), loss=lname)
                c.compile(optimizer=opt(cnn, spec), loss=lname)
                cl, kl = train_steps(k, c, d["x"], d[target], steps)
                record(f"{sec}: train_on_batch loss", name, cl, kl)
                record(f"{sec}: weights after {steps} steps", name, c.get_weights(),
                       k.get_weights())
            except Exception as e:  # noqa: BLE001
                failed(f"{sec}: weights after {steps} steps", name, e)
    # EMA: Keras swaps the averages in at the end of fit (finalize_variable_values).
    for case, spec in EMA:
        try:
            k, c = pair(keras, cnn, mlp(), 15)
            k.compile(optimizer=opt(keras, spec), loss="mse")
            c.compile(optimizer=opt(cnn, spec), loss="mse")
            kh = k.fit(d["x"], d["real"], batch_size=8, epochs=2, shuffle=False, verbose=0)
            ch = c.fit(d["x"], d["real"], batch_size=8, epochs=2, shuffle=False, verbose=0)
            record(f"{sec}: use_ema, fit(epochs=2, batch 8) history loss", case,
                   ch.history["loss"], kh.history["loss"])
            record(f"{sec}: use_ema, weights after fit (EMA swapped in)", case,
                   c.get_weights(), k.get_weights())
        except Exception as e:  # noqa: BLE001
            failed(f"{sec}: use_ema, weights after fit (EMA swapped in)", case, e)


# ---------------------------------------------------------------------- 5. schedules

SCHEDULES = [
    ("ExponentialDecay", ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3,
                                               "decay_rate": 0.5})),
    ("ExponentialDecay(staircase)", ("ExponentialDecay", {
        "initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True})),
    ("InverseTimeDecay", ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 2,
                                               "decay_rate": 0.7})),
    ("InverseTimeDecay(staircase)", ("InverseTimeDecay", {
        "initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.7, "staircase": True})),
    ("PiecewiseConstantDecay", ("PiecewiseConstantDecay", {"boundaries": [2, 5, 9],
                                                           "values": [0.1, 0.05, 0.02, 0.005]})),
    ("PolynomialDecay(power=2)", ("PolynomialDecay", {
        "initial_learning_rate": 0.1, "decay_steps": 5, "end_learning_rate": 0.01,
        "power": 2.0})),
    ("PolynomialDecay(cycle)", ("PolynomialDecay", {
        "initial_learning_rate": 0.1, "decay_steps": 4, "end_learning_rate": 0.01,
        "power": 0.5, "cycle": True})),
    ("CosineDecay", ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 8,
                                     "alpha": 0.1})),
    ("CosineDecay(warmup)", ("CosineDecay", {"initial_learning_rate": 0.02, "decay_steps": 6,
                                             "alpha": 0.05, "warmup_target": 0.1,
                                             "warmup_steps": 4})),
    ("CosineDecayRestarts", ("CosineDecayRestarts", {
        "initial_learning_rate": 0.1, "first_decay_steps": 3, "t_mul": 2.0, "m_mul": 0.7,
        "alpha": 0.05})),
]


def compare_schedules(keras, cnn, d, steps):
    sec = "5. schedules"
    cases = [(n, ("SGD", {"learning_rate": s}), ("SGD", {"learning_rate": s}))
             for n, s in SCHEDULES]
    cases += [("Adam + ExponentialDecay", ("Adam", {"learning_rate": SCHEDULES[0][1]}),
               ("Adam", {"learning_rate": SCHEDULES[0][1]})),
              ("SGD(momentum) + CosineDecayRestarts",
               ("SGD", {"learning_rate": SCHEDULES[-1][1], "momentum": 0.9}),
               ("SGD", {"learning_rate": SCHEDULES[-1][1], "momentum": 0.9})),
              # tf.keras 2 decay= (cnn) against InverseTimeDecay(lr, 1, decay) (Keras 3)
              ("cnn SGD(decay=0.3) vs InverseTimeDecay(1, 0.3)",
               ("SGD", {"learning_rate": ("InverseTimeDecay", {
                   "initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.3})}),
               ("SGD", {"learning_rate": 0.1, "decay": 0.3})),
              ("cnn Adam(lr=, decay=0.2) vs InverseTimeDecay(1, 0.2)",
               ("Adam", {"learning_rate": ("InverseTimeDecay", {
                   "initial_learning_rate": 0.01, "decay_steps": 1, "decay_rate": 0.2})}),
               ("Adam", {"lr": 0.01, "decay": 0.2}))]
    import warnings
    for case, kspec, cspec in cases:
        try:
            k, c = pair(keras, cnn, mlp(), 16)
            k.compile(optimizer=opt(keras, kspec), loss="mse")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # the legacy-spelling warnings
                c.compile(optimizer=opt(cnn, cspec), loss="mse")
            klr, clr, kl, cl = [], [], [], []
            for _ in range(steps):
                klr.append(float(keras.ops.convert_to_numpy(k.optimizer.learning_rate)))
                # tf.keras 2's optimizer.learning_rate ignores decay=: use the rate actually applied
                clr.append(float(c.optimizer._lr_at(c.optimizer.iterations) if "decay" in cspec[1]
                                 else c.optimizer.learning_rate))
                kl.append(as_float(k.train_on_batch(d["x"], d["real"])))
                cl.append(as_float(c.train_on_batch(d["x"], d["real"])))
            record(f"{sec}: learning rate at steps 0..{steps - 1}", case, clr, klr)
            record(f"{sec}: train_on_batch loss", case, cl, kl)
            record(f"{sec}: weights after {steps} steps", case, c.get_weights(), k.get_weights())
        except Exception as e:  # noqa: BLE001
            failed(f"{sec}: weights after {steps} steps", case, e)


# ---------------------------------------------------------------------- 6. fit

def step_decay(epoch, lr):
    return float(0.05 * 0.5 ** epoch)


def compare_fit(keras, cnn, d):
    sec = "6. fit(batch 8, 50 rows, epochs=3, shuffle=False)"
    cw = {0: 1.0, 1: 2.5, 2: 0.5, 3: 1.5}
    reg_val = (d["xv"], d["realv"])
    cls_val = (d["xv"], d["idsv"])
    onehot_val = (d["xv"], np.eye(4, dtype=np.float32)[d["idsv"]])
    # (case, make, loss, metrics, optimizer spec, target, validation, fit kwargs, callbacks)
    cases = [
        ("mse + mae, SGD", mlp(), "mse", ["mae"], ("SGD", {"learning_rate": 0.05}), "real",
         reg_val, {}, None),
        ("mse + mae, Adam", mlp(), "mse", ["mae"], ("Adam", {"learning_rate": 0.01}), "real",
         reg_val, {}, None),
        ("mse + mae, sample_weight", mlp(), "mse", ["mae"], ("Adam", {"learning_rate": 0.01}),
         "real", reg_val, {"sample_weight": d["sw"]}, None),
        ("sparse cce + accuracy, Adam", mlp(4, "softmax"), "sparse_categorical_crossentropy",
         ["accuracy"], ("Adam", {"learning_rate": 0.01}), "ids", cls_val, {}, None),
        ("cce + accuracy, SGD(momentum)", mlp(4, "softmax"), "categorical_crossentropy",
         ["accuracy"], ("SGD", {"learning_rate": 0.05, "momentum": 0.9}), "onehot",
         onehot_val, {}, None),
        ("sparse cce + accuracy, class_weight", mlp(4, "softmax"),
         "sparse_categorical_crossentropy", ["accuracy"], ("Adam", {"learning_rate": 0.01}),
         "ids", cls_val, {"class_weight": cw}, None),
        ("cce + accuracy, class_weight", mlp(4, "softmax"), "categorical_crossentropy",
         ["accuracy"], ("SGD", {"learning_rate": 0.05}), "onehot", onehot_val,
         {"class_weight": cw}, None),
        ("mse + mae, LearningRateScheduler(step decay)", mlp(), "mse", ["mae"],
         ("SGD", {"learning_rate": 0.05}), "real", reg_val, {}, "lrs"),
        ("BN model, mse + mae, Adam", lambda L: L.Sequential(
            [L.Input((N_IN,))] + BN_ARCHS["BN before act"](L)), "mse", ["mae"],
         ("Adam", {"learning_rate": 0.01}), "real", reg_val, {}, None),
    ]
    for case, make, loss, metrics, spec, target, val, kw, cb in cases:
        try:
            k, c = pair(keras, cnn, make, 17)
            k.compile(optimizer=opt(keras, spec), loss=loss, metrics=metrics)
            c.compile(optimizer=opt(cnn, spec), loss=loss, metrics=metrics)
            hist = []
            for lib, m in ((keras, k), (cnn, c)):
                cbs = [lib.callbacks.LearningRateScheduler(step_decay)] if cb == "lrs" else None
                hist.append(m.fit(d["x"], d[target], batch_size=8, epochs=3, shuffle=False,
                                  validation_data=val, verbose=0, callbacks=cbs, **kw).history)
            kh, ch = hist
            if sorted(kh) != sorted(ch):
                rows.append((f"{sec}: history", case, np.nan, np.nan, False,
                             f"keys differ: cnn {sorted(ch)} vs keras {sorted(kh)}"))
            keys = [key for key in sorted(kh) if key in ch]
            for key in keys:
                record(f"{sec}: history", f"{case}: {key}", ch[key], kh[key])
            record(f"{sec}: final weights", case, c.get_weights(), k.get_weights())
        except Exception as e:  # noqa: BLE001
            failed(f"{sec}: final weights", case, e)


# ---------------------------------------------------------------------- 7. EarlyStopping doctest

def compare_early_stopping(keras, cnn):
    sec = "7. EarlyStopping doctest"
    try:
        import warnings
        x = np.arange(100).reshape(5, 20)
        y = np.zeros(5)
        lens = []
        keras.utils.set_random_seed(18)
        w0 = None
        for lib in (keras, cnn):
            m = lib.Sequential([lib.layers.Dense(10)])
            m.build((None, 20))
            if w0 is None:
                w0 = m.get_weights()
            else:
                m.set_weights(w0)
            m.compile(lib.optimizers.SGD(), "mse")
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                h = m.fit(x, y, epochs=10, batch_size=1, verbose=0,
                          callbacks=[lib.callbacks.EarlyStopping(monitor="loss", patience=3)])
            lens.append(len(h.history["loss"]))
        ok = lens[0] == lens[1] == 4
        rows.append((sec, "len(history['loss'])", float(abs(lens[0] - lens[1])), np.nan, ok,
                     f"keras {lens[0]}, cnn {lens[1]} (doctest expects 4)"))
    except Exception as e:  # noqa: BLE001
        failed(sec, "len(history['loss'])", e)


# ---------------------------------------------------------------------- main

SECTIONS = ("batchnorm", "regularizers", "constraints", "options", "schedules", "fit", "early")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=SECTIONS, default=None)
    args = ap.parse_args()
    import keras

    import cnn
    print_header(keras, cnn)
    d = data(np.random.default_rng(0))
    run = {
        "batchnorm": lambda: compare_batchnorm(keras, cnn, d, 5),
        "regularizers": lambda: compare_regularizers(keras, cnn, d, 5),
        "constraints": lambda: compare_constraints(keras, cnn, d, 5),
        "options": lambda: compare_options(keras, cnn, d, 6),
        "schedules": lambda: compare_schedules(keras, cnn, d, 12),
        "fit": lambda: compare_fit(keras, cnn, d),
        "early": lambda: compare_early_stopping(keras, cnn),
    }
    for name in SECTIONS:
        if args.only in (None, name):
            run[name]()

    return print_table()

if __name__ == "__main__":
    sys.exit(main())
