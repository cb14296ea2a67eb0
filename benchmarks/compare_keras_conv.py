"""cnn's convolutional layers against Keras 3 (torch backend) on identical weights and data.

    KERAS_BACKEND=torch PYTHONPATH=<folder with cnn> /work/oracle-venv/bin/python benchmarks/compare_keras_conv.py

For each model (odd sizes; strides 1 and 2; padding valid/same/causal; dilation 2; groups; every
pooling layer; ZeroPadding, Cropping, UpSampling; Rescaling, BatchNormalization, Dropout(0) on
feature maps) it copies Keras's initial
weights into cnn and compares the predictions, then the weights after three epochs of Adam with a
batch size that does not divide the data (fit, shuffle=False). Then a `.keras` file saved by Keras is
loaded by cnn and the reverse, comparing predictions, and summary() parameter counts. A case passes
when max|cnn - keras| <= TOL * max(1, max|keras|). Exit status 1 if any case fails.
"""
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

TOL = 2e-5
rows = []


def record(case, got, ref):
    got = [np.asarray(g, np.float64) for g in got]
    ref = [np.asarray(r, np.float64) for r in ref]
    if [g.shape for g in got] != [r.shape for r in ref]:
        rows.append((case, np.nan, False, f"shapes {[g.shape for g in got]} vs {[r.shape for r in ref]}"))
        return
    diff = max(float(np.max(np.abs(g - r))) for g, r in zip(got, ref))
    scale = max(float(np.max(np.abs(r))) for r in ref)
    rows.append((case, diff, diff <= TOL * max(1.0, scale), ""))


def models(lib):
    L = lib.layers
    return {
        "conv3x3 relu, maxpool, dense softmax": (
            (13, 11, 3), [L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(), L.Flatten(),
                          L.Dense(5, activation="softmax")], "sparse_categorical_crossentropy"),
        "conv stride 2 same, avgpool same": (
            (13, 11, 2), [L.Conv2D(6, (3, 2), strides=2, padding="same", activation="tanh"),
                          L.AveragePooling2D(2, padding="same"), L.Flatten(), L.Dense(5)], "mse"),
        "conv dilation 2 valid, global avg": (
            (15, 12, 3), [L.Conv2D(4, 3, dilation_rate=2), L.GlobalAveragePooling2D(),
                          L.Dense(5, activation="softmax")], "sparse_categorical_crossentropy"),
        "conv same stride 1 dilation 2, maxpool 3/2 same, global max": (
            (9, 10, 2), [L.Conv2D(5, (3, 5), padding="same", dilation_rate=(2, 1), activation="relu"),
                         L.MaxPooling2D(3, strides=2, padding="same"), L.GlobalMaxPooling2D(), L.Dense(5)], "mse"),
        # no bias before BatchNormalization: BN cancels it, so its gradient is rounding noise that
        # Adam normalises to steps of +-lr (in Keras as in cnn), which no two implementations share
        "groups 2, 1x1 conv, batchnorm on maps": (
            (7, 9, 4), [L.Conv2D(6, 3, groups=2, use_bias=False), L.BatchNormalization(), L.ReLU(),
                        L.Conv2D(4, 1), L.Dropout(0.0), L.Flatten(), L.Dense(5, activation="softmax")],
            "sparse_categorical_crossentropy"),
        "rescaling, conv stride 2 valid, avgpool": (
            (12, 12, 1), [L.Rescaling(1 / 255.0, offset=-0.5), L.Conv2D(4, 3, strides=2, activation="sigmoid"),
                          L.AveragePooling2D(2, strides=1), L.Flatten(), L.Dense(5, activation="softmax")],
            "sparse_categorical_crossentropy"),
        "conv1d causal dilation 2, maxpool1d, global avg 1d": (
            (17, 3), [L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu"),
                      L.MaxPooling1D(2), L.Conv1D(4, 2, strides=2, padding="same"), L.GlobalAveragePooling1D(),
                      L.Dense(5)], "mse"),
        "conv1d valid, avgpool1d same, global max 1d": (
            (16, 2), [L.Conv1D(3, 4), L.AveragePooling1D(3, padding="same"), L.GlobalMaxPooling1D(),
                      L.Dense(5, activation="softmax")], "sparse_categorical_crossentropy"),
        "conv with regularizers (kernel, bias, activity) and constraints": (
            (8, 7, 2), [L.Conv2D(4, 3, activation="relu", kernel_regularizer=lib.regularizers.L2(0.01),
                                 bias_regularizer=lib.regularizers.L1(0.01),
                                 activity_regularizer=lib.regularizers.L2(0.001),
                                 kernel_constraint=lib.constraints.MaxNorm(0.5, axis=[0, 1, 2]),
                                 bias_constraint=lib.constraints.NonNeg()), L.Flatten(), L.Dense(5)], "mse"),
        "zero padding, upsampling, cropping (2D)": (
            (7, 6, 2), [L.ZeroPadding2D(((1, 2), (0, 1))), L.Conv2D(3, 3, activation="relu"),
                        L.UpSampling2D((2, 1)), L.Cropping2D(((1, 0), (2, 1))), L.Flatten(), L.Dense(5)], "mse"),
        "zero padding, upsampling, cropping (1D)": (
            (9, 2), [L.ZeroPadding1D((2, 1)), L.Conv1D(3, 3, activation="tanh"), L.UpSampling1D(3),
                     L.Cropping1D((1, 4)), L.GlobalAveragePooling1D(), L.Dense(5, activation="softmax")],
            "sparse_categorical_crossentropy"),
    }


def build(lib, shape, layers, loss, lr=3e-3):
    m = lib.Sequential([lib.Input(shape)] + layers)
    m.compile(optimizer=lib.optimizers.Adam(lr), loss=loss)
    return m


def main():
    import keras

    import cnn
    rng = np.random.default_rng(0)
    n = 70                                  # batch 16: a short last batch
    keras.utils.set_random_seed(1)
    for (case, (shape, k_layers, loss)), (_, c_layers, _) in zip(models(keras).items(), models(cnn).values()):
        x = rng.uniform(0, 255 if "rescaling" in case else 1, (n,) + shape).astype(np.float32)
        y = rng.integers(0, 5, n) if loss.startswith("sparse") else rng.normal(size=(n, 5)).astype(np.float32)
        km, cm = build(keras, shape, k_layers, loss), build(cnn, shape, c_layers, loss)
        cm.set_weights(km.get_weights())
        record(f"{case}: predict", [cm.predict(x, verbose=0)], [km.predict(x, verbose=0)])
        km.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        cm.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        record(f"{case}: weights after 3 epochs of adam", cm.get_weights(), km.get_weights())
        record(f"{case}: predict after training", [cm.predict(x, verbose=0)], [km.predict(x, verbose=0)])
    # .keras files both ways, and summary's parameter counts
    shape, k_layers, loss = models(keras)["conv3x3 relu, maxpool, dense softmax"]
    x = rng.uniform(size=(9,) + shape).astype(np.float32)
    km = build(keras, shape, k_layers, loss)
    with tempfile.TemporaryDirectory() as d:
        km.save(os.path.join(d, "k.keras"))
        cm = cnn.models.load_model(os.path.join(d, "k.keras"))
        record("keras-saved .keras loads in cnn: predict", [cm.predict(x, verbose=0)], [km.predict(x, verbose=0)])
        cm.fit(x, rng.integers(0, 5, 9), epochs=1, verbose=0)
        cm.save(os.path.join(d, "c.keras"))
        km2 = keras.models.load_model(os.path.join(d, "c.keras"))
        record("cnn-saved .keras loads in keras: predict", [km2.predict(x, verbose=0)], [cm.predict(x, verbose=0)])
    for filters, kernel, c in ((32, (3, 3), 3), (16, 5, 1)):
        km = keras.Sequential([keras.Input((28, 28, c)), keras.layers.Conv2D(filters, kernel)])
        cm = cnn.Sequential([cnn.Input((28, 28, c)), cnn.layers.Conv2D(filters, kernel)])
        ok = km.count_params() == cm.count_params() and km.output_shape == cm.output_shape
        rows.append((f"Conv2D({filters}, {kernel}) on {c} channels: {cm.count_params()} params, "
                     f"{cm.output_shape}", 0.0, ok, f"keras {km.count_params()} {km.output_shape}"))

    width = max(len(r[0]) for r in rows)
    for case, diff, ok, note in rows:
        print(f"{'ok  ' if ok else 'FAIL'} {case:<{width}}  max|diff| {diff:.2e} {note}")
    bad = sum(not r[2] for r in rows)
    print(f"{len(rows) - bad}/{len(rows)} cases within {TOL:g} (relative to max(1, max|keras|))")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
