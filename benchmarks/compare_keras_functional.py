"""The functional API: cnn against Keras 3 (torch backend) on the same graphs, weights and data.

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> python benchmarks/compare_keras_functional.py

Each case builds one graph (merges, a shared layer, tensor operators, several inputs and outputs,
nested models) with `keras.Input`/`keras.Model` and with `cnn.Input`/`cnn.Model` (the
same code, `lib` is either module), copies Keras's initial weights into cnn with set_weights and
compares predictions, the loss of evaluate, and the weights and losses after 5 Adam train_on_batch
steps (per-output losses and loss weights for the multi-output cases); then each library saves its
trained twin to a `.keras` file the other loads and must predict the same. Last, a functional model
equal to a Sequential must train to the same bits in cnn. Pass rule and table as
benchmarks/compare_keras.py (float32 rounding).
"""
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from compare_keras import failed, print_header, print_table, record, rows  # noqa: E402

N = 48


def chain(lib):
    x = lib.Input((8,), name="x")
    h = lib.layers.Dense(16, activation="relu", name="hidden")(x)
    return lib.Model(x, lib.layers.Dense(3, activation="softmax", name="probs")(h), name="chain"), \
        "sparse_categorical_crossentropy", None


def residual(lib):
    L = lib.layers
    x = lib.Input((8,), name="x")
    h = L.Dense(8, activation="relu", name="h1")(x)
    h = L.Add(name="skip")([x, L.Dense(8, name="h2")(h)])
    c = L.Concatenate(name="cat")([h, L.Dense(4, activation="tanh", name="side")(x)])
    return lib.Model(x, L.Dense(1, name="y")(c), name="residual"), "mse", None


def shared(lib):
    L = lib.layers
    a, b = lib.Input((6,), name="a"), lib.Input((6,), name="b")
    encode = L.Dense(5, activation="tanh", name="encode")
    m = L.Multiply(name="mul")([encode(a), encode(b)])
    d = L.Subtract(name="sub")([encode(a), encode(b)])
    out = L.Dense(1, activation="sigmoid", name="same")(L.Concatenate(name="cat")([m, d]))
    return lib.Model([a, b], out, name="siamese"), "binary_crossentropy", None


def two_outputs(lib):
    L = lib.layers
    a, b = lib.Input((6,), name="a"), lib.Input((4,), name="b")
    h = L.Concatenate(name="cat")([L.Dense(8, activation="relu", name="da")(a), L.Dense(8, name="db")(b)])
    reg = L.Dense(2, name="reg")(h)
    cls = L.Dense(3, activation="softmax", name="cls")(L.Dense(6, activation="relu", name="dc")(h))
    return (lib.Model({"a": a, "b": b}, {"reg": reg, "cls": cls}, name="two_outputs"),
            {"reg": "mse", "cls": "sparse_categorical_crossentropy"}, {"reg": 1.0, "cls": 0.5})


def two_outputs_list(lib):
    # huber, not mae: with mae a bias whose batch of signs cancels exactly gets a gradient of rounding
    # noise, which Adam (epsilon 1e-7) turns into a visible step in either library
    model, _, _ = two_outputs(lib)
    L = lib.layers
    a, b = lib.Input((6,), name="a"), lib.Input((4,), name="b")
    out = model({"a": a, "b": b})
    return (lib.Model([a, b], [L.Activation("linear", name="r")(out["reg"]), out["cls"]], name="nested_lists"),
            ["huber", "sparse_categorical_crossentropy"], [0.3, 1.0])


def operators(lib):
    x = lib.Input((6,), name="x")
    h = lib.layers.Dense(6, activation="tanh", name="h")(x)
    return lib.Model(x, lib.layers.Dense(2, name="y")((h + x) * h - x), name="operators"), "mse", None


def nested(lib):
    inner, _, _ = chain(lib)
    return lib.Sequential([inner, lib.layers.Softmax(name="again")], name="wrapped"), \
        "sparse_categorical_crossentropy", None


METRICS = {"two inputs/outputs, dicts": {"cls": ["accuracy"], "reg": ["mae"]},
           "shared layer (Multiply, Subtract)": ["accuracy"]}
CASES = {"chain": chain, "residual (Add, Concatenate)": residual, "shared layer (Multiply, Subtract)": shared,
         "operators: (h + x) * h - x": operators, "two inputs/outputs, dicts": two_outputs,
         "nested model, lists": two_outputs_list,
         "Sequential([model, Softmax()])": nested}


def data(model, loss, seed=0):
    """x and y for a model built by a case, in the structure it was built with (dicts for dict models;
    Keras flattens dicts by sorted key): class ids for crossentropy outputs, 0/1 for binary ones."""
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(N,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]
    outputs = model.outputs
    losses = [loss[k] for k in sorted(loss)] if isinstance(loss, dict) else \
        list(loss) if isinstance(loss, list) else [loss] * len(outputs)
    ys = []
    for t, kind in zip(outputs, losses):
        if kind == "sparse_categorical_crossentropy":
            ys.append(rng.integers(0, t.shape[-1], N))
        elif kind == "binary_crossentropy":
            ys.append(rng.integers(0, 2, (N,) + tuple(t.shape[1:])).astype(np.float32))
        else:
            ys.append(rng.normal(size=(N,) + tuple(t.shape[1:])).astype(np.float32))
    return (_structured(getattr(model, "_inputs_struct", None), xs),
            _structured(getattr(model, "_outputs_struct", None), ys))


def _structured(structure, arrays):
    if isinstance(structure, dict):
        return dict(zip(sorted(structure), arrays))
    return arrays[0] if len(arrays) == 1 else arrays


def _np(v):
    if isinstance(v, dict):
        return [np.asarray(v[k]) for k in sorted(v)]
    return [np.asarray(a) for a in v] if isinstance(v, (list, tuple)) else [np.asarray(v)]


def pair(keras, cnn, make, seed=1):
    keras.utils.set_random_seed(seed)
    k, loss, weights = make(keras)
    c, _, _ = make(cnn)
    c.set_weights([np.asarray(w) for w in k.get_weights()])
    return k, c, loss, weights


def compare_case(keras, cnn, name, make, folder):
    try:
        k, c, loss, loss_weights = pair(keras, cnn, make)
        x, y = data(k, loss)
        record("predict", name, _np(c.predict(x, verbose=0)), _np(k.predict(x, verbose=0)))
        metrics = METRICS.get(name)
        k.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss, loss_weights=loss_weights, metrics=metrics)
        c.compile(optimizer=cnn.optimizers.Adam(0.01), loss=loss, loss_weights=loss_weights, metrics=metrics)
        ke, ce = k.evaluate(x, y, verbose=0, return_dict=True), c.evaluate(x, y, verbose=0, return_dict=True)
        if sorted(ke) != sorted(ce):
            raise AssertionError(f"evaluate's keys differ: cnn {sorted(ce)}, keras {sorted(ke)}")
        record("evaluate: every log (" + ", ".join(sorted(ke)) + ")", name, [np.float32(ce[n]) for n in sorted(ke)],
               [np.float32(ke[n]) for n in sorted(ke)])
        kl = [np.ravel(k.train_on_batch(x, y))[0] for _ in range(5)]
        cl = [np.ravel(c.train_on_batch(x, y))[0] for _ in range(5)]
        record("losses of 5 Adam steps", name, np.array(cl), np.array(kl))
        record("weights after 5 Adam steps", name, c.get_weights(), [np.asarray(w) for w in k.get_weights()])
    except Exception as e:  # noqa: BLE001 - report and go on
        failed("predict", name, e)
        return
    for src, dst, model, label in ((keras, cnn, k, "keras file -> cnn"), (cnn, keras, c, "cnn file -> keras")):
        try:
            path = os.path.join(folder, f"{src.__name__}-{len(rows)}.keras")
            model.save(path)
            loaded = dst.saving.load_model(path)
            record(label, name, _np(loaded.predict(x, verbose=0)), _np(model.predict(x, verbose=0)))
        except Exception as e:  # noqa: BLE001
            failed(label, name, e)


def compare_with_sequential(cnn):
    """cnn alone: a functional chain and the Sequential with the same layers train to the same bits."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(64, 8)).astype(np.float32), rng.integers(0, 3, 64)
    L = cnn.layers
    seq = cnn.Sequential([cnn.Input((8,)), L.Dense(16, activation="relu"), L.Dropout(0.2),
                          L.Dense(3, activation="softmax")])
    inp = cnn.Input((8,))
    h = L.Dropout(0.2)(L.Dense(16, activation="relu")(inp))
    func = cnn.Model(inp, L.Dense(3, activation="softmax")(h))
    func.set_weights(seq.get_weights())
    out = []
    for model in (seq, func):
        cnn.utils.set_random_seed(3)
        model.compile(optimizer=cnn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        losses = model.fit(x, y, batch_size=16, epochs=3, verbose=0).history["loss"]
        out.append((losses, model.get_weights()))
    same = out[0][0] == out[1][0] and all(np.array_equal(a, b) for a, b in zip(out[0][1], out[1][1]))
    rows.append(("functional chain vs Sequential (cnn, 3 epochs, dropout)", "bitwise equal weights and losses",
                 0.0 if same else np.nan, 0.0 if same else np.nan, same, "" if same else "differs"))


def main():
    import keras

    import cnn
    print_header(keras, cnn)
    with tempfile.TemporaryDirectory() as folder:
        for name, make in CASES.items():
            compare_case(keras, cnn, name, make, folder)
    compare_with_sequential(cnn)
    return print_table()


if __name__ == "__main__":
    sys.exit(main())
