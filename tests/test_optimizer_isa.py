"""The optimizer loops are compiled once per instruction set (portable, AVX2, AVX-512; optim_loops.h)
and picked at run time: every optimizer and variant gives the same bits on every path this CPU has,
on awkward lengths (vector tails) and awkward values (zeros of both signs, subnormals, huge values,
infinities and NaN in the gradients). A NaN is a NaN on every path, but its sign bit is not fixed:
where two NaNs meet, x86 keeps the first operand's, and the compiler may order a sum's operands
differently in each copy; the comparison takes every NaN as equal."""
import numpy as np
import pytest

from cnn import _core
from cnn import optimizers as O

F = _core.fields["opt"]
ISAS = [isa for isa in range(3) if _core.set_isa(isa) == isa]
_core.set_isa(-1)

CASES = {
    "sgd": lambda: O.SGD(0.1),
    "sgd momentum": lambda: O.SGD(0.1, momentum=0.9),
    "sgd nesterov decay": lambda: O.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda: O.Adam(1e-3),
    "adam amsgrad": lambda: O.Adam(1e-3, amsgrad=True),
    "adamw": lambda: O.AdamW(1e-3, weight_decay=0.004),
    "rmsprop": lambda: O.RMSprop(1e-3),
    "rmsprop momentum centered": lambda: O.RMSprop(1e-3, momentum=0.5, centered=True),
    "rmsprop centered": lambda: O.RMSprop(1e-3, centered=True),
    "adagrad": lambda: O.Adagrad(0.01),
    "adadelta": lambda: O.Adadelta(1.0),
    "adamax": lambda: O.Adamax(2e-3),
    "nadam": lambda: O.Nadam(2e-3),
    "lion": lambda: O.Lion(1e-4),
    "ftrl": lambda: O.Ftrl(0.05, l1_regularization_strength=0.01, l2_regularization_strength=0.01),
    "ftrl power": lambda: O.Ftrl(0.05, learning_rate_power=-0.7, l2_shrinkage_regularization_strength=0.1),
}


def _gradients(n, steps, rng):
    special = np.array([0.0, -0.0, 1e-40, -1e-42, 3e38, -3e38, np.inf, -np.inf, np.nan, 1.0], np.float32)
    out = []
    for t in range(steps):
        g = (rng.standard_normal(n) * (0.1 + t)).astype(np.float32)
        g[rng.integers(0, n, n // 7)] = special[rng.integers(0, len(special), n // 7)]
        g[::3] = 0.0 if t % 2 else g[::3]   # moments decaying into subnormals on every other step
        out.append(g)
    return out


def _run(isa, opt, p0, grads):
    _core.set_isa(isa)
    try:
        rec = opt._c_record()
        n = p0.size
        state = 1 if rec[F[0]] == O.KIND_NADAM else 0
        slots = np.zeros(_core.opt_slot_count(rec) * n + state, np.float32)
        _core.opt_init_slots(rec, slots)
        p = p0.copy()
        for it, g in enumerate(grads):
            _core.opt_step(rec, p, slots, g, it + 1, opt._lr_at(it))
        out = np.concatenate([p, slots])
        out[np.isnan(out)] = np.nan   # one NaN pattern (see above)
        return out.tobytes()
    finally:
        _core.set_isa(-1)


@pytest.mark.skipif(len(ISAS) < 2, reason="this CPU has a single instruction-set path")
@pytest.mark.parametrize("n", [1, 15, 37, 1003, 20_000])
@pytest.mark.parametrize("name", list(CASES))
def test_every_optimizer_gives_the_same_bits_on_every_instruction_set(name, n):
    rng = np.random.default_rng(n)
    p0 = rng.standard_normal(n).astype(np.float32)
    p0[::11] = 0.0
    grads = _gradients(n, 5, rng)
    with np.errstate(all="ignore"):
        runs = {isa: _run(isa, CASES[name](), p0, grads) for isa in ISAS}
    reference = runs[ISAS[0]]
    for isa, got in runs.items():
        assert got == reference, f"{name}, n={n}: path {isa} differs from path {ISAS[0]}"
