"""Optimizers: the C update (cnn._core.opt_step) against Keras 3's equations, and the Python API.

Two references per optimizer:
- float64, Keras's update rules as written in keras/src/optimizers/*.py:
  agreement to float32 accuracy;
- float32, the same operations in the order Keras 3's torch backend runs them, with the same
  constants (1 - beta computed in double, b^t correctly rounded): bit-for-bit equality.
"""

import math
import warnings
import zlib
from fractions import Fraction

import numpy as np
import pytest

from cnn import _core
from cnn import optimizers as O

F = _core.fields["opt"]   # the opt record's field names, in cnn_opt order

f32 = np.float32
STEPS = 6


# ---------------------------------------------------------------------- helpers

def powf_exact(b, t):
    """float32 b (a float32 value) to the integer power t, correctly rounded to float32."""
    exact = Fraction(float(f32(b))) ** t
    c = f32(float(exact))
    best = c
    for cand in (np.nextafter(c, f32(-np.inf)), np.nextafter(c, f32(np.inf))):
        if abs(Fraction(float(cand)) - exact) < abs(Fraction(float(best)) - exact):
            best = cand
    return f32(best)


def one_minus(x):
    return f32(1.0 - x)


def grads_seq(n, rng, steps=STEPS):
    """Gradients that change in scale and sign from step to step, with some exact zeros."""
    out = []
    for t in range(steps):
        g = (rng.standard_normal(n) * (0.2 + 0.7 * t)).astype(np.float32)
        g[::5] = 0.0 if t % 2 else g[::5]
        out.append(g)
    return out


def run_c(opt, p0, grads):
    """The C update over the steps; returns params and slots."""
    rec = opt._c_record()
    n = p0.size
    state = 1 if rec[F[0]] == O.KIND_NADAM else 0
    slots = np.full(_core.opt_slot_count(rec) * n + state, np.nan, np.float32)
    _core.opt_init_slots(rec, slots)
    p = p0.copy()
    for it, g in enumerate(grads):
        _core.opt_step(rec, p, slots, g, it + 1, opt._lr_at(it))
    return p, slots


def decayed(p, wd, lr):
    """Keras-on-torch decoupled weight decay: p * (1 - wd * lr) in float32."""
    if not wd:
        return p
    return p * (f32(1.0) - f32(wd) * f32(lr))


# ---------------------------------------------------------------------- float32 references
# Each takes the optimizer object, params, gradient list; returns params (float32 ops, torch order).

def ref32_sgd(o, p, grads):
    mu = f32(o.momentum)
    v = np.zeros_like(p)
    for it, g in enumerate(grads):
        lr = f32(o._lr_at(it))
        p = decayed(p, o.weight_decay, lr)
        if o.momentum == 0:
            p = p - lr * g
            continue
        v = v * mu - lr * g
        p = (p - lr * g) + mu * v if o.nesterov else p + v
    return p


def ref32_adam(o, p, grads):
    b1, b2, eps = f32(o.beta_1), f32(o.beta_2), f32(o.epsilon)
    c1, c2 = one_minus(o.beta_1), one_minus(o.beta_2)
    m, v, vh = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for it, g in enumerate(grads):
        lr, t = f32(o._lr_at(it)), it + 1
        alpha = (lr * np.sqrt(f32(1) - powf_exact(b2, t))) / (f32(1) - powf_exact(b1, t))
        p = decayed(p, o.weight_decay, lr)
        m = m * b1 + c1 * g
        v = v * b2 + c2 * (g * g)
        if o.amsgrad:
            vh = np.maximum(vh, v)
        p = p - (m * alpha) / (np.sqrt(vh if o.amsgrad else v) + eps)
    return p


def ref32_rmsprop(o, p, grads):
    rho, c, eps, mu = f32(o.rho), one_minus(o.rho), f32(o.epsilon), f32(o.momentum)
    v, ag, mom = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for it, g in enumerate(grads):
        lr = f32(o._lr_at(it))
        p = decayed(p, o.weight_decay, lr)
        v = v * rho + c * (g * g)
        den = v + eps
        if o.centered:
            ag = ag * rho + c * g
            den = den - ag * ag
        inc = (g * lr) / np.sqrt(den)
        if o.momentum > 0:
            mom = mom * mu + inc
            p = p - mom
        else:
            p = p - inc
    return p


def ref32_adagrad(o, p, grads):
    acc = np.full_like(p, f32(o.initial_accumulator_value))
    eps = f32(o.epsilon)
    for it, g in enumerate(grads):
        lr = f32(o._lr_at(it))
        p = decayed(p, o.weight_decay, lr)
        acc = acc + g * g
        p = p - (g * lr) / np.sqrt(acc + eps)
    return p


def ref32_adadelta(o, p, grads):
    rho, c, eps = f32(o.rho), one_minus(o.rho), f32(o.epsilon)
    eg, ed = np.zeros_like(p), np.zeros_like(p)
    for it, g in enumerate(grads):
        lr = f32(o._lr_at(it))
        p = decayed(p, o.weight_decay, lr)
        eg = eg * rho + c * (g * g)
        d = ((np.sqrt(ed + eps) * g) / np.sqrt(eg + eps)) * f32(-1)
        ed = ed * rho + c * (d * d)
        p = p + lr * d
    return p


def ref32_adamax(o, p, grads):
    b1, b2, eps, c1 = f32(o.beta_1), f32(o.beta_2), f32(o.epsilon), one_minus(o.beta_1)
    m, u = np.zeros_like(p), np.zeros_like(p)
    for it, g in enumerate(grads):
        lr, t = f32(o._lr_at(it)), it + 1
        p = decayed(p, o.weight_decay, lr)
        m = m * b1 + c1 * g
        u = np.maximum(u * b2, np.abs(g))
        p = p - (m * lr) / ((u + eps) * (f32(1) - powf_exact(b1, t)))
    return p


def ref32_nadam(o, p, grads):
    b1, b2, eps = f32(o.beta_1), f32(o.beta_2), f32(o.epsilon)
    c1, c2 = one_minus(o.beta_1), one_minus(o.beta_2)
    m, v, prod = np.zeros_like(p), np.zeros_like(p), f32(1)
    for it, g in enumerate(grads):
        lr, t = f32(o._lr_at(it)), it + 1
        ut = b1 * (f32(1) - f32(0.5) * powf_exact(f32(0.96), t))
        ut1 = b1 * (f32(1) - f32(0.5) * powf_exact(f32(0.96), t + 1))
        prod = prod * ut
        prod1 = prod * ut1
        p = decayed(p, o.weight_decay, lr)
        m = m * b1 + c1 * g
        v = v * b2 + c2 * (g * g)
        mh = (m * ut1) / (f32(1) - prod1) + (g * (f32(1) - ut)) / (f32(1) - prod)
        vh = v / (f32(1) - powf_exact(b2, t))
        p = p - (mh * lr) / (np.sqrt(vh) + eps)
    return p


def ref32_lion(o, p, grads):
    b1, b2, c1, c2 = f32(o.beta_1), f32(o.beta_2), one_minus(o.beta_1), one_minus(o.beta_2)
    m = np.zeros_like(p)
    for it, g in enumerate(grads):
        lr = f32(o._lr_at(it))
        p = decayed(p, o.weight_decay, lr)
        c = m * b1 + c1 * g
        p = p - np.sign(c) * lr
        m = m * b2 + c2 * g
    return p


def ref32_ftrl(o, p, grads):
    assert o.learning_rate_power == -0.5
    acc, lin = np.full_like(p, f32(o.initial_accumulator_value)), np.zeros_like(p)
    l1 = f32(o.l1_regularization_strength)
    for it, g in enumerate(grads):
        lr = f32(o._lr_at(it))
        p = decayed(p, o.weight_decay, lr)
        l2_reg = f32(o.l2_regularization_strength) + f32(o.beta) / (f32(2) * lr)
        use = g + f32(2 * o.l2_shrinkage_regularization_strength) * p
        na = acc + g * g
        lin = lin + (use - ((np.sqrt(na) - np.sqrt(acc)) / lr) * p)
        quad = np.sqrt(na) / lr + f32(2) * l2_reg
        p = (np.clip(lin, -l1, l1) - lin) / quad
        acc = na
    return p


# ---------------------------------------------------------------------- float64 references
# Keras's equations as written in keras/src/optimizers/*.py, in double precision.

def ref64(o, p, grads):
    p = p.astype(np.float64)
    z = lambda: np.zeros_like(p)  # noqa: E731
    s = {}
    for it, g in enumerate(grads):
        g = g.astype(np.float64)
        lr, t = float(f32(o._lr_at(it))), it + 1
        if o.weight_decay:
            p = p - p * o.weight_decay * lr
        name = type(o).__name__
        if name == "SGD":
            if o.momentum == 0:
                p = p - lr * g
            else:
                v = s.get("v", z()) * o.momentum - g * lr
                s["v"] = v
                p = p + (v * o.momentum - g * lr if o.nesterov else v)
        elif name in ("Adam", "AdamW"):
            m, v = s.get("m", z()), s.get("v", z())
            m = m + (g - m) * (1 - o.beta_1)
            v = v + (g * g - v) * (1 - o.beta_2)
            s["m"], s["v"] = m, v
            if o.amsgrad:
                v = s["vh"] = np.maximum(s.get("vh", z()), v)
            alpha = lr * math.sqrt(1 - o.beta_2 ** t) / (1 - o.beta_1 ** t)
            p = p - m * alpha / (np.sqrt(v) + o.epsilon)
        elif name == "RMSprop":
            v = s["v"] = o.rho * s.get("v", z()) + (1 - o.rho) * g * g
            if o.centered:
                a = s["a"] = o.rho * s.get("a", z()) + (1 - o.rho) * g
                den = v - a * a + o.epsilon
            else:
                den = v + o.epsilon
            inc = lr * g / np.sqrt(den)
            if o.momentum > 0:
                inc = s["mom"] = o.momentum * s.get("mom", z()) + inc
            p = p - inc
        elif name == "Adagrad":
            acc = s["acc"] = s.get("acc", z() + o.initial_accumulator_value) + g * g
            p = p - lr * g / np.sqrt(acc + o.epsilon)
        elif name == "Adadelta":
            eg = s["eg"] = o.rho * s.get("eg", z()) + (1 - o.rho) * g * g
            ed = s.get("ed", z())
            d = -np.sqrt(ed + o.epsilon) * g / np.sqrt(eg + o.epsilon)
            s["ed"] = o.rho * ed + (1 - o.rho) * d * d
            p = p + lr * d
        elif name == "Adamax":
            m = s["m"] = s.get("m", z()) + (g - s.get("m", z())) * (1 - o.beta_1)
            u = s["u"] = np.maximum(o.beta_2 * s.get("u", z()), np.abs(g))
            p = p - lr * m / ((1 - o.beta_1 ** t) * (u + o.epsilon))
        elif name == "Nadam":
            ut = o.beta_1 * (1 - 0.5 * 0.96 ** t)
            ut1 = o.beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
            prod = s["prod"] = s.get("prod", 1.0) * ut
            m = s["m"] = s.get("m", z()) + (g - s.get("m", z())) * (1 - o.beta_1)
            v = s["v"] = s.get("v", z()) + (g * g - s.get("v", z())) * (1 - o.beta_2)
            mh = ut1 * m / (1 - prod * ut1) + (1 - ut) * g / (1 - prod)
            vh = v / (1 - o.beta_2 ** t)
            p = p - mh * lr / (np.sqrt(vh) + o.epsilon)
        elif name == "Lion":
            m = s.get("m", z())
            p = p - lr * np.sign(m * o.beta_1 + g * (1 - o.beta_1))
            s["m"] = m * o.beta_2 + g * (1 - o.beta_2)
        elif name == "Ftrl":
            acc, lin = s.get("acc", z() + o.initial_accumulator_value), s.get("lin", z())
            pw = -o.learning_rate_power
            l2 = o.l2_regularization_strength + o.beta / (2 * lr)
            use = g + 2 * o.l2_shrinkage_regularization_strength * p
            na = acc + g * g
            lin = lin + use - (na ** pw - acc ** pw) / lr * p
            quad = na ** pw / lr + 2 * l2
            l1 = o.l1_regularization_strength
            p = (np.clip(lin, -l1, l1) - lin) / quad
            s["acc"], s["lin"] = na, lin
        else:
            raise AssertionError(name)
    return p


REF32 = {"SGD": ref32_sgd, "Adam": ref32_adam, "AdamW": ref32_adam, "RMSprop": ref32_rmsprop,
         "Adagrad": ref32_adagrad, "Adadelta": ref32_adadelta, "Adamax": ref32_adamax,
         "Nadam": ref32_nadam, "Lion": ref32_lion, "Ftrl": ref32_ftrl}

CASES = [
    ("sgd", lambda: O.SGD(0.1)),
    ("sgd_momentum", lambda: O.SGD(0.05, momentum=0.9)),
    ("sgd_nesterov", lambda: O.SGD(0.05, momentum=0.8, nesterov=True)),
    ("sgd_wd", lambda: O.SGD(0.1, momentum=0.5, weight_decay=0.01)),
    ("adam", lambda: O.Adam(0.01)),
    ("adam_amsgrad", lambda: O.Adam(0.02, beta_1=0.8, beta_2=0.99, amsgrad=True)),
    ("adam_eps", lambda: O.Adam(0.01, epsilon=0.1)),
    ("adamw", lambda: O.AdamW(0.01, weight_decay=0.05)),
    ("rmsprop", lambda: O.RMSprop(0.01)),
    ("rmsprop_momentum", lambda: O.RMSprop(0.01, momentum=0.9)),
    ("rmsprop_centered", lambda: O.RMSprop(0.01, rho=0.8, centered=True)),
    ("rmsprop_centered_momentum", lambda: O.RMSprop(0.01, momentum=0.5, centered=True)),
    ("adagrad", lambda: O.Adagrad(0.1)),
    ("adagrad_init", lambda: O.Adagrad(0.1, initial_accumulator_value=0.0, epsilon=1e-3)),
    ("adadelta", lambda: O.Adadelta(1.0)),
    ("adamax", lambda: O.Adamax(0.02)),
    ("nadam", lambda: O.Nadam(0.01)),
    ("lion", lambda: O.Lion(0.01)),
    ("ftrl", lambda: O.Ftrl(0.1)),
    ("ftrl_reg", lambda: O.Ftrl(0.1, l1_regularization_strength=0.01,
                                l2_regularization_strength=0.1,
                                l2_shrinkage_regularization_strength=0.05, beta=0.5)),
    ("sgd_legacy_decay", lambda: O.SGD(0.1, momentum=0.9, decay=0.3, _quiet_legacy=True)),
    ("adam_legacy_decay", lambda: O.Adam(0.01, decay=0.5, _quiet_legacy=True)),
]


@pytest.mark.parametrize("n", [1, 7, 130])
@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_update_matches_keras(name, make, n):
    o = make()
    rng = np.random.default_rng(zlib.crc32(f"{name}-{n}".encode()))  # stable across processes
    p0 = rng.standard_normal(n).astype(np.float32)
    grads = grads_seq(n, rng)
    p, _ = run_c(o, p0, grads)
    # bit-for-bit with the float32 chain Keras (torch backend) runs
    np.testing.assert_array_equal(p, REF32[type(o).__name__](o, p0.copy(), grads))
    # float32 accuracy against the float64 equations
    p64 = ref64(o, p0, grads)
    np.testing.assert_allclose(p, p64, rtol=2e-5, atol=2e-6)
    assert not np.array_equal(p, p0), "the parameters did not move"


def test_large_buffer_split_over_threads_is_identical():
    # Above 2 * 32768 elements the update runs on the pool; bits must not depend on it.
    o = O.Adam(0.01, amsgrad=True)
    rng = np.random.default_rng(3)
    n = 70001
    p0 = rng.standard_normal(n).astype(np.float32)
    grads = grads_seq(n, rng, steps=3)
    old = _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        p1, s1 = run_c(o, p0, grads)
        _core.set_num_threads(2)
        p2, s2 = run_c(o, p0, grads)
    finally:
        _core.set_num_threads(old)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_array_equal(p1, ref32_adam(o, p0.copy(), grads))


@pytest.mark.parametrize("lr", [0.001, 0.1])
def test_adam_first_step_golden(lr):
    # Keras's Adam doctest value: the first step is exactly -lr * g / (|g| + eps / sqrt(1 - beta_2))
    o = O.Adam(lr)
    g = np.array([1.0, -2.0, 3e-4, -5e-7, 10.0, 0.0], np.float32)
    p0 = np.zeros_like(g)
    p, _ = run_c(o, p0, [g])
    gd = g.astype(np.float64)
    expect = -float(f32(lr)) * gd / (np.abs(gd) + 1e-7 / math.sqrt(1 - 0.999))
    # Keras raises float32(0.999) to the power t: 1 - 0.999f = 0.000999987, so its first step is
    # (1 - 6.4e-6) times the real-number value; cnn does the same.
    np.testing.assert_allclose(p, expect, rtol=1e-5, atol=1e-12)
    assert np.all(np.abs(p[big := np.abs(g) > 1e-3]) < f32(lr))
    np.testing.assert_allclose(p[big], -f32(lr) * np.sign(g[big]), rtol=1e-5)


def test_sgd_plain_is_minus_lr_grad():
    o = O.SGD(0.5)
    g = np.array([1.0, -3.0, 0.25], np.float32)
    p, slots = run_c(o, np.ones(3, np.float32), [g])
    np.testing.assert_array_equal(p, np.ones(3, np.float32) - f32(0.5) * g)
    assert slots.size == 0


@pytest.mark.parametrize("make,count,start", [
    (lambda: O.SGD(), 0, None), (lambda: O.SGD(momentum=0.9), 1, 0.0),
    (lambda: O.Adam(), 2, 0.0), (lambda: O.Adam(amsgrad=True), 3, 0.0),
    (lambda: O.RMSprop(), 1, 0.0), (lambda: O.RMSprop(momentum=0.5), 2, 0.0),
    (lambda: O.RMSprop(centered=True), 2, 0.0),
    (lambda: O.RMSprop(momentum=0.5, centered=True), 3, 0.0),
    (lambda: O.Adagrad(), 1, f32(0.1)), (lambda: O.Adagrad(initial_accumulator_value=0.5), 1,
                                          0.5),
    (lambda: O.Adadelta(), 2, 0.0), (lambda: O.Adamax(), 2, 0.0), (lambda: O.Lion(), 1, 0.0),
])
def test_slot_count_and_init(make, count, start):
    rec = make()._c_record()
    assert _core.opt_slot_count(rec) == count
    n = 5
    slots = np.full(count * n, np.nan, np.float32)
    _core.opt_init_slots(rec, slots)
    if count:
        assert slots[0] == f32(start) and np.all(slots[:n] == slots[0])
        assert np.all(slots[n:] == 0)


def test_slot_init_nadam_and_ftrl():
    rec = O.Nadam()._c_record()
    assert _core.opt_slot_count(rec) == 2
    slots = np.full(2 * 4 + 1, np.nan, np.float32)
    _core.opt_init_slots(rec, slots)
    assert np.all(slots[:8] == 0) and slots[8] == 1.0   # the running product starts at 1
    rec = O.Ftrl(initial_accumulator_value=0.25)._c_record()
    slots = np.full(2 * 4, np.nan, np.float32)
    _core.opt_init_slots(rec, slots)
    assert np.all(slots[:4] == 0.25) and np.all(slots[4:] == 0)


def test_slot_layout_adam():
    # slot s of parameter i is slots[s * n + i]: m, then v
    o = O.Adam(0.01)
    g = np.array([2.0, -1.0, 0.5], np.float32)
    _, slots = run_c(o, np.zeros(3, np.float32), [g])
    np.testing.assert_array_equal(slots[:3], one_minus(0.9) * g)
    np.testing.assert_array_equal(slots[3:], one_minus(0.999) * (g * g))


def test_record_layout():
    rec = O.RMSprop(0.01, rho=0.8, momentum=0.3, epsilon=1e-6, centered=True,
                    weight_decay=0.1)._c_record()
    assert len(rec) == 19
    assert rec[F[0]] == O.KIND_RMSPROP and rec[F[4]] == 0.3 and rec[F[5]] == 0.8 and rec[F[3]] == 1e-6
    assert rec[F[9]] == 1 and rec[F[10]] == 0.1 and rec[F[13]] == 1.0 - 0.8
    rec = O.Adam(beta_1=0.8, amsgrad=True)._c_record()
    assert rec[F[1]] == 0.8 and rec[F[8]] == 1 and rec[F[11]] == 1.0 - 0.8 and rec[F[12]] == 1.0 - 0.999
    rec = O.SGD(momentum=0.9, nesterov=True)._c_record()
    assert rec[F[0]] == O.KIND_SGD and rec[F[4]] == 0.9 and rec[F[7]] == 1
    assert O.AdamW()._c_record()["kind"] == O.KIND_ADAM and O.AdamW()._c_record()["weight_decay"] == 0.004
    rec = O.Ftrl(learning_rate_power=-0.5, l1_regularization_strength=1, beta=2)._c_record()
    assert rec[F[0]] == O.KIND_FTRL and rec[F[14]] == -0.5 and rec[F[15]] == 1 and rec[F[18]] == 2


# ---------------------------------------------------------------------- Python API

def test_defaults_match_keras():
    assert O.SGD().learning_rate == f32(0.01) and O.SGD().momentum == 0.0
    a = O.Adam()
    assert (a.learning_rate, a.beta_1, a.beta_2, a.epsilon, a.amsgrad) == (
        f32(0.001), 0.9, 0.999, 1e-7, False)
    r = O.RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered) == (
        f32(0.001), 0.9, 0.0, 1e-7, False)
    g = O.Adagrad()
    assert (g.learning_rate, g.initial_accumulator_value, g.epsilon) == (f32(0.001), 0.1, 1e-7)
    assert O.Adam().name == "adam" and O.RMSprop().name == "rm_sprop"


def test_learning_rate_is_float32_and_settable():
    o = O.Adam(0.001)
    assert isinstance(o.learning_rate, np.float32) and o.learning_rate == f32(0.001)
    assert o._lr_at(0) == float(f32(0.001))
    o.learning_rate = 0.5
    assert o.learning_rate == 0.5 and o._lr_at(7) == 0.5
    o.learning_rate = np.float64(0.25)
    assert o._lr_at(0) == 0.25
    o.learning_rate = np.float32(0.125)
    assert o._lr_at(0) == 0.125
    with pytest.raises(ValueError, match="-1"):
        o.learning_rate = -1.0


def test_integer_learning_rate_accepted_with_one_warning():
    with pytest.warns(UserWarning, match="integer") as rec:
        o = O.SGD(1)
    assert len(rec) == 1
    assert o.learning_rate == 1.0 and o._lr_at(0) == 1.0


def test_legacy_lr_kwarg_honoured():
    with pytest.warns(UserWarning, match="lr") as rec:
        o = O.Adam(lr=0.05)
    assert len(rec) == 1 and o.learning_rate == f32(0.05)


def test_legacy_lr_attribute_warns_once():
    o = O.SGD(0.1)
    with pytest.warns(UserWarning, match="lr") as rec:
        assert o.lr == f32(0.1)
        o.lr = 0.2
        assert o.lr == f32(0.2)
    assert len(rec) == 1
    assert o.learning_rate == f32(0.2)


def test_legacy_decay_honoured_per_iteration():
    with pytest.warns(UserWarning, match="decay") as rec:
        o = O.SGD(0.1, decay=0.01)
    assert len(rec) == 1 and o.decay == 0.01
    for it in (0, 1, 5, 1000):
        expect = f32(float(f32(0.1)) / (1.0 + 0.01 * it))   # double, as csrc/schedule.c
        assert o._lr_at(it) == float(expect)
    assert o._lr_at(0) == float(f32(0.1)) and o._lr_at(100) < o._lr_at(1)
    assert o.get_config()["decay"] == 0.01
    # the C update follows the decayed rate: one step at iteration 3 with lr/(1 + 0.03)
    rec_ = o._c_record()
    p = np.ones(2, np.float32)
    _core.opt_step(rec_, p, np.zeros(0, np.float32), np.ones(2, np.float32), 4, o._lr_at(3))
    np.testing.assert_array_equal(p, f32(1) - f32(o._lr_at(3)))


def test_schedule_and_callable_learning_rates():
    class LearningRateSchedule:   # duck-typed stand-in for cnn's schedule base class
        def __call__(self, step):
            return 0.1 / (1 + step)

    class Halving(LearningRateSchedule):
        pass

    o = O.SGD(Halving())
    assert o._lr_at(0) == float(f32(0.1)) and o._lr_at(4) == float(f32(0.02))
    o.iterations = 1
    assert o.learning_rate == f32(0.05)
    with pytest.raises(TypeError):
        o.learning_rate = 0.3
    c = O.SGD(lambda: 0.25)
    assert c._lr_at(10) == 0.25


@pytest.mark.parametrize("make,word", [
    (lambda: O.SGD(-0.1), "-0.1"),
    (lambda: O.SGD(float("nan")), "nan"),
    (lambda: O.SGD("fast"), "fast"),
    (lambda: O.SGD(momentum=1.5), "1.5"),
    (lambda: O.SGD(momentum=-0.1), "-0.1"),
    (lambda: O.Adam(beta_1=1.0), "beta_1=1.0"),
    (lambda: O.Adam(beta_2=-0.5), "beta_2=-0.5"),
    (lambda: O.Adam(epsilon=-1e-7), "epsilon"),
    (lambda: O.RMSprop(rho=1.0), "rho=1.0"),
    (lambda: O.RMSprop(momentum=-1), "momentum"),
    (lambda: O.Adagrad(initial_accumulator_value=-0.1), "initial_accumulator_value"),
    (lambda: O.AdamW(weight_decay=None), "weight_decay"),
    (lambda: O.Adam(weight_decay=-1.0), "weight_decay"),
    (lambda: O.Lion(beta_1=0.0), "beta_1"),
    (lambda: O.Ftrl(learning_rate_power=0.5), "learning_rate_power"),
    (lambda: O.Adam(decay=-0.1), "decay"),
    (lambda: O.Adam(clipnorm=1.0, clipvalue=1.0), "Only one"),
    (lambda: O.Adam(foo=1), "foo"),
])
def test_bad_arguments_raise(make, word):
    with pytest.raises(ValueError) as e:
        make()
    assert word in str(e.value)


def test_get_identifiers():
    for name, cls in [("sgd", O.SGD), ("SGD", O.SGD), ("adam", O.Adam), ("Adam", O.Adam),
                      ("RMSprop", O.RMSprop), ("rmsprop", O.RMSprop), ("adagrad", O.Adagrad),
                      ("adamw", O.AdamW), ("adadelta", O.Adadelta), ("adamax", O.Adamax),
                      ("nadam", O.Nadam), ("lion", O.Lion), ("ftrl", O.Ftrl)]:
        o = O.get(name)
        assert type(o) is cls
    assert O.get("adam") is not O.get("adam")   # a fresh default instance each time
    a = O.Adam(0.3)
    assert O.get(a) is a and O.get(None) is None
    o = O.get({"class_name": "Adam", "config": {"learning_rate": 0.25, "amsgrad": True}})
    assert type(o) is O.Adam and o.amsgrad and o.learning_rate == 0.25
    with pytest.raises(ValueError) as e:
        O.get("adamm")
    assert "adamm" in str(e.value) and "rmsprop" in str(e.value) and "sgd" in str(e.value)
    with pytest.raises(ValueError):
        O.get(42)


def test_config_round_trip():
    for o in [O.SGD(0.2, momentum=0.5, nesterov=True), O.Adam(0.01, amsgrad=True, epsilon=1e-5),
              O.RMSprop(centered=True, momentum=0.1), O.Adagrad(initial_accumulator_value=0.3),
              O.AdamW(weight_decay=0.01), O.Nadam(0.002), O.Ftrl(l1_regularization_strength=1.0),
              O.SGD(0.1, decay=0.5, _quiet_legacy=True)]:
        cfg = o.get_config()
        assert cfg["learning_rate"] == float(f32(o.learning_rate))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            o2 = type(o).from_config(cfg)
        assert o2.get_config() == cfg and o2._c_record() == o._c_record()
        assert o2._lr_at(3) == o._lr_at(3)
        assert O.deserialize(O.serialize(o)).get_config() == cfg


def test_unapplied_keras_arguments_warn():
    with pytest.warns(UserWarning, match="gradient_accumulation_steps"):
        o = O.Adam(gradient_accumulation_steps=2)
    assert o.get_config()["gradient_accumulation_steps"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        O.Adam(weight_decay=0.1)   # applied: no warning
        assert O.Adam(clipnorm=1.0).get_config()["clipnorm"] == 1.0
        O.SGD(use_ema=True)
