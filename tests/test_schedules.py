"""Learning-rate schedules: csrc/schedule.c (through a private ctypes build) and cnn.schedules.

The C values must equal the Python ones bit for bit (same double operations) and match
independent float64 formulas of Keras 3's keras/src/optimizers/schedules/learning_rate_schedule.py
(math.cos / math.log / a period walk).
"""
import ctypes
import math

import pytest

from c_library import build_lib  # tests/ is on sys.path
from cnn import _core
from cnn import schedules as S

MAXP = 256  # CNN_SCHED_MAX_PIECES


class CSchedule(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int)] + [(n, ctypes.c_double) for n in (
        "lr", "decay", "decay_steps", "decay_rate", "end_lr", "power", "alpha", "warmup_target",
        "warmup_steps", "t_mul", "m_mul")] + [("staircase", ctypes.c_int), ("cycle", ctypes.c_int),
        ("npieces", ctypes.c_int), ("nboundaries", ctypes.c_int), ("boundaries", ctypes.c_double * MAXP),
        ("values", ctypes.c_double * MAXP)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    L = build_lib(tmp_path_factory.mktemp("sched"), ["schedule.c"])
    L.cnn_schedule_lr.restype = ctypes.c_double
    L.cnn_schedule_lr.argtypes = [ctypes.POINTER(CSchedule), ctypes.c_long]
    return L


def c_lr(lib, rec, step):
    s = CSchedule()
    for k, v in rec.items():
        if k in ("boundaries", "values"):
            for i, x in enumerate(v):
                getattr(s, k)[i] = x
            setattr(s, "nboundaries" if k == "boundaries" else "npieces", len(v))
        elif k == "kind":
            s.kind = _core.enums["schedule"][v]   # the C struct takes the kind's number
        else:
            setattr(s, k, v)
    return lib.cnn_schedule_lr(ctypes.byref(s), step)


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


STEPS = list(range(0, 40)) + [49, 50, 51, 99, 100, 101, 127, 128, 250, 999, 1000, 1001, 12345, 10**6]


# ---- independent float64 references (Keras 3's learning_rate_schedule.py) ----
def ref_exponential(lr, ds, rate, stair, t):
    p = t / ds
    return lr * rate ** (math.floor(p) if stair else p)


def ref_inverse(lr, ds, rate, stair, t):
    p = t / ds
    return lr / (1 + rate * (math.floor(p) if stair else p))


def ref_polynomial(lr, ds, end, power, cycle, t):
    if cycle:
        ds = ds * (1 if t == 0 else math.ceil(t / ds))
    else:
        t = min(t, ds)
    return (lr - end) * (1 - t / ds) ** power + end


def ref_cosine(lr, ds, alpha, target, ws, t):
    if target is None:
        t = min(t, ds)
        return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / ds)) + alpha)
    t = min(t, ds + ws)
    if t < ws:
        return (target - lr) * (t / ws) + lr
    return target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * (t - ws) / ds)) + alpha)


def ref_restarts(lr, d1, t_mul, m_mul, alpha, t):
    """Walks the periods one by one: exact at every restart."""
    start, length, i = 0.0, float(d1), 0
    while t >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    f = (t - start) / length
    return lr * ((1 - alpha) * 0.5 * m_mul ** i * (1 + math.cos(math.pi * f)) + alpha)


CASES = [
    (S.ExponentialDecay(0.1, 100, 0.96), lambda t: ref_exponential(0.1, 100, 0.96, False, t)),
    (S.ExponentialDecay(0.1, 100, 0.96, staircase=True), lambda t: ref_exponential(0.1, 100, 0.96, True, t)),
    (S.ExponentialDecay(1.0, 7, 0.5), lambda t: ref_exponential(1.0, 7, 0.5, False, t)),
    (S.InverseTimeDecay(0.1, 1.0, 0.5), lambda t: ref_inverse(0.1, 1.0, 0.5, False, t)),
    (S.InverseTimeDecay(0.1, 50, 0.5, staircase=True), lambda t: ref_inverse(0.1, 50, 0.5, True, t)),
    (S.PolynomialDecay(0.1, 100), lambda t: ref_polynomial(0.1, 100, 1e-4, 1.0, False, t)),
    (S.PolynomialDecay(0.1, 100, 0.01, power=0.5), lambda t: ref_polynomial(0.1, 100, 0.01, 0.5, False, t)),
    (S.PolynomialDecay(0.1, 30, 0.01, power=2.0, cycle=True), lambda t: ref_polynomial(0.1, 30, 0.01, 2.0, True, t)),
    (S.CosineDecay(0.1, 100), lambda t: ref_cosine(0.1, 100, 0.0, None, 0, t)),
    (S.CosineDecay(0.1, 100, alpha=0.1, warmup_steps=50), lambda t: ref_cosine(0.1, 100, 0.1, None, 0, t)),
    (S.CosineDecay(0.0, 100, alpha=0.05, warmup_target=0.1, warmup_steps=50),
     lambda t: ref_cosine(0.0, 100, 0.05, 0.1, 50, t)),
    (S.CosineDecay(0.01, 37, warmup_target=0.2, warmup_steps=0), lambda t: ref_cosine(0.01, 37, 0.0, 0.2, 0, t)),
    (S.CosineDecayRestarts(0.1, 10), lambda t: ref_restarts(0.1, 10, 2.0, 1.0, 0.0, t)),
    (S.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.9, alpha=0.1),
     lambda t: ref_restarts(0.1, 10, 1.0, 0.9, 0.1, t)),
    (S.CosineDecayRestarts(1.0, 8, t_mul=3.0, m_mul=0.5), lambda t: ref_restarts(1.0, 8, 3.0, 0.5, 0.0, t)),
    (S.CosineDecayRestarts(1.0, 7, t_mul=1.5, m_mul=0.8, alpha=0.2),
     lambda t: ref_restarts(1.0, 7, 1.5, 0.8, 0.2, t)),
]


@pytest.mark.parametrize("sched,ref", CASES, ids=[f"{type(c[0]).__name__}{i}" for i, c in enumerate(CASES)])
def test_c_equals_python_and_matches_formula(lib, sched, ref):
    rec = sched.c_record()
    for t in STEPS:
        c, py, want = c_lr(lib, rec, t), sched(t), ref(t)
        assert same(c, py), (t, c, py)
        assert py == pytest.approx(want, rel=1e-12, abs=1e-15), (t, py, want)


def test_restart_boundaries_are_exact_restarts(lib):
    for t_mul in (2.0, 3.0, 1.5, 1.0):
        sched = S.CosineDecayRestarts(1.0, 10, t_mul=t_mul, m_mul=0.5)
        start, length = 0.0, 10.0
        for i in range(8):
            if start == int(start):
                lr = c_lr(lib, sched.c_record(), int(start))
                assert lr == pytest.approx(0.5 ** i, rel=1e-12), (t_mul, i, lr)
            start, length = start + length, length * t_mul


def test_piecewise(lib):
    sched = S.PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1])  # the Keras example
    for t, want in [(0, 1.0), (100000, 1.0), (100001, 0.5), (110000, 0.5), (110001, 0.1), (10**7, 0.1)]:
        assert c_lr(lib, sched.c_record(), t) == want
        assert sched(t) == want
    one = S.PiecewiseConstantDecay([], [0.3])
    assert c_lr(lib, one.c_record(), 5) == 0.3 and one(5) == 0.3
    full = S.PiecewiseConstantDecay(list(range(255)), [float(v) for v in range(256)])  # as many as the core holds
    for t in range(-1, 260):
        want = float(min(max(t, 0), 255))
        assert c_lr(lib, full.c_record(), t) == want and full(t) == want
    assert _core.SCHED_MAX_PIECES == MAXP
    with pytest.raises(ValueError, match="at most 256 values, got 257"):
        S.PiecewiseConstantDecay(list(range(256)), list(range(257)))
    with pytest.raises(ValueError, match="1 less"):
        S.PiecewiseConstantDecay([1, 2], [1.0, 2.0])


def test_legacy_decay_and_constant(lib):
    rec = S.legacy_decay_c_record(0.01, 1e-3)
    for t in STEPS:
        want = 0.01 / (1 + 1e-3 * t)
        assert c_lr(lib, rec, t) == S.evaluate_record(rec, t) == pytest.approx(want, rel=1e-15)
    rec = S.constant_c_record(0.125)
    assert c_lr(lib, rec, 0) == c_lr(lib, rec, 10**9) == S.evaluate_record(rec, 77) == 0.125


def test_extreme_arguments_agree(lib):
    """Overflow, underflow, zero bases and fractional powers: C and Python still agree."""
    recs = [S.ExponentialDecay(1.0, 1, 1e-3).c_record(), S.ExponentialDecay(1.0, 1, 0.0).c_record(),
            S.ExponentialDecay(1.0, 1, 10.0).c_record(), S.PolynomialDecay(1.0, 10, 0.0, power=0.0).c_record(),
            S.PolynomialDecay(1.0, 10, 0.0, power=3.7).c_record(), S.InverseTimeDecay(1.0, 3, 0.0).c_record(),
            S.CosineDecayRestarts(1.0, 10, t_mul=0.5).c_record()]
    for rec in recs:
        for t in [0, 1, 2, 5, 10, 19, 20, 50, 120, 300, 10**5]:
            a, b = c_lr(lib, rec, t), S.evaluate_record(rec, t)
            assert same(a, b), (rec["kind"], t, a, b)
    assert c_lr(lib, recs[0], 300) == 0.0 and c_lr(lib, recs[2], 400) == math.inf
    assert c_lr(lib, recs[3], 5) == 1.0


def test_shrinking_restart_periods(lib):
    sched = S.CosineDecayRestarts(1.0, 16, t_mul=0.5, m_mul=1.0)   # periods 16, 8, 4, 2, 1, ...
    for t in range(0, 31):
        assert c_lr(lib, sched.c_record(), t) == pytest.approx(ref_restarts(1.0, 16, 0.5, 1.0, 0.0, t), rel=1e-12)


def test_private_math_is_accurate(lib):
    lib.cnn_schedule_math.restype = ctypes.c_double
    lib.cnn_schedule_math.argtypes = [ctypes.c_char_p, ctypes.c_double, ctypes.c_double]
    def _log(x):   # schedule.c's own functions
        return lib.cnn_schedule_math(b"log", x, 0.0)

    def _exp(x):
        return lib.cnn_schedule_math(b"exp", x, 0.0)

    def _cospi(x):
        return lib.cnn_schedule_math(b"cospi", x, 0.0)

    def _pow(x, y):
        return lib.cnn_schedule_math(b"pow", x, y)
    for x in [1e-300, 1e-8, 0.3, 0.7, 1.0, 1.5, 2.0, 10.0, 1e10, 1e300]:
        assert _log(x) == pytest.approx(math.log(x), rel=2e-16, abs=1e-300)
    for x in [-700.0, -20.0, -1e-3, 0.0, 1e-9, 0.5, 1.0, 3.3, 50.0, 700.0]:
        assert _exp(x) == pytest.approx(math.exp(x), rel=4e-16)
    for i in range(-400, 401):
        f = i / 97.0
        assert _cospi(f) == pytest.approx(math.cos(math.pi * f), abs=2e-15)  # ref: pi*f rounds
    assert _cospi(1.0) == -1.0 and _cospi(0.0) == 1.0 and _cospi(2.0) == 1.0
    assert _pow(0.5, 3.0) == 0.125 and _pow(-2.0, 3.0) == pytest.approx(-8.0, rel=1e-15)
    assert math.isnan(_pow(-2.0, 0.5))


def test_configs_round_trip_and_validation():
    for sched, _ in CASES:
        cfg = sched.get_config()
        again = type(sched).from_config(cfg)
        assert again.get_config() == cfg
        assert again(17) == sched(17)
        back = S.deserialize(S.serialize(sched))
        assert type(back) is type(sched) and back.get_config() == cfg
    assert S.CosineDecay(0.1, 10).get_config() == {"initial_learning_rate": 0.1, "decay_steps": 10,
                                                   "alpha": 0.0, "name": "CosineDecay",
                                                   "warmup_target": None, "warmup_steps": 0}
    for cls in (S.ExponentialDecay, S.InverseTimeDecay):
        with pytest.raises(ValueError, match="decay_steps"):
            cls(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        S.CosineDecay(0.1, -1)
    with pytest.raises(ValueError, match="first_decay_steps"):
        S.CosineDecayRestarts(0.1, 0)
    with pytest.raises(ValueError, match="Unknown"):
        S.deserialize({"class_name": "Nope", "config": {}})


def test_python_subclass_has_no_c_record():
    class Halving(S.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / (step + 1)

    h = Halving()
    assert h.c_record() is None and h(3) == 0.25
    assert S.get(h) is h and S.get(None) is None
    with pytest.raises(NotImplementedError):
        S.LearningRateSchedule()(0)
    with pytest.raises(ValueError):
        S.get(3.5)
