"""cnn.initializers: Keras 3 formulas (keras/src/initializers/*.py) drawn from the core's generator."""
import math

import numpy as np
import pytest

from cnn import _core
from cnn import initializers as I

INIT = 1  # CNN_RNG_INIT


def key(i):
    return _core.rng_key(99, INIT, 7, i)


def test_compute_fans():
    assert I.compute_fans(()) == (1, 1)
    assert I.compute_fans((5,)) == (5, 5)
    assert I.compute_fans((3, 7)) == (3, 7)
    assert I.compute_fans((3, 3, 4, 8)) == (36, 72)
    assert I.compute_fans((5, 2, 6)) == (10, 30)


def test_shapes_dtypes_and_constants():
    for init in (I.Zeros(), I.Ones(), I.Constant(2.5), I.GlorotUniform(seed=1), I.HeNormal(seed=1),
                 I.RandomNormal(seed=1), I.RandomUniform(seed=1), I.TruncatedNormal(seed=1),
                 I.LecunUniform(seed=1), I.VarianceScaling(seed=1), I.Orthogonal(seed=1)):
        for shape in [(3, 4), (1, 1), (2, 3, 5), (3, 3, 2, 4)]:
            v = init(shape)
            assert v.shape == shape and v.dtype == np.float32, (init, shape)
        assert init((3, 4), dtype="float64").dtype == np.float64
    assert I.Zeros()(5).shape == (5,) and (I.Zeros()((2, 2)) == 0).all()
    assert (I.Ones()((2, 3)) == 1).all() and (I.Constant(2.5)((4,)) == 2.5).all()
    assert I.GlorotUniform(seed=1)((0, 4)).shape == (0, 4)
    np.testing.assert_array_equal(I.Identity(2.0)((2, 3)), [[2, 0, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((3,))
    with pytest.raises(ValueError, match="two-dimensional"):
        I.Orthogonal()((4,))


LARGE = (400, 300)  # 120000 draws


def stats(v):
    v = v.astype(np.float64)
    return v.mean(), v.std()


@pytest.mark.parametrize("cls,scale,mode,dist", [
    (I.GlorotUniform, 1.0, "fan_avg", "uniform"), (I.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (I.HeUniform, 2.0, "fan_in", "uniform"), (I.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (I.LecunUniform, 1.0, "fan_in", "uniform"), (I.LecunNormal, 1.0, "fan_in", "truncated_normal")])
def test_variance_scaling_family(cls, scale, mode, dist):
    init = cls(seed=3)
    assert init.scale == scale and init.mode == mode and init.distribution == dist
    fan_in, fan_out = LARGE
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    v = init(LARGE)
    mean, std = stats(v)
    target = math.sqrt(scale / n)            # the std Keras aims at, truncation included
    assert abs(mean) < 5 * target / math.sqrt(v.size)
    assert std == pytest.approx(target, rel=0.02)
    if dist == "uniform":
        limit = math.sqrt(3 * scale / n)
        assert np.abs(v).max() <= limit and np.abs(v).max() > 0.99 * limit
    else:
        sigma = target / 0.87962566103423978
        assert np.abs(v).max() <= 2 * sigma * (1 + 1e-6)      # truncated at 2 sigma
        assert np.abs(v).max() > 1.9 * sigma


def test_variance_scaling_modes_and_distributions():
    shape = (300, 500)
    for mode, n in [("fan_in", 300), ("fan_out", 500), ("fan_avg", 400)]:
        for dist, factor in [("untruncated_normal", 1.0), ("truncated_normal", 1.0), ("uniform", 1.0)]:
            v = I.VarianceScaling(scale=0.5, mode=mode, distribution=dist, seed=11)(shape)
            assert stats(v)[1] == pytest.approx(math.sqrt(0.5 / n) * factor, rel=0.02), (mode, dist)
    v = I.VarianceScaling(scale=1.0, distribution="untruncated_normal", seed=2)((2000, 100))
    assert np.abs(v).max() > 3 * math.sqrt(1 / 2000)           # not truncated
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    small = I.VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=1)((1, 1))
    assert abs(float(small[0, 0])) <= math.sqrt(3.0)            # n clamps at 1
    for bad in [dict(scale=0), dict(mode="fan"), dict(distribution="cauchy")]:
        with pytest.raises(ValueError):
            I.VarianceScaling(**bad)


def test_random_normal_uniform_truncated():
    v = I.RandomNormal(mean=1.0, stddev=0.5, seed=4)(LARGE)
    m, s = stats(v)
    assert m == pytest.approx(1.0, abs=0.01) and s == pytest.approx(0.5, rel=0.02)
    v = I.RandomUniform(minval=-1.0, maxval=3.0, seed=4)(LARGE)
    assert v.min() >= -1.0 and v.max() < 3.0
    m, s = stats(v)
    assert m == pytest.approx(1.0, abs=0.02) and s == pytest.approx(4 / math.sqrt(12), rel=0.02)
    v = I.TruncatedNormal(mean=-2.0, stddev=0.1, seed=4)(LARGE)
    assert np.abs(v + 2.0).max() <= 0.2 * (1 + 1e-5)
    assert stats(v)[1] == pytest.approx(0.1 * 0.87962566103423978, rel=0.02)
    d = I.RandomUniform(seed=4)((1000,))
    assert d.min() >= -0.05 and d.max() < 0.05                  # Keras defaults


def test_seeds_and_keys():
    a = I.GlorotUniform(seed=5)((20, 30))
    np.testing.assert_array_equal(a, I.GlorotUniform(seed=5)((20, 30)))   # same seed, same values
    init = I.GlorotUniform(seed=5)
    np.testing.assert_array_equal(init((20, 30)), init((20, 30)))           # every call, like Keras
    assert not np.array_equal(a, I.GlorotUniform(seed=6)((20, 30)))
    # The seed's stream is rng_key(seed, INIT, 0, 0): uniform(-limit, limit) from it.
    limit = math.sqrt(6 / 50)
    np.testing.assert_array_equal(a.ravel(), _core.rng_uniform(600, _core.rng_key(5, INIT, 0, 0), -limit, limit))
    # Without a seed, the caller's key decides.
    u = I.HeNormal()
    np.testing.assert_array_equal(u((8, 9), key=key(1)), u((8, 9), key=key(1)))
    assert not np.array_equal(u((8, 9), key=key(1)), u((8, 9), key=key(2)))
    # The seed wins over a key (a seeded initializer always gives its own values).
    np.testing.assert_array_equal(I.HeNormal(seed=8)((8, 9), key=key(1)), I.HeNormal(seed=8)((8, 9)))
    with pytest.raises(ValueError, match="seed"):
        I.RandomNormal(seed=1.5)


def test_unseeded_draws_follow_the_global_seed():
    from cnn import utils
    utils.set_random_seed(42)
    a1, a2 = I.GlorotUniform()((10, 10)), I.GlorotUniform()((10, 10))
    assert not np.array_equal(a1, a2)
    utils.set_random_seed(42)
    np.testing.assert_array_equal(I.GlorotUniform()((10, 10)), a1)
    np.testing.assert_array_equal(I.GlorotUniform()((10, 10)), a2)


def test_numpy_global_rng_untouched():
    state = np.random.get_state()
    for init in (I.GlorotUniform(seed=1), I.Orthogonal(seed=1), I.TruncatedNormal(seed=1)):
        init((30, 20))
    after = np.random.get_state()
    assert state[0] == after[0] and (state[1] == after[1]).all() and state[2] == after[2]


@pytest.mark.parametrize("shape", [(6, 6), (50, 20), (20, 50), (3, 3, 4, 8), (1, 5), (5, 1)])
def test_orthogonal(shape):
    q = I.Orthogonal(gain=1.0, seed=2)(shape).astype(np.float64)
    m = q.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-6)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-6)
    g = I.Orthogonal(gain=3.0, seed=2)(shape)
    np.testing.assert_allclose(g, 3.0 * q, rtol=1e-6)
    assert not np.array_equal(q, I.Orthogonal(seed=3)(shape).astype(np.float64)) or min(shape) == 1


def test_get_and_aliases():
    for name, cls in [("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
                      ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform), ("lecun_normal", I.LecunNormal),
                      ("lecun_uniform", I.LecunUniform), ("glorot_normal", I.GlorotNormal),
                      ("zeros", I.Zeros), ("ones", I.Ones), ("zero", I.Zeros), ("one", I.Ones),
                      ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
                      ("random_uniform", I.RandomUniform), ("uniform", I.RandomUniform),
                      ("truncated_normal", I.TruncatedNormal), ("orthogonal", I.Orthogonal),
                      ("Orthogonal", I.Orthogonal), ("identity", I.Identity), ("constant", I.Constant),
                      ("variance_scaling", I.VarianceScaling)]:
        assert type(I.get(name)) is cls, name
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal and I.zeros is I.Zeros
    assert I.get(None) is None
    inst = I.HeNormal(seed=1)
    assert I.get(inst) is inst and type(I.get(I.Ones)) is I.Ones
    def fn(shape, dtype=None):
        return np.ones(shape)
    assert I.get(fn) is fn
    c = I.get({"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 2.0, "seed": 3}})
    assert (c.mean, c.stddev, c.seed) == (1.0, 2.0, 3)
    with pytest.raises(ValueError, match="glorot"):
        I.get("Glorot_Uniform")                               # case-sensitive, like Keras
    with pytest.raises(ValueError):
        I.get(42)


def test_configs_round_trip():
    objs = [I.Zeros(), I.Ones(), I.Constant(3.0), I.Identity(0.5), I.RandomUniform(-1, 1, seed=2),
            I.RandomNormal(0.5, 0.1, seed=2), I.TruncatedNormal(seed=2),
            I.VarianceScaling(2.0, "fan_out", "uniform", 4), I.GlorotUniform(seed=2), I.HeNormal(),
            I.Orthogonal(2.0, seed=7)]
    for obj in objs:
        cfg = obj.get_config()
        again = type(obj).from_config(cfg)
        assert again.get_config() == cfg
        back = I.deserialize(I.serialize(obj))
        assert type(back) is type(obj) and back.get_config() == cfg
        if getattr(obj, "seed", None) is not None or not isinstance(obj, I.RandomInitializer):
            np.testing.assert_array_equal(again((4, 5)), obj((4, 5)))
    assert I.GlorotUniform(seed=2).get_config() == {"seed": 2}
    assert I.RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert I.VarianceScaling().get_config() == {"seed": None, "scale": 1.0, "mode": "fan_in",
                                                "distribution": "truncated_normal"}
