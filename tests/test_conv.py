"""Conv2D / Conv1D and pooling: forward against a float64 NumPy reference, gradients against float64
finite differences (one SGD(1) step moves each weight by minus its gradient), determinism across
thread counts, shapes, arguments, errors, summary and saving."""
import numpy as np
import pytest

import cnn
from cnn import layers


def pad_for(size, k, s, d, padding):
    eff = (k - 1) * d + 1
    if padding == "valid":
        return (size - eff) // s + 1, 0, 0
    if padding == "causal":
        return (size - 1) // s + 1, eff - 1, 0
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2, total - total // 2


def ref_conv(x, w, b, strides, padding, dilation, groups=1):
    """float64 channels_last convolution, x (n, h, w, c), w (kh, kw, c/groups, f)."""
    n, h, wd, c = x.shape
    kh, kw, cg, f = w.shape
    oh, pt, pb = pad_for(h, kh, strides[0], dilation[0], padding)
    ow, pl, pr = pad_for(wd, kw, strides[1], dilation[1], padding)
    xp = np.pad(x, ((0, 0), (pt, pb + kh * dilation[0]), (pl, pr + kw * dilation[1]), (0, 0)))
    fg = f // groups
    y = np.zeros((n, oh, ow, f))
    for g in range(groups):
        for ky in range(kh):
            for kx in range(kw):
                ys, xs = ky * dilation[0], kx * dilation[1]
                patch = xp[:, ys:ys + oh * strides[0]:strides[0], xs:xs + ow * strides[1]:strides[1],
                           g * cg:(g + 1) * cg]
                y[..., g * fg:(g + 1) * fg] += patch @ w[ky, kx, :, g * fg:(g + 1) * fg]
    return y + (0 if b is None else b)


def ref_pool(x, size, strides, padding, mode):
    n, h, wd, c = x.shape
    oh, pt, _ = pad_for(h, size[0], strides[0], 1, padding)
    ow, pl, _ = pad_for(wd, size[1], strides[1], 1, padding)
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * strides[0] - pt, j * strides[1] - pl
            win = x[:, max(y0, 0):y0 + size[0], max(x0, 0):x0 + size[1], :]
            y[:, i, j] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return y


CASES = [   # (input shape, conv kwargs)
    ((9, 8, 3), dict(filters=4, kernel_size=3)),
    ((9, 8, 3), dict(filters=5, kernel_size=(3, 2), strides=2, padding="same")),
    ((11, 10, 2), dict(filters=3, kernel_size=3, dilation_rate=2, padding="same")),
    ((7, 9, 4), dict(filters=6, kernel_size=3, groups=2, strides=(1, 2))),
    ((6, 5, 3), dict(filters=4, kernel_size=1)),
]


@pytest.mark.parametrize("shape,kw", CASES)
def test_conv2d_forward_matches_float64_reference(shape, kw):
    x = np.random.default_rng(0).normal(size=(5,) + shape).astype(np.float32)
    m = cnn.Sequential([cnn.Input(shape), layers.Conv2D(**kw, bias_initializer="random_normal")])
    w, b = m.get_weights()
    conv = m.layers[0]
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), b, conv.strides, conv.padding, conv.dilation_rate,
                   conv.groups)
    np.testing.assert_allclose(m.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls,kw", [(layers.MaxPooling2D, {}), (layers.MaxPooling2D, dict(pool_size=3, strides=2,
                                    padding="same")), (layers.AveragePooling2D, dict(pool_size=2)),
                                    (layers.AveragePooling2D, dict(pool_size=(3, 2), strides=(2, 1), padding="same"))])
def test_pooling_forward_matches_reference(cls, kw):
    x = np.random.default_rng(1).normal(size=(3, 7, 8, 2)).astype(np.float32)
    m = cnn.Sequential([cnn.Input((7, 8, 2)), cls(**kw)])
    p = m.layers[0]
    ref = ref_pool(x.astype(np.float64), p.pool_size, p.strides, p.padding, p.mode)
    np.testing.assert_allclose(m.predict(x, verbose=0), ref, rtol=1e-6, atol=1e-6)


def test_global_pooling_and_conv1d_forward():
    x = np.random.default_rng(2).normal(size=(4, 6, 5, 3)).astype(np.float32)
    for cls, fn in ((layers.GlobalMaxPooling2D, np.max), (layers.GlobalAveragePooling2D, np.mean)):
        m = cnn.Sequential([cnn.Input((6, 5, 3)), cls()])
        np.testing.assert_allclose(m.predict(x, verbose=0), fn(x, axis=(1, 2)), rtol=1e-6, atol=1e-6)
        m = cnn.Sequential([cnn.Input((6, 5, 3)), cls(keepdims=True)])
        assert m.output_shape == (None, 1, 1, 3)
    s = x[:, 0]                                          # (4, 5, 3) sequences
    m = cnn.Sequential([cnn.Input((5, 3)), layers.Conv1D(2, 3, padding="causal", dilation_rate=2)])
    w, b = m.get_weights()
    ref = ref_conv(s[:, None].astype(np.float64), w[None].astype(np.float64), b, (1, 1), "valid", (1, 2))
    # causal = valid on the sequence left-padded with (k - 1) * dilation zeros
    ref = ref_conv(np.pad(s, ((0, 0), (4, 0), (0, 0)))[:, None].astype(np.float64), w[None].astype(np.float64),
                   b, (1, 1), "valid", (1, 2))[:, 0]
    np.testing.assert_allclose(m.predict(s, verbose=0), ref, rtol=1e-5, atol=1e-5)


def _loss64(x, y, ws, spec):
    """MSE of conv(x) -> pool -> conv -> flatten -> dense, in float64 (the model of the gradient test)."""
    (k1, b1, k2, b2, kd, bd), (c1, pool, c2) = ws, spec
    h = np.maximum(ref_conv(x, k1, b1, c1.strides, c1.padding, c1.dilation_rate, c1.groups), 0)
    h = ref_pool(h, pool.pool_size, pool.strides, pool.padding, pool.mode)
    h = np.tanh(ref_conv(h, k2, b2, c2.strides, c2.padding, c2.dilation_rate, c2.groups))
    p = h.reshape(len(x), -1) @ kd + bd
    return np.mean((p - y) ** 2)


# filters 4: the first conv's columns (36 wide) go to the plan's shared workspace; 12: they stay in
# its scratch (no wider than 4 output rows)
@pytest.mark.parametrize("pool_cls,filters", [(layers.MaxPooling2D, 4), (layers.AveragePooling2D, 4),
                                              (layers.MaxPooling2D, 12)])
def test_gradients_match_finite_differences(pool_cls, filters):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 10, 9, 4)).astype(np.float32)
    y = rng.normal(size=(4, 3)).astype(np.float32)
    m = cnn.Sequential([cnn.Input((10, 9, 4)),
                        layers.Conv2D(filters, 3, groups=2, padding="same", activation="relu",
                                      bias_initializer="random_normal"),
                        pool_cls(2, strides=1 if pool_cls is layers.AveragePooling2D else 2, padding="same"),
                        layers.Conv2D(3, 2, strides=2, dilation_rate=1, activation="tanh",
                                      bias_initializer="random_normal"),
                        layers.Flatten(), layers.Dense(3)])
    m.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
    w0 = [w.astype(np.float64) for w in m.get_weights()]
    m.train_on_batch(x, y)
    grads = [a - b for a, b in zip(w0, m.get_weights())]
    spec = m.layers[:3]
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    eps = 1e-6
    for k in range(4):                                   # the conv kernels and biases
        flat = w0[k].reshape(-1)
        for i in np.random.default_rng(k).choice(flat.size, min(flat.size, 12), replace=False):
            plus = [w.copy() for w in w0]
            minus = [w.copy() for w in w0]
            plus[k].reshape(-1)[i] += eps
            minus[k].reshape(-1)[i] -= eps
            num = (_loss64(x64, y64, plus, spec) - _loss64(x64, y64, minus, spec)) / (2 * eps)
            np.testing.assert_allclose(grads[k].reshape(-1)[i], num, rtol=2e-3, atol=2e-6,
                                       err_msg=f"weight {k} index {i}")


def _image_model(seed=5):
    cnn.utils.set_random_seed(seed)
    m = cnn.Sequential([cnn.Input((12, 11, 3)), layers.Rescaling(1 / 255.0),
                        layers.Conv2D(8, 3, padding="same", activation="relu"), layers.BatchNormalization(),
                        layers.MaxPooling2D(), layers.Conv2D(6, 3, strides=2, dilation_rate=1, activation="elu"),
                        layers.Dropout(0.3), layers.AveragePooling2D(2, padding="same"), layers.Flatten(),
                        layers.Dense(4, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _images(n=90):
    rng = np.random.default_rng(6)
    return rng.integers(0, 256, (n, 12, 11, 3)).astype(np.uint8), rng.integers(0, 4, n)


@pytest.mark.parametrize("threads,isa", [(2, -1), (1, 0), (3, 1)])
def test_training_bits_do_not_depend_on_threads_or_isa(threads, isa):
    from cnn import _core
    x, y = _images()

    def run(threads, isa):
        _core.set_num_threads(threads)
        _core.set_isa(isa)
        try:
            m = _image_model()
            m.fit(x, y, batch_size=16, epochs=2, verbose=0)
            return m.get_weights()
        finally:
            _core.set_isa(-1)
            _core.set_num_threads(0)

    for a, b in zip(run(1, -1), run(threads, isa)):
        np.testing.assert_array_equal(a, b)


def test_uint8_images_train_like_their_float32_copy():
    x, y = _images()
    a, b = _image_model(), _image_model()
    ha = a.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False)
    hb = b.fit(x.astype(np.float32), y, batch_size=32, epochs=2, verbose=0, shuffle=False)
    assert ha.history["loss"] == hb.history["loss"]
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x.astype(np.float32), verbose=0))
    assert a.evaluate(x, y, verbose=0) == b.evaluate(x.astype(np.float32), y, verbose=0)


def test_batchnorm_normalizes_feature_maps_over_channels():
    rng = np.random.default_rng(7)
    x = rng.normal(3.0, 2.0, (16, 5, 4, 3)).astype(np.float32)
    m = cnn.Sequential([cnn.Input((5, 4, 3)), layers.BatchNormalization(momentum=0.0)])
    m.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mse")
    m.train_on_batch(x, np.zeros_like(x))                # momentum 0: the moving stats = this batch's
    gamma, beta, mean, var = m.get_weights()
    x64 = x.astype(np.float64).reshape(-1, 3)
    np.testing.assert_allclose(mean, x64.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var, x64.var(0), rtol=1e-4)
    ref = (x - x64.mean(0)) / np.sqrt(x64.var(0) + 1e-3)
    np.testing.assert_allclose(m.predict(x, verbose=0), ref, rtol=1e-4, atol=1e-4)


def test_grayscale_images_without_channel_axis_get_a_clear_error():
    m = cnn.Sequential([layers.Conv2D(4, 3)])
    with pytest.raises(ValueError, match=r"channel axis is missing.*x\[\.\.\., None\]"):
        m.build((None, 28, 28))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3"):
        cnn.Sequential([cnn.Input((28, 28)), layers.Conv2D(4, 3)])
    with pytest.raises(ValueError, match="channel axis"):
        cnn.Sequential([cnn.Input((28, 28)), layers.MaxPooling2D()])


def test_summary_counts_and_shapes_as_keras(capsys):
    m = cnn.Sequential([cnn.Input((32, 32, 3)), layers.Conv2D(32, (3, 3)), layers.MaxPooling2D(),
                        layers.Conv2D(8, 3, groups=4, use_bias=False, padding="same"),
                        layers.GlobalAveragePooling2D()])
    assert [layer.count_params() for layer in m.layers] == [896, 0, 9 * 8 * 8, 0]
    m.summary()
    out = capsys.readouterr().out
    assert "(None, 30, 30, 32)" in out and "(None, 15, 15, 32)" in out and "896" in out
    assert "(None, 15, 15, 8)" in out and "(None, 8)" in out


@pytest.mark.parametrize("cls,kwargs,match", [
    (layers.Conv2D, dict(filters=0, kernel_size=3), "filters"),
    (layers.Conv2D, dict(filters=4, kernel_size=(3, 0)), "kernel_size"),
    (layers.Conv2D, dict(filters=4, kernel_size=(3, 3, 3)), "kernel_size"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, padding="full"), "padding"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, padding="causal"), "padding"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, strides=-1), "strides"),
    (layers.Conv2D, dict(filters=5, kernel_size=3, groups=2), "groups"),
    (layers.Conv2D, dict(filters=4, kernel_size=3, data_format="channels_first"), "data_format"),
    (layers.MaxPooling2D, dict(pool_size=0), "pool_size"),
    (layers.AveragePooling1D, dict(pool_size=2, padding="x"), "padding"),
])
def test_bad_arguments_name_the_argument(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_window_larger_than_input_and_indivisible_channels():
    with pytest.raises(ValueError, match="larger than the input"):
        cnn.Sequential([cnn.Input((4, 4, 1)), layers.Conv2D(2, 5)])
    with pytest.raises(ValueError, match="divisible by groups"):
        cnn.Sequential([cnn.Input((6, 6, 3)), layers.Conv2D(4, 3, groups=2)])
    with pytest.raises(TypeError, match="scale"):
        layers.Rescaling("1/255")


def test_save_load_and_config_round_trip(tmp_path):
    x, y = _images(20)
    m = _image_model()
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "m.keras")
    back = cnn.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(back.predict(x, verbose=0), m.predict(x, verbose=0))
    for layer in m.layers:
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_conv1d_pooling_1d_train():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(40, 20, 3)).astype(np.float32), rng.integers(0, 2, 40)
    m = cnn.Sequential([cnn.Input((20, 3)), layers.Conv1D(8, 3, padding="causal", activation="relu"),
                        layers.MaxPooling1D(), layers.Conv1D(4, 3, strides=2, padding="same"),
                        layers.AveragePooling1D(2), layers.GlobalMaxPooling1D(), layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy")
    h = m.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert m.output_shape == (None, 1) and h.history["loss"][-1] < h.history["loss"][0]


def test_padding_cropping_upsampling_forward_and_gradient():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 5, 4, 2)).astype(np.float32)
    cases = [(layers.ZeroPadding2D(((1, 2), (0, 3))), np.pad(x, ((0, 0), (1, 2), (0, 3), (0, 0)))),
             (layers.Cropping2D(((1, 2), (0, 1))), x[:, 1:-2, :-1]),
             (layers.UpSampling2D((2, 3)), x.repeat(2, axis=1).repeat(3, axis=2))]
    for layer, ref in cases:
        m = cnn.Sequential([cnn.Input((5, 4, 2)), layer])
        np.testing.assert_array_equal(m.predict(x, verbose=0), ref)
    s = x[:, 0]
    for layer, ref in [(layers.ZeroPadding1D((2, 1)), np.pad(s, ((0, 0), (2, 1), (0, 0)))),
                       (layers.Cropping1D((1, 2)), s[:, 1:-2]), (layers.UpSampling1D(3), s.repeat(3, axis=1))]:
        m = cnn.Sequential([cnn.Input((4, 2)), layer])
        np.testing.assert_array_equal(m.predict(s, verbose=0), ref)
    # gradient through UpSampling (sums of repeated pixels) and cropping/padding: SGD(1) on the conv
    # kernel below them against the float64 model's finite differences
    m = cnn.Sequential([cnn.Input((5, 4, 2)), layers.Conv2D(2, 2, use_bias=False), layers.UpSampling2D((2, 1)),
                        layers.ZeroPadding2D(1), layers.Cropping2D(((2, 0), (0, 1))), layers.Flatten(),
                        layers.Dense(1, use_bias=False)])
    m.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
    y = rng.normal(size=(3, 1)).astype(np.float32)
    k0, d0 = [w.astype(np.float64) for w in m.get_weights()]
    m.train_on_batch(x, y)
    grad = k0 - m.get_weights()[0]

    def loss(k):
        h = ref_conv(x.astype(np.float64), k, None, (1, 1), "valid", (1, 1)).repeat(2, axis=1)
        h = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))[:, 2:, :-1]
        return np.mean((h.reshape(3, -1) @ d0 - y) ** 2)
    for i in range(k0.size):
        e = np.zeros(k0.size)
        e[i] = 1e-6
        num = (loss(k0 + e.reshape(k0.shape)) - loss(k0 - e.reshape(k0.shape))) / 2e-6
        np.testing.assert_allclose(grad.reshape(-1)[i], num, rtol=1e-3, atol=1e-6)


def test_spatial_dropout_drops_whole_channels():
    # one channel of 3x3 ones, batch 1, mse against 0: 4 when the map is kept (scaled by 2), 0 when
    # dropped, never between (which element-wise dropout would give)
    cnn.utils.set_random_seed(3)
    x = np.ones((64, 3, 3, 1), np.float32)
    m = cnn.Sequential([cnn.Input((3, 3, 1)), layers.SpatialDropout2D(0.5), layers.Flatten()])
    m.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mse")
    seen = []

    class Grab(cnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    m.fit(x, np.zeros((64, 9)), batch_size=1, epochs=1, verbose=0, shuffle=False, callbacks=[Grab()])
    per_sample = np.diff([0.0] + [v * (i + 1) for i, v in enumerate(seen)])
    np.testing.assert_allclose(np.sort(np.unique(np.round(per_sample, 4))), [0.0, 4.0])
    np.testing.assert_array_equal(m.predict(x, verbose=0), x.reshape(64, 9))   # inference: identity
    assert "noise_shape" not in m.layers[0].get_config()
    with pytest.raises(ValueError, match="channel axis"):
        cnn.Sequential([cnn.Input((3, 3)), layers.SpatialDropout2D(0.5)])


def test_reshape_into_images_dense_on_feature_maps_and_fit_on_3d_input():
    rng = np.random.default_rng(10)
    x = rng.random((10, 784)).astype(np.float32)
    m = cnn.Sequential([cnn.Input((784,)), layers.Reshape((28, 28, 1)), layers.Conv2D(4, 3, activation="relu"),
                        layers.Dense(3), layers.GlobalMaxPooling2D(), layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, np.zeros((10, 2)), verbose=0)
    w = m.get_weights()
    h = np.maximum(ref_conv(x.reshape(10, 28, 28, 1).astype(np.float64), w[0], w[1], (1, 1), "valid", (1, 1)), 0)
    ref = (h @ w[2] + w[3]).max(axis=(1, 2)) @ w[4] + w[5]
    np.testing.assert_allclose(m.predict(x, verbose=0), ref, rtol=1e-4, atol=1e-5)
    deferred = cnn.Sequential([layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(1)])
    deferred.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"channel axis is missing.*\(None, 8, 8, 1\)"):
        deferred.fit(rng.random((5, 8, 8)), np.zeros(5), verbose=0)
