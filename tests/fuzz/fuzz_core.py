"""Fuzz target for cnn._core: every function, records of every kind (keys from the core's own field
tables, values of every type and edge), sizes at the overflow edges, arrays of odd dtype, shape,
strides and flags, and Plans trained, evaluated and run on such arrays. Only ValueError, TypeError,
OverflowError and MemoryError may come out; anything else (SystemError, a crash under ASan/UBSan,
a hang) is a finding. Run by tests/fuzz/run.py (.ci/fuzz: bounded, under ASan/UBSan)."""
import numpy as np
from bytes_reader import Reader

from cnn import _core

EXPECTED = (ValueError, TypeError, OverflowError, MemoryError)
DTYPES = [np.float32, np.float32, np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_, np.float16,
          np.complex64, object]
RECORDS = ["act", "loss", "metric", "opt", "schedule", "constraint"]


def array(r, ndim=None):
    """A small array, sometimes of the wrong dtype, a view with strides, read-only, 0-d or huge-looking."""
    nd = r.small(3) if ndim is None or r.chance(8) else ndim
    shape = tuple(r.small(5) for _ in range(nd))
    dtype = DTYPES[0] if r.chance(2) else r.pick(DTYPES)
    a = np.arange(int(np.prod(shape)) or 0, dtype=np.float64).reshape(shape) * (r.float_() if r.chance(4) else 0.5)
    a = np.asarray(a).astype(dtype)
    trick = r.small(6)
    if trick == 1 and a.ndim:
        a = a[::2]
    elif trick == 2 and a.ndim >= 2:
        a = a.T
    elif trick == 3:
        a.flags.writeable = False
    elif trick == 4 and a.ndim:
        a = np.broadcast_to(a, (2**20,) + a.shape[1:]) if a.shape[0] == 1 else a
    elif trick == 5 and a.size:
        a = a.reshape(-1)[::-1]
    return a


def value(r, depth=0):
    """Any Python value a record field might be given."""
    k = r.small(9)
    if k <= 2:
        return r.int_()
    if k <= 4:
        return r.float_()
    if k == 5:
        return r.pick([True, False, None, "relu", "", "x" * 300])
    if k == 6 and depth < 2:
        return [value(r, depth + 1) for _ in range(r.small(4))]
    if k == 7 and depth < 2:
        return record(r, r.pick(RECORDS), depth + 1)
    if k == 8:
        return array(r)
    return r.pick([{}, (), object(), b"bytes", 1j])


def record(r, part, depth=0):
    """A dict for record `part`: a real kind (or a wrong one), real field names (or a stray one)."""
    kinds = list(_core.enums[part])
    d = {}
    if not r.chance(10):
        d["kind"] = r.pick(kinds) if not r.chance(8) else value(r, depth + 1)
    fields = _core.fields[part]
    for _ in range(r.small(4)):
        name = r.pick(fields) if not r.chance(10) else "no_such_field"
        if name != "kind":
            d[name] = value(r, depth + 1)
    if r.chance(20):
        return value(r, depth + 1)
    return d


def layer(r, n_in, n_out, off):
    kind = r.pick(list(_core.enums["layer"]))
    d = {"kind": kind, "in_shape": [n_in], "out_shape": [n_out if kind == "dense" else n_in]}
    if kind == "dense":
        d.update(w_off=off, w_len=n_in * n_out, b_off=off + n_in * n_out, b_len=n_out)
    if kind == "batchnorm":
        d.update(w_off=off, w_len=n_in, b_off=off + n_in, b_len=n_in, mm_off=off + 2 * n_in, mm_len=n_in,
                 mv_off=off + 3 * n_in, mv_len=n_in)
    for _ in range(r.small(3) if r.chance(3) else 0):   # then break it
        d[r.pick(_core.fields["layer"] + _core.fields["layer_params"][kind])] = value(r)
    return d


def plan_calls(r):
    sizes = [1 + r.small(4) for _ in range(1 + r.small(3))]
    layers, off = [], 0
    for a, b in zip(sizes, sizes[1:] + [1 + r.small(3)]):
        layers.append(layer(r, a, b, off))
        off += 4 * a * b + 4 * b
    n_params = off if not r.chance(6) else r.int_()
    params = np.zeros(max(0, min(n_params, 4096)) if isinstance(n_params, int) else 1, np.float32)
    opt = {"kind": r.pick(list(_core.enums["opt"]))} if not r.chance(4) else record(r, "opt")
    loss = {"kind": r.pick(list(_core.enums["loss"]))} if not r.chance(4) else record(r, "loss")
    metrics = [] if r.chance(2) else [record(r, "metric") for _ in range(r.small(3))]
    slots = np.zeros(r.pick([0, 1, 16, 4 * params.size + 8, 8 * params.size + 8]), np.float32)
    n_tr = params.size if not r.chance(5) else r.int_()
    batch_max = 1 + r.small(6) if not r.chance(6) else r.int_()
    kw = {}
    if r.chance(4):
        kw = {r.pick(["clipnorm", "clipvalue", "global_clipnorm", "ema_momentum", "ema_overwrite_frequency"]):
              value(r)}
    if r.chance(6):
        kw["ema"] = array(r, 1)
    if r.chance(3):   # a graph plan: sources, several inputs and outputs
        for d in layers:
            if r.chance(2):
                d["inputs"] = [r.small(len(layers) + 2) - 2 for _ in range(1 + r.small(3))]
        kw["inputs"] = [[s] for s in sizes[:1 + r.small(2)]] if not r.chance(6) else value(r)
        kw["outputs"] = ([{"layer": r.small(len(layers) + 1), "loss": loss, "weight": r.float_(),
                           "metrics": len(metrics) if k == 0 else 0} for k in range(1 + r.small(2))]
                         if not r.chance(6) else value(r))
    p = _core.Plan(layers, loss, metrics, opt, params, n_tr, slots, batch_max, **kw)
    n_in = sizes[0]
    for _ in range(1 + r.small(3)):
        n = r.small(6)
        x = array(r, 2) if r.chance(4) else np.ones((n, n_in), np.float32)
        y = array(r, 2) if r.chance(2) else np.ones((n, 1), np.float32)
        sw = None if r.chance(2) else array(r, 1)
        batch = 1 + r.small(3) if not r.chance(6) else r.int_()
        which = r.small(2)
        try:
            if which == 0:
                perm = np.arange(n, dtype=np.int64) if not r.chance(4) else array(r, 1)
                p.train(x, y, sw, perm, batch, r.small(3) if not r.chance(5) else r.int_(),
                        r.small(3) if not r.chance(5) else r.int_(), r.int_(), record(r, "schedule"),
                        None, 0.0)
            elif which == 1:
                p.evaluate(x, y, sw, batch, None, 0.0)
            else:
                p.predict(x, batch, None, 0.0)
        except EXPECTED:
            pass


def kernel_call(r):
    name = r.pick(["gemm", "dense_forward", "dense_backward", "colsum_accumulate", "mathf", "act_forward",
                   "act_backward", "loss_forward", "loss_backward", "metric_update", "opt_slot_count",
                   "opt_state_count", "opt_init_slots", "opt_step", "schedule_lr", "rng_key", "rng_uniform",
                   "rng_normal", "permutation", "philox", "set_isa", "get_isa", "get_num_threads"])
    fn = getattr(_core, name)
    args = []
    for _ in range(r.small(7)):   # positional arguments of any kind, arrays and records first
        k = r.small(4)
        args.append(array(r) if k == 0 else record(r, r.pick(RECORDS)) if k == 1 else value(r))
    if name in ("loss_forward", "loss_backward", "metric_update", "act_forward", "act_backward", "opt_step",
                "opt_init_slots", "schedule_lr") and args and r.chance(2):
        part = {"loss_forward": "loss", "loss_backward": "loss", "metric_update": "metric",
                "act_forward": "act", "act_backward": "act", "schedule_lr": "schedule"}.get(name, "opt")
        args[0] = record(r, part)
    if name == "mathf" and args:
        args[0] = r.pick(["exp", "log", "tanh", "erf", "sqrt", "expm1", "nope"])
    if name in ("rng_uniform", "rng_normal", "permutation") and args and isinstance(args[0], int) \
            and 2**24 < args[0] < 2**40:
        return   # a valid request for gigabytes of numbers: slow, not wrong (2**40 and up must fail cleanly)
    fn(*args)


def one(data):
    r = Reader(data)
    for _ in range(1 + r.small(3)):
        try:
            plan_calls(r) if r.chance(3) else kernel_call(r)
        except EXPECTED:
            pass
