"""L1/L2 penalties and weight constraints: csrc/regularize.c (private ctypes build) against float64
references of Keras 3's regularizers.py / constraints.py formulas, and the Python APIs
cnn.regularizers / cnn.constraints."""
import ctypes
import warnings

import numpy as np
import pytest

from c_library import build_lib  # tests/ is on sys.path
from cnn import constraints as C
from cnn import regularizers as R

F32P = ctypes.POINTER(ctypes.c_float)


class CConstraint(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("max_value", ctypes.c_float), ("min_value", ctypes.c_float),
                ("rate", ctypes.c_float)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    L = build_lib(tmp_path_factory.mktemp("regularize"), ["regularize.c"])
    L.cnn_l1l2_value.restype = ctypes.c_double
    L.cnn_l1l2_value.argtypes = [F32P, ctypes.c_long, ctypes.c_float, ctypes.c_float]
    L.cnn_l1l2_grad.argtypes = [F32P, F32P, ctypes.c_long, ctypes.c_float, ctypes.c_float]
    L.cnn_constraint_apply.argtypes = [F32P, ctypes.c_long, ctypes.c_long, ctypes.POINTER(CConstraint)]
    return L


def ptr(a):
    assert a.dtype == np.float32 and a.flags.c_contiguous
    return a.ctypes.data_as(F32P)


def value(lib, w, l1, l2):
    return lib.cnn_l1l2_value(ptr(w), w.size, l1, l2)


def tup(record):
    """A keyed record's values in field order, for compact asserts."""
    return tuple(record.values())


C_KINDS = {"none": 0, "max_norm": 1, "non_neg": 2, "unit_norm": 3, "min_max_norm": 4}   # enum cnn_constraint_kind


def constrain(lib, w, rec):
    out = np.ascontiguousarray(w, dtype=np.float32).copy()
    rows, cols = (out.shape[0], 1) if out.ndim == 1 else (int(np.prod(out.shape[:-1])), out.shape[-1])
    if isinstance(rec, dict):   # a keyed record
        rec = (rec["kind"], rec["max_value"], rec["min_value"], rec["rate"])
    rec = (C_KINDS[rec[0]],) + tuple(rec[1:])   # the C struct takes the kind's number
    lib.cnn_constraint_apply(ptr(out), rows, cols, ctypes.byref(CConstraint(*rec)))
    return out


SIZES = [0, 1, 3, 4, 5, 17, 1000, 4099]


# ---- L1 / L2 ----
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("l1,l2", [(0.01, 0.0), (0.0, 0.01), (0.3, 0.02), (0.0, 0.0)])
def test_l1l2_value(lib, n, l1, l2):
    w = np.random.default_rng(n).normal(0, 2, n).astype(np.float32)
    w64 = w.astype(np.float64)
    want = float(np.float32(l1)) * np.abs(w64).sum() + float(np.float32(l2)) * (w64 ** 2).sum()
    assert value(lib, w, l1, l2) == pytest.approx(want, rel=1e-13, abs=0)


def test_l1l2_value_skips_zero_factors(lib):
    w = np.array([np.inf, 1.0], np.float32)
    assert value(lib, w, 0.0, 0.5) == np.inf and value(lib, w, 0.0, 0.0) == 0.0


@pytest.mark.parametrize("n", SIZES)
def test_l1l2_grad_accumulates_exact_formula(lib, n):
    rng = np.random.default_rng(100 + n)
    w = rng.normal(0, 1, n).astype(np.float32)
    if n > 3:
        w[:3] = [0.0, -0.0, 2.5]
    g0 = rng.normal(0, 1, n).astype(np.float32)
    l1, l2 = np.float32(0.03), np.float32(0.007)
    g = g0.copy()
    lib.cnn_l1l2_grad(ptr(g), ptr(w), n, l1, l2)
    want = g0 + (l1 * np.sign(w).astype(np.float32) + (np.float32(2) * l2) * w)
    np.testing.assert_array_equal(g, want)


def test_l1l2_grad_matches_finite_differences(lib):
    rng = np.random.default_rng(7)
    w = rng.normal(0, 1, 301).astype(np.float32)
    w[np.abs(w) < 0.05] += 0.2          # stay away from the kink of |w|
    g = np.zeros_like(w)
    lib.cnn_l1l2_grad(ptr(g), ptr(w), w.size, 0.02, 0.05)
    assert np.abs(g).max() > 0
    for _ in range(3):
        d = rng.normal(0, 1, w.size)
        h = 1e-3
        def f(s):
            v = w.astype(np.float64) + s * h * d
            return float(np.float32(0.02)) * np.abs(v).sum() + float(np.float32(0.05)) * (v * v).sum()
        fd = (f(1) - f(-1)) / (2 * h)
        assert fd == pytest.approx(float(g.astype(np.float64) @ d), rel=1e-5)


# ---- constraints ----
def ref_constraint(w, kind, max_value=0.0, min_value=0.0, rate=1.0):
    """Keras's formulas in float64 with norms per column (axis 0 after flattening)."""
    m = w.astype(np.float64).reshape(-1, 1) if w.ndim == 1 else w.astype(np.float64).reshape(-1, w.shape[-1])
    if kind == C.NON_NEG:
        return np.maximum(w.astype(np.float64), 0)
    norms = np.sqrt((m ** 2).sum(axis=0, keepdims=True))
    if kind == C.UNIT_NORM:
        out = m / (1e-7 + norms)
    elif kind == C.MAX_NORM:
        out = m * (np.clip(norms, 0, max_value) / (1e-7 + norms))
    else:
        desired = rate * np.clip(norms, min_value, max_value) + (1 - rate) * norms
        out = m * (desired / (1e-7 + norms))
    return out.reshape(w.shape)


SHAPES = [(1,), (7,), (1, 1), (3, 5), (64, 1), (10, 70), (130, 65), (3, 3, 4, 6)]
RECORDS = [(C.MAX_NORM, 2.0, 0.0, 1.0), (C.MAX_NORM, 0.5, 0.0, 1.0), (C.UNIT_NORM, 0.0, 0.0, 1.0),
           (C.MIN_MAX_NORM, 1.0, 0.0, 1.0), (C.MIN_MAX_NORM, 3.0, 1.5, 0.25), (C.NON_NEG, 0.0, 0.0, 0.0)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("rec", RECORDS)
def test_constraint_matches_formula(lib, shape, rec):
    w = np.random.default_rng(len(shape) * 1000 + shape[-1]).normal(0, 0.6, shape).astype(np.float32)
    got = constrain(lib, w, rec)
    kind, mx, mn, rate = rec
    want = ref_constraint(w, kind, mx, mn, rate)
    np.testing.assert_allclose(got, want, rtol=3e-7, atol=1e-30)
    assert got.dtype == np.float32


def test_constraint_properties(lib):
    rng = np.random.default_rng(3)
    w = rng.normal(0, 1, (50, 9)).astype(np.float32)
    w[:, 0] *= 1e-3                                    # one small column: MaxNorm keeps it
    def norms(a):
        return np.sqrt((a.astype(np.float64) ** 2).sum(axis=0))
    mx = constrain(lib, w, (C.MAX_NORM, 2.0, 0.0, 1.0))
    assert (norms(mx) <= 2.0 * (1 + 1e-6)).all()
    np.testing.assert_allclose(mx[:, 0], w[:, 0] * (norms(w)[0] / (1e-7 + norms(w)[0])), rtol=1e-6)
    un = constrain(lib, w, (C.UNIT_NORM, 0.0, 0.0, 1.0))
    np.testing.assert_allclose(norms(un), norms(w) / (1e-7 + norms(w)), rtol=1e-6)  # eps shrinks
    assert norms(un)[0] < 1 - 1e-5 and abs(norms(un)[1] - 1) < 1e-6
    mm = constrain(lib, w * 10, (C.MIN_MAX_NORM, 3.0, 1.0, 0.5))  # halfway from the norm to the bound
    n0 = norms(w * 10)
    np.testing.assert_allclose(norms(mm), 0.5 * np.clip(n0, 1, 3) + 0.5 * n0, rtol=1e-5)
    nn = constrain(lib, np.array([[-1.0, 0.0], [2.0, np.nan]], np.float32), (C.NON_NEG, 0, 0, 0))
    assert nn[0, 0] == 0 and nn[1, 0] == 2 and nn[0, 1] == 0 and np.isnan(nn[1, 1])
    zero = constrain(lib, np.zeros((4, 3), np.float32), (C.UNIT_NORM, 0, 0, 1))
    assert (zero == 0).all()                            # 0 / eps, no NaN
    same = constrain(lib, w, (C.NONE, 0, 0, 0))
    np.testing.assert_array_equal(same, w)


# ---- the Python API ----
def test_regularizer_values_and_keras_goldens():
    assert R.L2(2.0)(np.ones((5, 5))) == pytest.approx(50.0)        # Keras docstring
    assert R.L1(0.01)(np.ones((5, 5))) == pytest.approx(0.25)
    w = np.random.default_rng(0).normal(0, 1, (20, 7)).astype(np.float32)
    w64 = w.astype(np.float64)
    got = R.L1L2(l1=0.1, l2=0.2)(w)
    assert got == pytest.approx(0.1 * np.abs(w64).sum() + 0.2 * (w64 ** 2).sum(), rel=1e-6)
    assert isinstance(got, float)
    assert R.L1L2()(w) == 0.0


def test_regularizer_records_and_config():
    assert tup(R.L1().c_record()) == (pytest.approx(0.01), 0.0)
    assert tup(R.L2(0.5).c_record()) == (0.0, 0.5)
    assert tup(R.L1L2(0.1, 0.2).c_record()) == (0.1, 0.2)
    assert R.OrthogonalRegularizer().c_record() is None
    assert R.L1L2(0.1, 0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert R.L1(0.3).get_config() == {"l1": 0.3} and R.L2(0.3).get_config() == {"l2": 0.3}
    assert tup(R.L1L2.from_config({"l1": 0.1, "l2": 0.2}).c_record()) == (0.1, 0.2)
    assert R.deserialize(R.serialize(R.L2(0.4))).l2 == 0.4

    class Mine(R.L2):
        def __call__(self, x):
            return 1.0

    assert Mine().c_record() is None
    for bad in (-1, float("nan"), float("inf"), "x"):
        with pytest.raises(ValueError, match="l2"):
            R.L2(bad)


def test_regularizer_get():
    assert type(R.get("l1")) is R.L1 and R.get("l1").l1 == pytest.approx(0.01)
    assert type(R.get("l2")) is R.L2 and type(R.get("L1L2")) is R.L1L2
    assert tup(R.get("l1l2").c_record()) == (0.0, 0.0)          # Keras 3: factors 0 / 0
    with pytest.warns(UserWarning, match="l1_l2"):
        k2 = R.get("l1_l2")                                 # tf.keras 2 spelling
    assert tup(k2.c_record()) == (0.01, 0.01)
    assert R.l1_l2 is R.L1L2 and R.l1 is R.L1 and R.l2 is R.L2
    assert R.get(None) is None
    inst = R.L2(0.2)
    assert R.get(inst) is inst and type(R.get(R.L1)) is R.L1
    assert R.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}}).l1 == 0.5
    with pytest.raises(ValueError, match="regularizer"):
        R.get("l3")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        R.get("l1l2")


def test_orthogonal_regularizer():
    assert R.OrthogonalRegularizer(0.1)(np.eye(4)) == pytest.approx(0.0, abs=1e-12)
    same_rows = np.ones((3, 4))
    assert R.OrthogonalRegularizer(0.1)(same_rows) == pytest.approx(0.1 * 0.5 * 6 / 3)
    assert R.OrthogonalRegularizer(0.1, mode="columns")(same_rows.T) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="rank 2"):
        R.OrthogonalRegularizer()(np.ones(3))
    with pytest.raises(ValueError, match="mode"):
        R.OrthogonalRegularizer(mode="diag")


def test_constraint_python_api(lib):
    w = np.random.default_rng(5).normal(0, 1, (12, 4)).astype(np.float32)
    for obj in (C.MaxNorm(1.5), C.UnitNorm(), C.MinMaxNorm(0.5, 1.2, 0.7), C.NonNeg()):
        rec = obj.c_record()
        np.testing.assert_allclose(obj(w), constrain(lib, w, rec), rtol=2e-7, atol=1e-30)
        assert obj(w).dtype == np.float32 and obj(w) is not w
    before = w.copy()
    C.MaxNorm(0.1)(w)
    np.testing.assert_array_equal(w, before)              # input untouched
    assert tup(C.MaxNorm().c_record()) == (C.MAX_NORM, 2.0, 0.0, 1.0)
    assert tup(C.MinMaxNorm(0.5, 1.2, 0.7).c_record()) == (C.MIN_MAX_NORM, 1.2, 0.5, 0.7)
    assert C.NonNeg().c_record()["kind"] == C.NON_NEG and C.UnitNorm().c_record()["kind"] == C.UNIT_NORM
    # A Conv kernel (kh, kw, in, out) with Keras's axis=[0, 1, 2]: one norm per filter.
    k = np.random.default_rng(6).normal(0, 1, (3, 3, 2, 5)).astype(np.float32)
    got = C.MaxNorm(1.0, axis=[0, 1, 2])(k)
    np.testing.assert_allclose(got, ref_constraint(k, C.MAX_NORM, 1.0), rtol=3e-7)
    assert C.MaxNorm(1.0, axis=[0, 1, 2]).c_record(shape=k.shape) is not None
    b = np.array([3.0, 4.0], np.float32)                    # a bias: one norm over the vector
    np.testing.assert_allclose(C.MaxNorm(1.0)(b), [0.6, 0.8], rtol=1e-6)
    with pytest.raises(ValueError, match="axis"):
        C.MaxNorm(axis=1)(w)
    with pytest.raises(ValueError, match="axis"):
        C.UnitNorm(axis=1).c_record(shape=(3, 4))

    class Clip(C.Constraint):
        def __call__(self, w):
            return np.clip(w, -1, 1)

    class MyMax(C.MaxNorm):
        def __call__(self, w):
            return w

    assert Clip().c_record() is None and MyMax().c_record() is None and C.Constraint().c_record() is None


def test_constraint_get_and_config():
    for name, cls in [("max_norm", C.MaxNorm), ("MaxNorm", C.MaxNorm), ("non_neg", C.NonNeg),
                      ("unit_norm", C.UnitNorm), ("min_max_norm", C.MinMaxNorm), ("NonNeg", C.NonNeg)]:
        assert type(C.get(name)) is cls
    with pytest.warns(UserWarning, match="maxnorm"):
        assert type(C.get("maxnorm")) is C.MaxNorm
    assert C.get(None) is None and type(C.get(C.UnitNorm)) is C.UnitNorm
    inst = C.MaxNorm(3)
    assert C.get(inst) is inst
    assert C.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}}).max_value == 3
    assert C.MinMaxNorm(0.1, 0.9, 0.5).get_config() == {"min_value": 0.1, "max_value": 0.9, "rate": 0.5, "axis": 0}
    assert C.MaxNorm.from_config(C.MaxNorm(4).get_config()).max_value == 4
    assert C.NonNeg().get_config() == {}
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg
    with pytest.raises(ValueError, match="constraint"):
        C.get("maxi_norm")
