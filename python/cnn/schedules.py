"""Learning-rate schedules (``keras.optimizers.schedules``), stepped per optimizer update.

Each built-in schedule describes itself to the C core with ``c_record()`` (the fields of
``cnn_schedule`` in csrc/cnn.h). ``__call__(step)`` returns a Python float computed by
``evaluate_record``, which repeats csrc/schedule.c operation for operation in double precision
(its own exp/log/cos, so the numbers are the same bits as the core's on every machine).
A schedule written in Python (a subclass overriding ``__call__``) has ``c_record() -> None``.
"""
import math

from cnn._registry import Registry

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize", "get"]

# enum cnn_schedule_kind (csrc/cnn.h)
CONSTANT, LEGACY_DECAY, EXPONENTIAL, INVERSE_TIME, PIECEWISE, POLYNOMIAL, COSINE, COSINE_RESTARTS = range(8)
MAX_PIECES = 16  # CNN_SCHED_MAX_PIECES


def _record(kind, lr, **fields):
    """A full cnn_schedule record: every field present, unset ones zero."""
    rec = {"kind": kind, "lr": float(lr), "decay": 0.0, "decay_steps": 0.0, "decay_rate": 0.0,
           "end_lr": 0.0, "power": 0.0, "alpha": 0.0, "warmup_target": 0.0, "warmup_steps": 0.0,
           "t_mul": 0.0, "m_mul": 0.0, "staircase": 0, "cycle": 0, "npieces": 0,
           "boundaries": [], "values": []}
    rec.update(fields)
    return rec


def constant_c_record(lr):
    """The record of a fixed learning rate."""
    return _record(CONSTANT, lr)


def legacy_decay_c_record(lr, decay):
    """tf.keras 2 ``decay=``: lr / (1 + decay * iterations)."""
    return _record(LEGACY_DECAY, lr, decay=float(decay))


# ---- the double-precision maths of csrc/schedule.c, in the same order of operations ----
_LN2_HI = float.fromhex("0x1.62e42feep-1")
_LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
_INV_LN2 = float.fromhex("0x1.71547652b82fep+0")
_PI = float.fromhex("0x1.921fb54442d18p+1")
_SQRT_HALF = float.fromhex("0x1.6a09e667f3bcdp-1")
_EXP_C = (1.0, 1.0, 0.5, 0.16666666666666666, 0.041666666666666664, 0.008333333333333333,
          0.001388888888888889, 0.0001984126984126984, 2.48015873015873e-05, 2.7557319223985893e-06,
          2.755731922398589e-07, 2.505210838544172e-08, 2.08767569878681e-09, 1.6059043836821613e-10,
          1.1470745597729725e-11, 7.647163731819816e-13)
_LOG_C = (0.3333333333333333, 0.2, 0.14285714285714285, 0.1111111111111111, 0.09090909090909091,
          0.07692307692307693, 0.06666666666666667, 0.058823529411764705, 0.05263157894736842,
          0.047619047619047616, 0.043478260869565216, 0.04, 0.037037037037037035)
_COS_C = (1.0, -0.5, 0.041666666666666664, -0.001388888888888889, 2.48015873015873e-05,
          -2.755731922398589e-07, 2.08767569878681e-09, -1.1470745597729725e-11, 4.779477332387385e-14,
          -1.5619206968586225e-16, 4.110317623312165e-19)
_SIN_C = (1.0, -0.16666666666666666, 0.008333333333333333, -0.0001984126984126984,
          2.7557319223985893e-06, -2.505210838544172e-08, 1.6059043836821613e-10, -7.647163731819816e-13,
          2.8114572543455206e-15, -8.22063524662433e-18, 1.9572941063391263e-20)
_NAN, _INF = float("nan"), float("inf")


def _floor(x):
    return x if math.isnan(x) or math.isinf(x) else float(math.floor(x))


def _ceil(x):
    return x if math.isnan(x) or math.isinf(x) else float(math.ceil(x))


def _horner(c, x):
    p = c[-1]
    for ci in reversed(c[:-1]):
        p = p * x + ci
    return p


def _exp(x):
    if x != x:
        return x
    if x > 709.782712893384:
        return _INF
    if x < -745.2:
        return 0.0
    k = _floor(x * _INV_LN2 + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    try:
        return math.ldexp(_horner(_EXP_C, r), int(k))
    except OverflowError:
        return _INF


def _log(x):
    if x != x or x < 0.0:
        return _NAN
    if x == 0.0:
        return -_INF
    if math.isinf(x):
        return x
    m, e = math.frexp(x)
    if m < _SQRT_HALF:
        m = m * 2.0
        e = e - 1
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    lm = 2.0 * s + 2.0 * s * (z * _horner(_LOG_C, z))
    return float(e) * _LN2_HI + (float(e) * _LN2_LO + lm)


def _cospi(x):
    a = abs(x)
    if a != a or math.isinf(a):
        return _NAN
    a = math.fmod(a, 2.0)
    n = _floor(2.0 * a + 0.5)
    t = a - 0.5 * n
    y = t * _PI
    z = y * y
    q = int(n) & 3
    if q == 0:
        return _horner(_COS_C, z)
    if q == 2:
        return -_horner(_COS_C, z)
    sn = y * _horner(_SIN_C, z)
    return -sn if q == 1 else sn


def _pow(b, p):
    if p == 0.0 or b == 1.0:
        return 1.0
    if b != b or p != p:
        return _NAN
    if b == 0.0:
        return 0.0 if p > 0.0 else _INF
    if _floor(p) == p and abs(p) < 2.0 ** 53:
        r, x, n = 1.0, b, int(abs(p))
        while n:
            if n & 1:
                r = r * x
            n >>= 1
            if n:
                x = x * x
        return _div(1.0, r) if p < 0.0 else r
    if b < 0.0:
        return _NAN
    return _exp(p * _log(b))


def _div(a, b):
    """IEEE division (x/0 gives inf or nan like C), for records built by hand."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def evaluate_record(rec, step):
    """cnn_schedule_lr(rec, step) in Python: the learning rate for optimizer iteration ``step``."""
    t = float(step)
    kind = rec["kind"]
    lr = rec["lr"]
    if kind == LEGACY_DECAY:
        return _div(lr, 1.0 + rec["decay"] * t)
    if kind in (EXPONENTIAL, INVERSE_TIME):
        p = _div(t, rec["decay_steps"])
        if rec["staircase"]:
            p = _floor(p)
        if kind == EXPONENTIAL:
            return lr * _pow(rec["decay_rate"], p)
        return _div(lr, 1.0 + rec["decay_rate"] * p)
    if kind == PIECEWISE:
        n = int(rec["npieces"])
        if n <= 0:
            return lr
        for i in range(n - 1):
            if t <= rec["boundaries"][i]:
                return float(rec["values"][i])
        return float(rec["values"][n - 1])
    if kind == POLYNOMIAL:
        d = rec["decay_steps"]
        if rec["cycle"]:
            d = d * (1.0 if t == 0.0 else _ceil(_div(t, d)))
        elif t > d:
            t = d
        p = _div(t, d)
        return (lr - rec["end_lr"]) * _pow(1.0 - p, rec["power"]) + rec["end_lr"]
    if kind == COSINE:
        ds, ws = rec["decay_steps"], rec["warmup_steps"]
        if t > ds + ws:
            t = ds + ws
        if t < ws:
            return (rec["warmup_target"] - lr) * _div(t, ws) + lr
        cosd = 0.5 * (1.0 + _cospi(_div(t - ws, ds)))
        return rec["warmup_target"] * ((1.0 - rec["alpha"]) * cosd + rec["alpha"])
    if kind == COSINE_RESTARTS:
        f = _div(t, rec["decay_steps"])
        tm = rec["t_mul"]
        if tm == 1.0:
            i = _floor(f)
            f = f - i
        else:
            i = _floor(_div(_log(1.0 - f * (1.0 - tm)), _log(tm)))
            if _div(1.0 - _pow(tm, i + 1.0), 1.0 - tm) <= f:
                i = i + 1.0
            elif i > 0.0 and _div(1.0 - _pow(tm, i), 1.0 - tm) > f:
                i = i - 1.0
            ti = _pow(tm, i)
            f = _div(f - _div(1.0 - ti, 1.0 - tm), ti)
        cosd = 0.5 * _pow(rec["m_mul"], i) * (1.0 + _cospi(f))
        return lr * ((1.0 - rec["alpha"]) * cosd + rec["alpha"])
    return lr


# ---- the public classes ----
class LearningRateSchedule:
    """Base class. Subclasses written in Python override ``__call__(step)`` and ``get_config``."""

    def __call__(self, step):
        rec = self.c_record()
        if rec is None:
            raise NotImplementedError(
                f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`.")
        return evaluate_record(rec, step)

    def c_record(self):
        """The cnn_schedule fields for the C core, or None when the schedule is Python only."""
        return None

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class ExponentialDecay(LearningRateSchedule):
    """lr0 * decay_rate ** (step / decay_steps); ``staircase`` floors the exponent."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def c_record(self):
        return _record(EXPONENTIAL, self.initial_learning_rate, decay_steps=float(self.decay_steps),
                       decay_rate=float(self.decay_rate), staircase=int(bool(self.staircase)))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """lr0 / (1 + decay_rate * step / decay_steps); ``staircase`` floors step / decay_steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def c_record(self):
        return _record(INVERSE_TIME, self.initial_learning_rate, decay_steps=float(self.decay_steps),
                       decay_rate=float(self.decay_rate), staircase=int(bool(self.staircase)))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while step <= boundaries[i], then values[-1]."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def _full_record(self):
        return _record(PIECEWISE, self.values[0], npieces=len(self.values),
                       boundaries=[float(b) for b in self.boundaries],
                       values=[float(v) for v in self.values])

    def c_record(self):
        if len(self.values) > MAX_PIECES:
            return None  # more pieces than the core holds: the caller evaluates it in Python
        return self._full_record()

    def __call__(self, step):
        return evaluate_record(self._full_record(), step)

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """(lr0 - end) * (1 - min(step, D) / D) ** power + end; ``cycle`` stretches D past the step."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def c_record(self):
        return _record(POLYNOMIAL, self.initial_learning_rate, decay_steps=float(self.decay_steps),
                       end_lr=float(self.end_learning_rate), power=float(self.power),
                       cycle=int(bool(self.cycle)))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from lr0 (or from ``warmup_target`` after a linear warmup) to alpha times it."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def c_record(self):
        lr0 = float(self.initial_learning_rate)
        if self.warmup_target is None:  # Keras ignores warmup_steps then
            target, steps = lr0, 0.0
        else:
            target, steps = float(self.warmup_target), float(self.warmup_steps)
        return _record(COSINE, lr0, decay_steps=float(self.decay_steps), alpha=float(self.alpha),
                       warmup_target=target, warmup_steps=steps)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine periods of first_decay_steps * t_mul**i steps, each peak m_mul**i lower."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def c_record(self):
        return _record(COSINE_RESTARTS, self.initial_learning_rate,
                       decay_steps=float(self.first_decay_steps), t_mul=float(self._t_mul),
                       m_mul=float(self._m_mul), alpha=float(self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_registry = Registry("learning rate schedule", "keras.optimizers.schedules")
_registry.register_classes((ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay,
                            CosineDecay, CosineDecayRestarts))


def serialize(schedule):
    """{'module', 'class_name', 'config', 'registered_name'} like keras.optimizers.schedules."""
    return _registry.serialize(schedule)


def deserialize(config, custom_objects=None):
    """A schedule from serialize()'s dict (or {'class_name', 'config'})."""
    name = config.get("class_name")
    cls = _registry.require(name, custom_objects,
                            f"Unknown learning rate schedule: {name!r}. Known: {_registry.names()}")
    return cls.from_config(dict(config.get("config", {})))


def get(identifier):
    """A schedule from an instance, a serialized dict, or None."""
    if identifier is None or isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}")
