"""Kernels split over the thread pool when their work is large: the convolution kernel gradient cut
along K into fixed blocks, bias column sums, activations, losses, the optimizer, the row gather.
The values are right (float64 references) and the bits never depend on the thread count or the
instruction-set path."""
import numpy as np
import pytest

import cnn
from cnn import _core, layers


def _with(threads, isa, fn):
    _core.set_num_threads(threads)
    _core.set_isa(isa)
    try:
        return fn()
    finally:
        _core.set_isa(-1)
        _core.set_num_threads(0)


def _conv_model(shape, filters, kernel, groups, padding="valid", strides=1):
    m = cnn.Sequential([cnn.Input(shape),
                        layers.Conv2D(filters, kernel, strides=strides, padding=padding, groups=groups,
                                      bias_initializer="random_normal"),
                        layers.Flatten(), layers.Dense(3, bias_initializer="random_normal")])
    m.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
    return m


def _conv_grads64(x, y, k, b, kd, bd, groups, stride, pad):
    """dL/dkernel and dL/dbias of MSE(flatten(conv(x)) @ kd + bd) in float64 (valid or same padding)."""
    kh, kw, cg, f = k.shape
    n, c = len(x), x.shape[-1]
    if pad:
        x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    taps = np.stack([x[:, i:i + stride * oh:stride, j:j + stride * ow:stride] for i in range(kh) for j in range(kw)], 3)
    fg = f // groups
    h = np.empty((n, oh, ow, f))
    for g in range(groups):
        cols = taps[..., g * cg:(g + 1) * cg].reshape(n, oh, ow, kh * kw * cg)
        h[..., g * fg:(g + 1) * fg] = cols @ k[..., g * fg:(g + 1) * fg].reshape(-1, fg) + b[g * fg:(g + 1) * fg]
    p = h.reshape(n, -1) @ kd + bd
    dp = 2 * (p - y) / p.size
    dh = (dp @ kd.T).reshape(h.shape)
    dk = np.empty_like(k)
    for g in range(groups):
        cols = taps[..., g * cg:(g + 1) * cg].reshape(-1, kh * kw * cg)
        dk[..., g * fg:(g + 1) * fg] = (cols.T @ dh[..., g * fg:(g + 1) * fg].reshape(-1, fg)).reshape(kh, kw, cg, fg)
    assert c == cg * groups
    return dk, dh.reshape(-1, f).sum(0)


# (input, filters, kernel, groups, padding, strides): the classic first layer (columns kept from
# forward to backward), wide columns in the shared workspace with two groups, a pointwise kernel
# (no columns at all); each batch spans several K blocks of the kernel gradient.
CASES = [((20, 20, 1), 8, 3, 1, "valid", 1), ((15, 13, 8), 4, 3, 2, "same", 1), ((12, 12, 6), 5, 1, 1, "valid", 1),
         ((17, 16, 3), 6, 3, 1, "valid", 2)]


@pytest.mark.parametrize("shape,filters,kernel,groups,padding,strides", CASES)
def test_conv_kernel_gradient_split_along_k_matches_float64(shape, filters, kernel, groups, padding, strides):
    rng = np.random.default_rng(1)
    n = 50
    x = rng.normal(size=(n,) + shape).astype(np.float32)
    y = rng.normal(size=(n, 3)).astype(np.float32)
    cnn.utils.set_random_seed(2)
    m = _conv_model(shape, filters, kernel, groups, padding, strides)
    w0 = [w.astype(np.float64) for w in m.get_weights()]
    m.train_on_batch(x, y)   # SGD(1.0): the weights drop by their gradients
    got = [a - b for a, b in zip(w0, m.get_weights())]
    dk, db = _conv_grads64(x.astype(np.float64), y.astype(np.float64), *w0, groups, strides,
                           (kernel - 1) // 2 if padding == "same" else 0)
    np.testing.assert_allclose(got[0], dk, rtol=2e-4, atol=2e-5 * np.abs(dk).max())
    np.testing.assert_allclose(got[1], db, rtol=2e-4, atol=2e-5 * np.abs(db).max())


@pytest.mark.parametrize("shape,filters,kernel,groups,padding,strides", CASES)
def test_conv_training_bits_do_not_depend_on_threads_or_isa(shape, filters, kernel, groups, padding, strides):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(70,) + shape).astype(np.float32)
    y = rng.normal(size=(70, 3)).astype(np.float32)

    def run():
        cnn.utils.set_random_seed(3)
        m = _conv_model(shape, filters, kernel, groups, padding, strides)
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, batch_size=32, epochs=2, verbose=0)   # 32, 32 and 6 samples: 1 to 16 K blocks
        return m.get_weights()

    ref = _with(1, -1, run)
    for threads, isa in [(2, -1), (3, -1), (2, 0), (3, 1)]:
        for a, b in zip(ref, _with(threads, isa, run)):
            np.testing.assert_array_equal(a, b, err_msg=f"{threads} threads, isa {isa}")


def test_classic_image_model_bits_do_not_depend_on_threads():
    rng = np.random.default_rng(5)
    x = rng.random((96, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 96)

    def run():
        cnn.utils.set_random_seed(4)
        m = cnn.Sequential([cnn.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                            layers.Flatten(), layers.Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        m.fit(x, y, batch_size=32, epochs=2, verbose=0)
        return m.get_weights()

    ref = _with(1, -1, run)
    for threads in (2, 3):
        for a, b in zip(ref, _with(threads, -1, run)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("act,loss", [("tanh", "categorical_crossentropy"), ("sigmoid", "binary_crossentropy"),
                                      ("gelu", "mse"), ("relu", "categorical_hinge")])
def test_wide_dense_model_bits_do_not_depend_on_threads_or_isa(act, loss):
    """Batches large enough that activations, the loss, bias sums (both ways of splitting them),
    the optimizer, the gradient zeroing and the row gather all run on the pool."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(1100, 30)).astype(np.float32)
    y = np.eye(20, dtype=np.float32)[rng.integers(0, 20, 1100)]
    sw = rng.random(1100).astype(np.float32)
    last = "sigmoid" if loss == "binary_crossentropy" else "softmax" if "entropy" in loss else None

    def run():
        cnn.utils.set_random_seed(7)
        m = cnn.Sequential([cnn.Input((30,)), layers.Dense(700, activation=act), layers.Dense(40),
                            layers.Activation(act), layers.Dense(20, activation=last)])
        m.compile(optimizer="rmsprop", loss=loss)
        h = m.fit(x, y, sample_weight=sw, batch_size=512, epochs=2, verbose=0)
        return m.get_weights() + [np.array(h.history["loss"])]

    ref = _with(1, -1, run)
    for threads, isa in [(2, -1), (3, -1), (2, 0)]:
        for a, b in zip(ref, _with(threads, isa, run)):
            np.testing.assert_array_equal(a, b, err_msg=f"{threads} threads, isa {isa}")


@pytest.mark.parametrize("rows,cols", [(5000, 7), (300, 600), (70, 3000), (129, 64)])
def test_bias_gradient_column_sums(rows, cols):
    """A Dense layer's bias gradient is the column sum of dL/dz: in 64-row chunks, on any thread
    count the same bits, close to the float64 sum."""
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, 2)).astype(np.float32)
    y = rng.normal(size=(rows, cols)).astype(np.float32)

    def grad():
        cnn.utils.set_random_seed(1)
        m = cnn.Sequential([cnn.Input((2,)), layers.Dense(cols)])
        m.compile(optimizer=cnn.optimizers.SGD(1.0), loss="mse")
        m.train_on_batch(x, y)
        return -m.get_weights()[1]   # zero before the step: minus the gradient, exactly

    g1, g2, g3 = (_with(t, -1, grad) for t in (1, 2, 3))
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_array_equal(g1, g3)
    cnn.utils.set_random_seed(1)
    m = cnn.Sequential([cnn.Input((2,)), layers.Dense(cols)])
    ref = (2 * (x.astype(np.float64) @ m.get_weights()[0].astype(np.float64) - y) / y.size).sum(0)
    np.testing.assert_allclose(g1, ref, rtol=1e-3, atol=1e-6 * np.abs(ref).max())


# (M, N, K): B packed once for all threads and M split (the wine and Fashion-MNIST products), A packed
# once and N split (few rows, many columns), neither (both large: C split into blocks)
GEMM_SHAPES = [(256, 512, 512), (32, 128, 784), (784, 128, 32), (11, 3000, 256), (32, 5408, 10),
               (1100, 2100, 60)]


@pytest.mark.parametrize("M,N,K", GEMM_SHAPES)
@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1)])
def test_multithreaded_gemm_paths_give_one_thread_bits(M, N, K, ta, tb):
    rng = np.random.default_rng(M + N + K)
    A = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    B = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    C0 = rng.standard_normal((M, N)).astype(np.float32)
    mask = rng.standard_normal((M, N)).astype(np.float32)

    def product():
        C = C0.copy()
        _core.gemm(A, B, C, ta, tb, True, mask=mask)
        return C

    ref = _with(1, -1, product)
    isas = [isa for isa in range(3) if _core.set_isa(isa) == isa]
    _core.set_isa(-1)
    for threads, isa in [(2, -1), (3, -1)] + [(2, isa) for isa in isas]:
        assert np.array_equal(ref.view(np.uint32), _with(threads, isa, product).view(np.uint32)), (threads, isa)
    a, b = (A.T if ta else A).astype(np.float64), (B.T if tb else B).astype(np.float64)
    want = np.where(mask > 0, C0 + a @ b, 0.0)
    scale = np.abs(C0) + np.abs(a) @ np.abs(b)
    assert np.all(np.abs(ref - want) <= 1e-5 * scale)
