"""Learning-rate schedules (``keras.optimizers.schedules``), stepped per optimizer update.

Each built-in schedule describes itself to the C core with ``c_record()`` (the fields of
``cnn._core.fields["schedule"]``). ``__call__(step)`` returns the Python float that
csrc/train/schedule.c computes (``cnn._core.schedule_lr``): the maths exists once, in C.
A schedule written in Python (a subclass overriding ``__call__``) has ``c_record() -> None``.
"""
import operator

from cnn._registry import Registry

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize", "get"]

# the C core's schedule names (cnn._core.enums["schedule"])
CONSTANT, LEGACY_DECAY, EXPONENTIAL, INVERSE_TIME, PIECEWISE, POLYNOMIAL, COSINE, COSINE_RESTARTS = (
    "constant", "legacy_decay", "exponential", "inverse_time", "piecewise", "polynomial", "cosine",
    "cosine_restarts")


def _record(kind, lr, **fields):
    """A full schedule record (cnn._core.fields["schedule"]): every field present, unset ones zero."""
    rec = {"kind": kind, "lr": float(lr), "decay": 0.0, "decay_steps": 0.0, "decay_rate": 0.0,
           "end_lr": 0.0, "power": 0.0, "alpha": 0.0, "warmup_target": 0.0, "warmup_steps": 0.0,
           "t_mul": 0.0, "m_mul": 0.0, "staircase": 0, "cycle": 0,
           "boundaries": [], "values": []}
    rec.update(fields)
    return rec


def constant_c_record(lr):
    """The record of a fixed learning rate (built once per training call: only the fields it uses)."""
    return {"kind": CONSTANT, "lr": float(lr)}


def legacy_decay_c_record(lr, decay):
    """tf.keras 2 ``decay=``: lr / (1 + decay * iterations)."""
    return {"kind": LEGACY_DECAY, "lr": float(lr), "decay": float(decay)}


def evaluate_record(rec, step):
    """The learning rate of a schedule record at optimizer iteration ``step``: csrc/train/schedule.c
    itself (``cnn._core.schedule_lr``), so Python and the training loop can never disagree."""
    from cnn import _core
    return _core.schedule_lr(rec, _step(step))


def _step(step):
    """An optimizer iteration: a non-negative integer (a float with no fraction is accepted)."""
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    try:
        return operator.index(step)
    except TypeError:
        raise TypeError(f"step must be an integer optimizer iteration, got {step!r}") from None


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
        from cnn import _core
        if len(values) > _core.SCHED_MAX_PIECES:
            raise ValueError(f"PiecewiseConstantDecay takes at most {_core.SCHED_MAX_PIECES} values, got "
                             f"{len(values)}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def _full_record(self):
        return _record(PIECEWISE, self.values[0], boundaries=[float(b) for b in self.boundaries],
                       values=[float(v) for v in self.values])

    def c_record(self):
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
