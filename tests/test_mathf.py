"""The core's float32 math (csrc/math/mathf.c) against float64 references, in ulps of the float32 result.

The kernels compute in double and round once, so they should be correctly rounded (max error
0.5 ulp) up to 1e-5 ulp; the bound asserted here leaves room only for the float64 reference's own
error. An exhaustive scan over every float (done once, see the report of csrc/math/mathf.c) gave a
max error of 0.5000 ulp for all seven functions.
"""
import hashlib
import math

import numpy as np
import pytest

from cnn import _core

MAX_ULP = 0.51

_erf64 = np.vectorize(math.erf, otypes=[np.float64])
REFS = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "tanh": np.tanh, "erf": _erf64,
    "sin": np.sin, "cos": np.cos, "sqrt": np.sqrt,
}


def ulp_error(y, ref):
    """|y - ref| in units of the float32 spacing at ref (subnormal spacing below 2^-126)."""
    y = y.astype(np.float64)
    finite = np.isfinite(ref) & (np.abs(ref) <= np.finfo(np.float32).max)
    _, e = np.frexp(np.where(finite, ref, 1.0))
    ulp = np.ldexp(1.0, np.maximum(e - 1, -126) - 23)
    err = np.where(finite, np.abs(y - np.where(finite, ref, 0)) / ulp, 0.0)
    return err


def random_floats(rng, n, lo_exp=-149, hi_exp=128):
    """Floats spread over binades: random sign, exponent, mantissa."""
    bits = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[np.isfinite(x)]
    ax = np.abs(x).astype(np.float64)
    return x[(ax >= 2.0 ** lo_exp) & (ax < 2.0 ** hi_exp)]


def check(name, x, bound=MAX_ULP):
    x = np.asarray(x, np.float32)
    y = _core.mathf(name, x)
    assert y.dtype == np.float32 and y.shape == x.shape
    with np.errstate(all="ignore"):
        ref = REFS[name](x.astype(np.float64))
    err = ulp_error(y, ref)
    worst = int(np.argmax(err)) if err.size else 0
    assert err.max(initial=0) <= bound, f"{name}: {err.max()} ulp at x={x.flat[worst]!r}"
    # outside the float range the result must be the right infinity (or 0 / nan)
    over = np.abs(ref) > np.finfo(np.float32).max
    assert np.array_equal(y[over], np.sign(ref[over]).astype(np.float32) * np.inf)
    assert np.array_equal(np.isnan(y), np.isnan(ref))
    return err.max(initial=0)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_exp(rng):
    check("exp", rng.uniform(-104, 89, 200_000))
    check("exp", rng.uniform(-1, 1, 50_000))
    check("exp", random_floats(rng, 100_000, hi_exp=7))
    # exact limits: the largest finite result, the overflow, subnormal results, underflow to 0
    x = np.float32([88.72283, 88.72284, 88.8, 1e30, -87.3, -100.0, -103.9, -103.95, -103.98, -1e30])
    y = _core.mathf("exp", x)
    assert np.isfinite(y[0]) and np.isinf(y[1:4]).all()
    assert (y[4:8] > 0).all() and y[6] < np.finfo(np.float32).tiny
    assert (y[8:] == 0).all()
    special = _core.mathf("exp", np.float32([np.inf, -np.inf, np.nan, 0.0, -0.0]))
    assert special[0] == np.inf and special[1] == 0 and np.isnan(special[2])
    assert special[3] == 1 and special[4] == 1


def test_log(rng):
    check("log", np.abs(random_floats(rng, 300_000)))
    check("log", rng.uniform(0.5, 2.0, 100_000))
    check("log", np.float32(1.0) + np.arange(-300, 300, dtype=np.float32) * np.float32(2.0**-24))
    check("log", np.float32([1.4e-45, 1e-40, 1.17e-38, 3.4e38, 1.0, 2.0, 0.5]))
    s = _core.mathf("log", np.float32([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 1.0]))
    assert s[0] == -np.inf and s[1] == -np.inf and np.isnan(s[2]) and np.isnan(s[3])
    assert s[4] == np.inf and np.isnan(s[5]) and s[6] == 0


def test_log1p(rng):
    x = random_floats(rng, 300_000)
    check("log1p", x[x > -1])
    check("log1p", rng.uniform(-1, 1, 200_000))
    tiny = np.float32([1e-30, -1e-30, 1e-45, 3e-8, -3e-8, 1e-10])
    assert np.array_equal(_core.mathf("log1p", tiny)[[0, 1, 2, 5]], tiny[[0, 1, 2, 5]])
    check("log1p", tiny)
    s = _core.mathf("log1p", np.float32([-1.0, -2.0, np.inf, -np.inf, np.nan, -0.0]))
    assert s[0] == -np.inf and np.isnan(s[1]) and s[2] == np.inf and np.isnan(s[3]) and np.isnan(s[4])
    assert s[5] == 0 and np.signbit(s[5])


def test_tanh(rng):
    check("tanh", rng.uniform(-12, 12, 200_000))
    check("tanh", random_floats(rng, 200_000))
    check("tanh", rng.uniform(-1e-3, 1e-3, 50_000))
    s = _core.mathf("tanh", np.float32([np.inf, -np.inf, np.nan, -0.0, 1e-30, 20.0, -20.0]))
    assert s[0] == 1 and s[1] == -1 and np.isnan(s[2]) and s[3] == 0 and np.signbit(s[3])
    assert s[4] == np.float32(1e-30) and s[5] == 1 and s[6] == -1


def test_erf(rng):
    check("erf", rng.uniform(-5, 5, 100_000))
    check("erf", random_floats(rng, 100_000, hi_exp=4))
    check("erf", np.float32([0.0, 1e-40, 1.0, 2.5, 4.0, 3.99, 1.0 - 2**-24, 2.5 - 2**-22]))
    s = _core.mathf("erf", np.float32([np.inf, -np.inf, np.nan, -0.0, 10.0]))
    assert s[0] == 1 and s[1] == -1 and np.isnan(s[2]) and s[3] == 0 and np.signbit(s[3]) and s[4] == 1


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_cos(rng, name):
    two_pi = 2 * np.pi
    check(name, rng.uniform(-two_pi, two_pi, 200_000))      # what Box-Muller needs
    check(name, np.linspace(0, two_pi, 100_001))
    check(name, rng.uniform(-1e5, 1e5, 100_000))
    check(name, random_floats(rng, 300_000))                # up to 3.4e38: Payne-Hanek
    # floats next to multiples of pi/2, where the reduction cancels most bits
    k = np.arange(1, 20000, dtype=np.float64)
    near = (k * np.pi / 2).astype(np.float32)
    check(name, np.concatenate([near, np.nextafter(near, np.float32(0)), np.nextafter(near, np.float32(1e9))]))
    s = _core.mathf(name, np.float32([np.inf, -np.inf, np.nan]))
    assert np.isnan(s).all()
    if name == "sin":
        z = _core.mathf("sin", np.float32([-0.0, 1e-30]))
        assert z[0] == 0 and np.signbit(z[0]) and z[1] == np.float32(1e-30)


def test_sqrt(rng):
    x = np.abs(random_floats(rng, 100_000))
    assert np.array_equal(_core.mathf("sqrt", x), np.sqrt(x))
    assert np.isnan(_core.mathf("sqrt", np.float32([-1.0])))[0]


def test_bits_are_pinned():
    """The same bits on every machine and build: a digest of outputs on a fixed grid of inputs
    (correctly rounded values, so any libm-independent implementation keeping 0.5 ulp agrees)."""
    x = np.linspace(-30, 30, 20001, dtype=np.float32)
    digests = {}
    for name in ("exp", "tanh", "erf", "sin", "cos"):
        digests[name] = hashlib.sha256(_core.mathf(name, x).tobytes()).hexdigest()[:16]
    xp = np.linspace(1e-3, 30, 20001, dtype=np.float32)
    for name in ("log", "log1p"):
        digests[name] = hashlib.sha256(_core.mathf(name, xp).tobytes()).hexdigest()[:16]
    assert digests == GOLDEN_DIGESTS


GOLDEN_DIGESTS = {
    "exp": "e04fe718072d0564", "tanh": "791a4824b6d0cfc1", "erf": "9da74fe2168edf7e",
    "sin": "77bbe7e34796c3c0", "cos": "2de161235229e652", "log": "86dd348d20f03163",
    "log1p": "9fad41c538cb8454",
}
