"""Dropout (csrc/dropout.c) and batch normalization (csrc/batchnorm.c), through a private ctypes
build, against float64 references of Keras 3's Dropout (inverted, scaled by 1 / (1 - rate)) and
BatchNormalization (biased batch variance; moving stats updated with momentum)."""
import ctypes

import numpy as np
import pytest

from c_library import build_lib  # tests/ is on sys.path

F32P = ctypes.POINTER(ctypes.c_float)
U8P = ctypes.POINTER(ctypes.c_uint8)


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    L = build_lib(tmp_path_factory.mktemp("dropbn"),
                  ["dropout.c", "batchnorm.c", "rng.c", "mathf.c", "threads.c"])
    L.cnn_dropout_forward.argtypes = [F32P, U8P, F32P, ctypes.c_long, ctypes.c_float, ctypes.c_uint64]
    L.cnn_dropout_backward.argtypes = [F32P, F32P, U8P, ctypes.c_long, ctypes.c_float]
    L.cnn_rng_uniform.argtypes = [F32P, ctypes.c_long, ctypes.c_uint64, ctypes.c_float, ctypes.c_float]
    L.cnn_rng_key.restype = ctypes.c_uint64
    L.cnn_rng_key.argtypes = [ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_uint64]
    L.cnn_batchnorm_forward_train.argtypes = [F32P] * 5 + [F32P] * 3 + [ctypes.c_long] * 2 + [ctypes.c_float] * 2
    L.cnn_batchnorm_forward_infer.argtypes = [F32P] * 6 + [ctypes.c_long] * 2 + [ctypes.c_float]
    L.cnn_batchnorm_backward.argtypes = [F32P] * 8 + [ctypes.c_long] * 2
    L.cnn_set_num_threads.argtypes = [ctypes.c_int]
    return L


def fp(a):
    if a is None:
        return None
    assert a.dtype == np.float32 and a.flags.c_contiguous
    return a.ctypes.data_as(F32P)


def up(a):
    return a.ctypes.data_as(U8P)


def f32(rng, *shape, scale=1.0, loc=0.0):
    return (rng.normal(loc, scale, shape)).astype(np.float32)


# ---------------------------------------------------------------- dropout
def dropout(lib, x, rate, key, inplace=False):
    x = np.ascontiguousarray(x, np.float32)
    y = x if inplace else np.empty_like(x)
    keep = np.empty(x.shape, np.uint8)
    lib.cnn_dropout_forward(fp(y), up(keep), fp(x), x.size, rate, key)
    return y, keep


def uniforms(lib, n, key):
    u = np.empty(n, np.float32)
    lib.cnn_rng_uniform(fp(u), n, key, 0.0, 1.0)
    return u


def dkey(lib, seed, step):
    return lib.cnn_rng_key(seed, 3, 0, step)


@pytest.mark.parametrize("n", [1, 7, 1000, 4099, 100003])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_forward_exact(lib, n, rate):
    x = f32(np.random.default_rng(n), n)
    key = dkey(lib, 1234, n)
    y, keep = dropout(lib, x, rate, key)
    want_keep = uniforms(lib, n, key) >= np.float32(rate)          # element i = counter i
    np.testing.assert_array_equal(keep, want_keep.astype(np.uint8))
    want = np.where(want_keep, x / (np.float32(1) - np.float32(rate)), np.float32(0)).astype(np.float32)
    np.testing.assert_array_equal(y, want)
    y2, keep2 = dropout(lib, x, rate, key, inplace=True)             # y may equal x
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(keep2, keep)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.9])
def test_dropout_rate_statistics(lib, rate):
    n = 200_000
    _, keep = dropout(lib, np.ones(n, np.float32), rate, dkey(lib, 7, 3))
    p = 1 - rate
    assert abs(keep.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    # Scaling keeps the expectation: mean(y) ~ mean(x).
    y, _ = dropout(lib, np.full(n, 2.0, np.float32), rate, dkey(lib, 7, 4))
    assert abs(y.mean() - 2.0) < 5 * 2.0 * np.sqrt(rate / p / n)


def test_dropout_keys(lib):
    x = np.ones(5000, np.float32)
    k1, k2 = dkey(lib, 1, 0), dkey(lib, 1, 1)
    a, ka = dropout(lib, x, 0.5, k1)
    b, kb = dropout(lib, x, 0.5, k1)
    c, kc = dropout(lib, x, 0.5, k2)
    np.testing.assert_array_equal(ka, kb)
    np.testing.assert_array_equal(a, b)
    assert (ka != kc).mean() > 0.4                   # independent masks differ in about half
    _, kd = dropout(lib, x, 0.5, dkey(lib, 2, 0))
    assert (ka != kd).mean() > 0.4


def test_dropout_bits_do_not_depend_on_threads(lib):
    x = f32(np.random.default_rng(2), 300_001)
    outs = []
    for threads in (1, 3):
        lib.cnn_set_num_threads(threads)
        outs.append(dropout(lib, x, 0.4, dkey(lib, 8, 1)))
    lib.cnn_set_num_threads(0)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_dropout_rate_0_and_1(lib):
    x = f32(np.random.default_rng(0), 333)
    y, keep = dropout(lib, x, 0.0, dkey(lib, 5, 5))
    np.testing.assert_array_equal(y, x)
    assert keep.all()
    y, keep = dropout(lib, x, 1.0, dkey(lib, 5, 5))
    assert (y == 0).all() and not keep.any() and np.isfinite(y).all()
    dx = np.empty_like(x)
    lib.cnn_dropout_backward(fp(dx), fp(x), up(keep), x.size, 1.0)
    assert (dx == 0).all()


@pytest.mark.parametrize("rate", [0.0, 0.25, 0.6])
def test_dropout_backward(lib, rate):
    rng = np.random.default_rng(9)
    x, dy = f32(rng, 777), f32(rng, 777)
    y, keep = dropout(lib, x, rate, dkey(lib, 3, 9))
    dx = np.empty_like(dy)
    lib.cnn_dropout_backward(fp(dx), fp(dy), up(keep), dy.size, rate)
    want = np.where(keep, dy / (np.float32(1) - np.float32(rate)), np.float32(0)).astype(np.float32)
    np.testing.assert_array_equal(dx, want)
    # The gradient of sum(y * dy) with respect to x is dx: y is linear in x for a fixed mask.
    np.testing.assert_allclose(dx * x, y * dy, rtol=1e-6, atol=1e-7)
    inplace = dy.copy()                              # dx may equal dy
    lib.cnn_dropout_backward(fp(inplace), fp(inplace), up(keep), dy.size, rate)
    np.testing.assert_array_equal(inplace, dx)


# ---------------------------------------------------------------- batch normalization
def ref_bn_train(x, gamma, beta, eps):
    x = x.astype(np.float64)
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)              # biased, as Keras 3
    inv = 1 / np.sqrt(var + eps)
    g = 1.0 if gamma is None else gamma.astype(np.float64)
    b = 0.0 if beta is None else beta.astype(np.float64)
    return (x - mean) * inv * g + b, mean, var, inv


def ref_bn_backward(dy, x, gamma, eps):
    """Analytic float64 gradient of sum(dy * y) through the batch statistics."""
    x, dy = x.astype(np.float64), dy.astype(np.float64)
    n = x.shape[0]
    _, mean, var, inv = ref_bn_train(x, None, None, eps)
    xhat = (x - mean) * inv
    g = 1.0 if gamma is None else gamma.astype(np.float64)
    dgamma, dbeta = (dy * xhat).sum(0), dy.sum(0)
    dx = g * inv / n * (n * dy - dy.sum(0) - xhat * (dy * xhat).sum(0))
    return dx, dgamma, dbeta


class BN:
    def __init__(self, lib, x, gamma, beta, mm, mv, momentum=0.99, eps=1e-3):
        rows, cols = x.shape
        self.y = np.empty_like(x)
        self.mean = np.empty(cols, np.float32)
        self.inv = np.empty(cols, np.float32)
        lib.cnn_batchnorm_forward_train(fp(self.y), fp(self.mean), fp(self.inv), fp(mm), fp(mv), fp(x),
                                        fp(gamma), fp(beta), rows, cols, momentum, eps)


SHAPES = [(1, 3), (2, 1), (7, 5), (64, 64), (33, 130), (600, 130)]


@pytest.mark.parametrize("shape", SHAPES)
def test_bn_forward_train(lib, shape):
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    x = f32(rng, *shape, scale=3.0, loc=5.0)
    gamma, beta = f32(rng, shape[1], loc=1.0), f32(rng, shape[1])
    mm0, mv0 = f32(rng, shape[1]), np.abs(f32(rng, shape[1])) + 0.5
    mm, mv = mm0.copy(), mv0.copy()
    bn = BN(lib, x, gamma, beta, mm, mv, momentum=0.9, eps=1e-3)
    y, mean, var, inv = ref_bn_train(x, gamma, beta, 1e-3)
    np.testing.assert_allclose(bn.y, y, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(bn.mean, mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(bn.inv, inv, rtol=1e-6)
    # Moving statistics: Keras's float32 update with the batch mean and the biased variance.
    m = np.float32(0.9)
    want_mm = mm0 * m + mean.astype(np.float32) * (np.float32(1) - m)
    want_mv = mv0 * m + var.astype(np.float32) * (np.float32(1) - m)
    np.testing.assert_allclose(mm, want_mm, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(mv, want_mv, rtol=1e-6, atol=1e-7)


def test_bn_forward_train_in_place_and_null_affine(lib):
    rng = np.random.default_rng(1)
    x = f32(rng, 40, 9, scale=2.0)
    ones, zeros = np.ones(9, np.float32), np.zeros(9, np.float32)
    mm, mv = np.zeros(9, np.float32), np.ones(9, np.float32)
    a = BN(lib, x, ones, zeros, mm.copy(), mv.copy())
    b = BN(lib, x, None, None, mm.copy(), mv.copy())
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_allclose(b.y, ref_bn_train(x, None, None, 1e-3)[0], rtol=2e-5, atol=2e-5)
    xi = x.copy()                                     # y may equal x
    mean, inv = np.empty(9, np.float32), np.empty(9, np.float32)
    lib.cnn_batchnorm_forward_train(fp(xi), fp(mean), fp(inv), fp(mm), fp(mv), fp(xi), None, None,
                                    40, 9, 0.99, 1e-3)
    np.testing.assert_array_equal(xi, b.y)


@pytest.mark.parametrize("shape", [(1, 4), (5, 3), (64, 70)])
def test_bn_forward_infer(lib, shape):
    rng = np.random.default_rng(11)
    x = f32(rng, *shape, scale=2.0)
    gamma, beta = f32(rng, shape[1], loc=1.0), f32(rng, shape[1])
    mm, mv = f32(rng, shape[1]), np.abs(f32(rng, shape[1])) + 0.1
    y = np.empty_like(x)
    lib.cnn_batchnorm_forward_infer(fp(y), fp(x), fp(gamma), fp(beta), fp(mm), fp(mv), *shape, 1e-3)
    want = (x.astype(np.float64) - mm) / np.sqrt(mv.astype(np.float64) + 1e-3) * gamma + beta
    np.testing.assert_allclose(y, want, rtol=2e-5, atol=2e-5)
    y2 = np.empty_like(x)
    lib.cnn_batchnorm_forward_infer(fp(y2), fp(x), None, None, fp(mm), fp(mv), *shape, 1e-3)
    np.testing.assert_allclose(y2, (x.astype(np.float64) - mm) / np.sqrt(mv + 1e-3), rtol=2e-5, atol=2e-5)


def bn_backward(lib, dy, x, bn, gamma, dgamma=None, dbeta=None):
    dx = np.empty_like(dy)
    lib.cnn_batchnorm_backward(fp(dx), fp(dgamma), fp(dbeta), fp(dy), fp(x), fp(bn.mean), fp(bn.inv),
                               fp(gamma), *x.shape)
    return dx


@pytest.mark.parametrize("shape", SHAPES)
def test_bn_backward_vs_analytic(lib, shape):
    rng = np.random.default_rng(shape[0] + 100 * shape[1])
    x, dy = f32(rng, *shape, scale=2.0, loc=1.0), f32(rng, *shape)
    gamma, beta = f32(rng, shape[1], loc=1.0), f32(rng, shape[1])
    bn = BN(lib, x, gamma, beta, np.zeros(shape[1], np.float32), np.ones(shape[1], np.float32))
    dgamma, dbeta = np.full(shape[1], 0.5, np.float32), np.full(shape[1], -0.25, np.float32)
    dx = bn_backward(lib, dy, x, bn, gamma, dgamma, dbeta)
    rdx, rdg, rdb = ref_bn_backward(dy, x, gamma, 1e-3)
    scale = np.abs(dy * gamma * bn.inv).max()        # dx cancels down from this size
    np.testing.assert_allclose(dx, rdx, rtol=1e-4, atol=1e-5 * scale)
    np.testing.assert_allclose(dgamma, 0.5 + rdg, rtol=1e-5, atol=1e-4)   # accumulated (+=)
    np.testing.assert_allclose(dbeta, -0.25 + rdb, rtol=1e-5, atol=1e-4)
    if shape[0] == 1:
        assert (dx == 0).all()                        # one row: the output does not depend on x


@pytest.mark.parametrize("shape", [(3, 2), (16, 5), (50, 7)])
def test_bn_backward_finite_differences(lib, shape):
    """Random-direction check of d sum(dy * y) / dx, gamma, beta on the float64 forward."""
    rng = np.random.default_rng(sum(shape))
    x, dy = f32(rng, *shape, scale=1.5), f32(rng, *shape)
    gamma, beta = f32(rng, shape[1], loc=1.0), f32(rng, shape[1])
    bn = BN(lib, x, gamma, beta, np.zeros(shape[1], np.float32), np.ones(shape[1], np.float32))
    dg, db = np.zeros(shape[1], np.float32), np.zeros(shape[1], np.float32)
    dx = bn_backward(lib, dy, x, bn, gamma, dg, db)
    assert np.abs(dx).max() > 1e-3
    def loss(xx, g, b):
        return float((ref_bn_train(xx, g, b, 1e-3)[0] * dy).sum())
    h = 1e-4
    for _ in range(3):
        vx, vg, vb = rng.normal(size=x.shape), rng.normal(size=shape[1]), rng.normal(size=shape[1])
        x64, g64, b64 = x.astype(np.float64), gamma.astype(np.float64), beta.astype(np.float64)
        fd = (loss(x64 + h * vx, g64 + h * vg, b64 + h * vb) - loss(x64 - h * vx, g64 - h * vg, b64 - h * vb)) / (2 * h)
        an = float((dx * vx).sum() + (dg * vg).sum() + (db * vb).sum())
        assert an == pytest.approx(fd, rel=2e-4, abs=1e-5)


def test_bn_backward_null_outputs_and_gamma(lib):
    rng = np.random.default_rng(4)
    x, dy = f32(rng, 20, 6), f32(rng, 20, 6)
    bn = BN(lib, x, None, None, np.zeros(6, np.float32), np.ones(6, np.float32))
    dx_null = bn_backward(lib, dy, x, bn, None)                 # gamma NULL = 1, no dgamma/dbeta
    dx_ones = bn_backward(lib, dy, x, bn, np.ones(6, np.float32))
    np.testing.assert_array_equal(dx_null, dx_ones)
    np.testing.assert_allclose(dx_null, ref_bn_backward(dy, x, None, 1e-3)[0], rtol=1e-4, atol=1e-5)
    dyi = dy.copy()                                             # dx may equal dy
    lib.cnn_batchnorm_backward(fp(dyi), None, None, fp(dyi), fp(x), fp(bn.mean), fp(bn.inv), None, 20, 6)
    np.testing.assert_array_equal(dyi, dx_null)


def test_bn_bits_do_not_depend_on_threads(lib):
    rng = np.random.default_rng(8)
    x, dy = f32(rng, 700, 200, scale=3.0), f32(rng, 700, 200)   # large enough for the pool
    gamma, beta = f32(rng, 200, loc=1.0), f32(rng, 200)
    outs = []
    for threads in (1, 4):
        lib.cnn_set_num_threads(threads)
        mm, mv = np.zeros(200, np.float32), np.ones(200, np.float32)
        bn = BN(lib, x, gamma, beta, mm, mv)
        dg, db = np.zeros(200, np.float32), np.zeros(200, np.float32)
        dx = bn_backward(lib, dy, x, bn, gamma, dg, db)
        outs.append([bn.y, bn.mean, bn.inv, mm, mv, dx, dg, db])
    lib.cnn_set_num_threads(0)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
