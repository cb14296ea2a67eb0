"""The counter-based generator (csrc/rng.c): Philox known answers, the stream layout, moments,
truncation, permutations."""
import numpy as np
import pytest

from cnn import _core

M32 = 0xFFFFFFFF


def philox(key, hi, lo):
    return _core.philox(key, hi, lo)


def words(key, n):
    """Words 0..n-1 of the stream `key`: word w is word w % 4 of philox(key, 0, w // 4)."""
    out = []
    for j in range((n + 3) // 4):
        out.extend(philox(key, 0, j))
    return np.array(out[:n], dtype=np.uint64)


# --------------------------------------------------------------------------- Philox4x32-10

def pack(w0, w1):
    return w0 | (w1 << 32)


@pytest.mark.parametrize("ctr, key, expected", [
    # Random123's kat_vectors for philox4x32_10: ctr words c0..c3, key words k0, k1
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32, M32, M32, M32), (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_known_answers(ctr, key, expected):
    got = philox(pack(*key), pack(ctr[2], ctr[3]), pack(ctr[0], ctr[1]))
    assert got == expected


def test_philox_counter_and_key_sensitivity():
    base = philox(7, 0, 0)
    assert philox(7, 0, 1) != base and philox(7, 1, 0) != base and philox(8, 0, 0) != base
    assert philox(7, 0, 1 << 32) != base and philox(7 << 32, 0, 0) != base


# --------------------------------------------------------------------------- keys

def test_rng_key_mixes_every_input():
    keys = {_core.rng_key(s, p, a, b) for s in (0, 1, 2**63) for p in (1, 2, 3, 4)
            for a in (0, 1, 2**32, 2**64 - 1) for b in (0, 1, 2**40)}
    assert len(keys) == 3 * 4 * 4 * 3
    assert all(0 <= k < 2**64 for k in keys)
    # a value of `a` above 2^32 must not alias another purpose
    assert _core.rng_key(5, 1, 2**32, 0) != _core.rng_key(5, 2, 0, 0)
    assert _core.rng_key(5, 1, 0, 0) == _core.rng_key(5, 1, 0, 0)


def test_rng_key_is_pinned():
    """Initial weights, shuffles and dropout masks of every seeded model hang on these bits."""
    assert [_core.rng_key(0, 1, 0, 0), _core.rng_key(42, 3, 7, 123)] == GOLDEN_KEYS
    k = _core.rng_key(42, 1, 0, 0)
    assert _core.rng_uniform(4, k, 0.0, 1.0).tolist() == GOLDEN_UNIFORM
    assert _core.permutation(8, k).tolist() == GOLDEN_PERM


GOLDEN_KEYS = [5410436873670226946, 7649637047449158469]
GOLDEN_UNIFORM = [0.6398008465766907, 0.9810687303543091, 0.23599427938461304, 0.7170153260231018]
GOLDEN_PERM = [0, 4, 7, 2, 3, 1, 6, 5]


# --------------------------------------------------------------------------- uniform

def test_uniform_layout_is_counter_based():
    key = _core.rng_key(3, 1, 0, 0)
    u = _core.rng_uniform(1001, key, 0.0, 1.0)
    w = words(key, 1001)
    assert np.array_equal(u, ((w >> 8).astype(np.float64) * 2.0**-24).astype(np.float32))
    # element i depends on i only: any prefix is the same
    for n in (0, 1, 3, 4, 5, 17):
        assert np.array_equal(_core.rng_uniform(n, key, 0.0, 1.0), u[:n])
    assert np.array_equal(_core.rng_uniform(1001, key, 0.0, 1.0), u)


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (-0.05, 0.05), (-3.0, 7.5), (1.0, 2.0), (-2.0, -1.0)])
def test_uniform_range_and_moments(lo, hi):
    n = 1_000_000
    u = _core.rng_uniform(n, _core.rng_key(11, 1, 2, 3), lo, hi)
    assert u.dtype == np.float32 and u.shape == (n,)
    assert u.min() >= np.float32(lo) and u.max() < np.float32(hi)
    width = hi - lo
    z = (u.astype(np.float64) - lo) / width
    assert abs(z.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(z.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)
    counts = np.bincount(np.minimum((z * 20).astype(int), 19), minlength=20)
    expected = n / 20
    assert np.all(np.abs(counts - expected) < 6 * np.sqrt(expected))


def test_uniform_keys_give_independent_streams():
    a = _core.rng_uniform(100_000, _core.rng_key(1, 1, 0, 0), 0.0, 1.0).astype(np.float64)
    b = _core.rng_uniform(100_000, _core.rng_key(1, 1, 0, 1), 0.0, 1.0).astype(np.float64)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(len(a))
    assert abs(np.corrcoef(a[1:], a[:-1])[0, 1]) < 5 / np.sqrt(len(a))


# --------------------------------------------------------------------------- normal

def box_muller_ref(key, n):
    """Float64 Box-Muller from the same words: u1 = (w0 >> 8) + 1) 2^-24, theta = 2 pi (w1 >> 8) 2^-24;
    elements 4j, 4j+1 = r cos, r sin from words (0, 1) of counter j, 4j+2, 4j+3 from words (2, 3)."""
    w = words(key, ((n + 3) // 4) * 4).reshape(-1, 2)
    u1 = ((w[:, 0] >> 8) + 1).astype(np.float64) * 2.0**-24
    theta = 2 * np.pi * (w[:, 1] >> 8).astype(np.float64) * 2.0**-24
    r = np.sqrt(-2 * np.log(u1))
    return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)[:n]


def test_normal_matches_box_muller_reference():
    key = _core.rng_key(9, 1, 4, 0)
    z = _core.rng_normal(4003, key, 0.0, 1.0, False)
    ref = box_muller_ref(key, 4003)
    np.testing.assert_allclose(z, ref, rtol=2e-6, atol=2e-6)
    assert np.array_equal(_core.rng_normal(7, key, 0.0, 1.0, False), z[:7])
    scaled = _core.rng_normal(4003, key, 0.5, 3.0, False)
    np.testing.assert_allclose(scaled, 0.5 + 3.0 * z, rtol=1e-6, atol=1e-6)


def test_normal_moments():
    n = 1_000_000
    z = _core.rng_normal(n, _core.rng_key(5, 1, 0, 0), 0.0, 1.0, False).astype(np.float64)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.std() - 1) < 5 * np.sqrt(0.5 / n)
    assert abs(np.mean(z**3)) < 5 * np.sqrt(15 / n)
    assert abs(np.mean(z**4) - 3) < 5 * np.sqrt(96 / n)
    # tail mass beyond 2 sigma: 4.55 %
    assert abs(np.mean(np.abs(z) > 2) - 0.0455) < 5 * np.sqrt(0.0455 * 0.9545 / n)


def test_truncated_normal():
    n = 1_000_000
    key = _core.rng_key(5, 1, 0, 0)
    t = _core.rng_normal(n, key, 0.0, 1.0, True).astype(np.float64)
    full = _core.rng_normal(n, key, 0.0, 1.0, False).astype(np.float64)
    assert np.abs(t).max() <= 2.0
    # accepted draws are the untruncated ones; only the rejected elements are redrawn
    keep = np.abs(full) <= 2
    assert np.array_equal(t[keep], full[keep])
    assert not np.array_equal(t[~keep], full[~keep])
    # Keras divides the stddev by 0.87962566103423978: the std of N(0,1) truncated at +-2
    assert abs(t.mean()) < 5 / np.sqrt(n)
    assert abs(t.std() - 0.87962566103423978) < 0.003
    # redraws are spread like the accepted draws (not clustered at the edges)
    redrawn = t[~keep]
    assert abs(np.mean(np.abs(redrawn) > 1) - np.mean(np.abs(t[keep]) > 1)) < 0.02
    ts = _core.rng_normal(1000, key, 1.0, 0.1, True)
    assert np.all(np.abs(ts - 1.0) <= 0.2 + 1e-6)
    assert np.array_equal(_core.rng_normal(n, key, 0.0, 1.0, True), t.astype(np.float32))


# --------------------------------------------------------------------------- permutation

def permutation_ref(n, key):
    """Fisher-Yates from the top, j = Lemire's unbiased bounded draw of 32-bit stream words."""
    w = iter(words(key, 4 * n + 64).tolist())
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        s = i + 1
        m = next(w) * s
        if (m & M32) < s:
            t = (2**32 - s) % s
            while (m & M32) < t:
                m = next(w) * s
        j = m >> 32
        perm[i], perm[j] = perm[j], perm[i]
    return perm


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 60000])
def test_permutation_is_a_permutation(n):
    key = _core.rng_key(1, 2, 0, 0)
    p = _core.permutation(n, key)
    assert p.dtype == np.int64 and p.shape == (n,)
    assert np.array_equal(np.sort(p), np.arange(n))
    assert np.array_equal(_core.permutation(n, key), p)
    if n >= 7:
        assert not np.array_equal(_core.permutation(n, _core.rng_key(1, 2, 1, 0)), p)
        assert not np.array_equal(p, np.arange(n))


def test_permutation_matches_reference():
    for n, seed in ((2, 0), (5, 1), (50, 2), (333, 3)):
        key = _core.rng_key(seed, 2, 0, 0)
        assert _core.permutation(n, key).tolist() == permutation_ref(n, key)


def test_permutation_is_uniform():
    # every ordering of 3 items equally likely; every item equally likely at each position of 10
    counts = {}
    for e in range(6000):
        p = tuple(_core.permutation(3, _core.rng_key(77, 2, e, 0)).tolist())
        counts[p] = counts.get(p, 0) + 1
    assert len(counts) == 6
    assert all(abs(c - 1000) < 5 * np.sqrt(1000) for c in counts.values())
    pos = np.zeros((10, 10))
    for e in range(5000):
        p = _core.permutation(10, _core.rng_key(78, 2, e, 0))
        pos[np.arange(10), p] += 1
    assert np.all(np.abs(pos - 500) < 5 * np.sqrt(500))
