"""Optimizers with Keras 3's update rules (`keras.optimizers`).

The classes only describe an optimizer; the update itself runs in C (csrc/optim.c) inside the
training step, over the model's flat parameter buffer. The contract with the model:

- ``opt._c_record()`` -> the dict ``_core.opt_step`` / the plan take, keyed by the field names of
  ``cnn._core.fields["opt"]`` (``kind`` by name: ``"adam"``, ...). The ``one_minus_*`` entries are
  ``1 - x`` computed in double from the Python value, as Keras computes them.
- ``opt._lr_at(iteration)`` -> the float32 learning rate (as a Python float) of the update at
  0-based optimizer step ``iteration``: schedule or callable applied, then the legacy ``decay=``
  (``lr / (1 + decay * iteration)``, in double as csrc/schedule.c does, rounded to float32).
- ``opt.iterations`` counts the updates applied; the model adds to it after each step.
  The C update takes ``t = iterations + 1``.
- Slots live in one float32 buffer of ``_core.opt_slot_count(record) * n`` floats (plus
  ``cnn_opt_state_count`` trailing scalars: Nadam's running product), set by
  ``_core.opt_init_slots``.

Spellings from tf.keras 2 that course code uses are accepted and honoured, each with one warning:
``lr=``, ``decay=``, an integer learning rate, and the ``opt.lr`` attribute.
"""

import math
import warnings

import numpy as np

from cnn._naming import to_snake_case
from cnn._registry import Registry
from cnn._watched import Watched

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Lion", "Ftrl", "get", "serialize", "deserialize"]

# the C core's optimizer names (cnn._core.enums["opt"])
KIND_SGD, KIND_ADAM, KIND_RMSPROP, KIND_ADAGRAD, KIND_ADADELTA, KIND_ADAMAX, KIND_NADAM, \
    KIND_LION, KIND_FTRL = "sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "lion", "ftrl"

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


def __getattr__(name):
    # cnn.optimizers.schedules, as keras.optimizers.schedules (loaded on first use).
    if name == "schedules":
        import importlib
        return importlib.import_module("cnn.schedules")
    raise AttributeError(f"module 'cnn.optimizers' has no attribute {name!r}")


def _is_schedule(x):
    """A LearningRateSchedule (called with the step), as opposed to a zero-argument callable."""
    return any(c.__name__ == "LearningRateSchedule" for c in type(x).__mro__)


def _f32(x):
    return float(np.float32(x))


def _number(name, value, lo=None, hi=None, lo_open=False, hi_open=False):
    """Checks a hyperparameter is a real number in range; returns it as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise ValueError(f"Argument `{name}` must be a float. Received: {name}={value!r}")
    v = float(value)
    bad = math.isnan(v) or math.isinf(v)
    if lo is not None:
        bad = bad or v < lo or (lo_open and v == lo)
    if hi is not None:
        bad = bad or v > hi or (hi_open and v == hi)
    if bad:
        rng = (("(" if lo_open else "[") + str(lo) + ", " + str(hi) + (")" if hi_open else "]")
               if hi is not None else (">= " + str(lo) if not lo_open else "> " + str(lo)))
        raise ValueError(f"Argument `{name}` must be {'in ' if hi is not None else ''}{rng}. "
                         f"Received: {name}={value!r}")
    return v


def _one_minus(x):
    # Keras multiplies by the Python float 1 - x: computed in double, rounded to float32 later.
    return 1.0 - float(x)


class Optimizer(Watched):
    """Base class: learning rate, iteration counter, legacy spellings, config.

    The update itself runs in the C core, over all the model's weights at once; `iterations` counts
    the updates done. The subclasses below add their own hyperparameters; each sets `_kind` and
    overrides `_fields()` (its part of the C record) and `_own_config()`.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (called with the
            iteration, stepped every batch), or a function of no arguments returning the rate.
        weight_decay: float >= 0; if set, every weight is multiplied by
            `1 - weight_decay * learning_rate` before each update (decoupled weight decay). Default
            `None`.
        clipnorm: float >= 0; if set, each weight's gradient is rescaled so its norm is at most this.
            Default `None`.
        clipvalue: float >= 0; if set, each gradient element is clipped to `[-clipvalue, clipvalue]`.
            Default `None`.
        global_clipnorm: float >= 0; if set, all gradients are rescaled together so their global norm
            is at most this. Only one of the three clipping options can be set. Default `None`.
        use_ema: whether to keep an exponential moving average of the weights. Default `False`.
        ema_momentum: float in `[0, 1]`, the share of the old average kept at each update when
            `use_ema=True`. Default `0.99`.
        ema_overwrite_frequency: integer or `None`; with `use_ema`, the weights are overwritten by
            their moving average every this many iterations. Default `None`: never during training.
        loss_scale_factor: accepted for Keras compatibility (mixed precision only). Default `None`.
        gradient_accumulation_steps: accepted for Keras compatibility, not applied (a warning says
            so). Default `None`.
        name: the optimizer's name. Default `None`: the snake-case class name.
        **kwargs: tf.keras 2's `lr=` (the learning rate) and `decay=` (the rate becomes
            `lr / (1 + decay * iterations)`, per batch), honoured with a warning; anything else raises
            `ValueError`.
    """

    _kind = None
    _unwatched = frozenset({"iterations"})  # stepped on every call; not part of the C plan
    # Keras arguments kept in the config but not carried out by the C step (one warning each);
    # loss_scale_factor only matters for mixed precision, which cnn does not use.
    _NOT_APPLIED = ("gradient_accumulation_steps",)

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        quiet = kwargs.pop("_quiet_legacy", False)
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
            if not quiet:
                warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead "
                              "(honoured here).", UserWarning, stacklevel=3)
        decay = kwargs.pop("decay", None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self._decay = 0.0
        if decay is not None:
            self._decay = _number("decay", decay, lo=0.0)
            if self._decay and not quiet:
                warnings.warn("`decay` is a tf.keras 2 argument (Keras 3 drops it); cnn honours "
                              "it: lr / (1 + decay * iterations), per batch.", UserWarning,
                              stacklevel=3)
        self.name = to_snake_case(type(self).__name__) if name is None else str(name)
        if weight_decay is not None:
            weight_decay = _number("weight_decay", weight_decay, lo=0.0)
        self.weight_decay = weight_decay
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        for arg, val in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                         ("global_clipnorm", global_clipnorm)):
            if val is not None:
                _number(arg, val, lo=0.0)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        if use_ema:
            _number("ema_momentum", ema_momentum, lo=0.0, hi=1.0)
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        for arg in self._NOT_APPLIED:
            if getattr(self, arg) not in (None, False):
                warnings.warn(f"`{arg}` is accepted but not applied by cnn's training step yet.",
                              UserWarning, stacklevel=3)
        self.iterations = 0
        self._learning_rate = None
        self._warned_lr_alias = False
        self._set_lr(learning_rate, quiet)

    # ------------------------------------------------------------------ learning rate
    def _set_lr(self, value, quiet=False):
        if _is_schedule(value) or callable(value):
            self._learning_rate = value
            return
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            if not quiet:
                warnings.warn(f"learning_rate={value} is an integer; Keras 3 requires a float. "
                              f"Using {float(value)}.", UserWarning, stacklevel=4)
        lr = _number("learning_rate", value, lo=0.0)
        self._learning_rate = np.float32(lr)   # a float32 variable in Keras

    @property
    def learning_rate(self):
        """The current rate, a float32 that is also Keras's variable (`assign(v)`, `numpy()`); a
        schedule is evaluated at ``iterations``."""
        from cnn._learning_rate import LearningRate
        lr = self._learning_rate
        if _is_schedule(lr):
            lr = lr(self.iterations)
        elif callable(lr):
            lr = lr()
        return LearningRate(lr, self)

    @learning_rate.setter
    def learning_rate(self, value):
        if _is_schedule(self._learning_rate) and not (_is_schedule(value) or callable(value)):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate is "
                            "not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        self._set_lr(value)

    @property
    def lr(self):
        """tf.keras 2's alias of ``learning_rate``."""
        self._warn_lr_alias()
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        self._warn_lr_alias()
        self.learning_rate = value

    def _warn_lr_alias(self):
        if not self._warned_lr_alias:
            self._warned_lr_alias = True
            warnings.warn("`optimizer.lr` is a tf.keras 2 alias; use `optimizer.learning_rate`.",
                          UserWarning, stacklevel=4)

    @property
    def decay(self):
        """The legacy ``decay=`` (0 when not given)."""
        return self._decay

    def _lr_at(self, iteration):
        """The float32 rate of the update at 0-based optimizer step ``iteration``."""
        lr = self._learning_rate
        if _is_schedule(lr):
            lr = np.float32(lr(iteration))
        elif callable(lr):
            lr = np.float32(lr())
        lr = float(np.float32(lr))
        if self._decay > 0:   # tf.keras 2 _decayed_lr, computed by csrc/train/schedule.c
            from cnn import schedules
            lr = schedules.evaluate_record(schedules.legacy_decay_c_record(lr, self._decay), iteration)
        return float(np.float32(lr))

    # ------------------------------------------------------------------ the C record
    def _fields(self):
        """This optimizer's entries of the record, by field name."""
        return {}

    def _c_record(self):
        f = {"beta_1": 0.0, "beta_2": 0.0, "epsilon": 0.0, "momentum": 0.0, "rho": 0.0,
             "initial_accumulator_value": 0.0, "nesterov": 0, "amsgrad": 0, "centered": 0,
             "learning_rate_power": 0.0, "l1": 0.0, "l2": 0.0, "l2_shrinkage": 0.0, "beta": 0.0}
        f.update(self._fields())
        for b in ("beta_1", "beta_2", "rho"):
            f["one_minus_" + b] = _one_minus(f[b])
        record = {k: (bool(v) if k in ("nesterov", "amsgrad", "centered") else float(v)) for k, v in f.items()}
        record.update(kind=self._kind, weight_decay=float(self.weight_decay or 0.0))
        if self._kind is None:   # written in Python: the step calls update_step (cnn/_hooks.py)
            if type(self).update_step is Optimizer.update_step:
                raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable, "
                                          "learning_rate) (or derive from a built-in optimizer)")
            record = {"kind": "python"}
        return record

    # ------------------------------------------------------------------ optimizers written in Python
    # As Keras 3: build(var_list) creates the slots with add_variable_from_reference; update_step(
    # gradient, variable, learning_rate) updates one variable in NumPy (with variable.assign or
    # self.assign_sub(variable, ...)); the step calls it for each trainable weight in the model's order,
    # after the C backward (and clipping), with `iterations` the number of updates done before, and after
    # weight_decay (Keras's decoupled decay, applied by cnn/_hooks.py). Saving writes the variables build
    # created, in creation order (cnn/saving/weights.py), as Keras's optimizer.variables after the first two.
    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable from its gradient (NumPy arrays; `learning_rate` a float32). Override it
        to write an optimizer in Python."""
        raise NotImplementedError(f"{type(self).__name__}.update_step is not implemented")

    def build(self, var_list):
        """Creates the optimizer's variables for `var_list` (override, calling super().build first)."""
        self._var_index = {id(v): i for i, v in enumerate(var_list)}
        self.built = True

    def _built_for(self, var_list):
        """Whether build() ran for exactly these variables (the same objects: a pickled or deep-copied
        model's optimizer still is), in this order."""
        built = self.__dict__.get("_built_vars")
        return built is not None and len(built) == len(var_list) and all(a is b for a, b in zip(built, var_list))

    def _ensure_built(self, var_list):
        """Builds for the model's trainable variables on the first step (and when they change)."""
        if not self._built_for(var_list):
            self._built_vars = list(var_list)
            self._slot_variables = []
        elif all(self._var_index.get(id(v)) == i for i, v in enumerate(var_list)):
            return
        self._var_index = {id(v): i for i, v in enumerate(var_list)}   # also when build skips super(); ids
        if not self._slot_variables:                                    # change in a copy, the slots stay
            self.build(list(var_list))

    def _get_variable_index(self, variable):
        return self._var_index[id(variable)]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", name=None):
        """A new optimizer variable (a slot) of `shape`, filled by `initializer`."""
        from cnn import initializers
        from cnn.variables import Variable
        value = initializers.get(initializer)(tuple(shape))
        slots = self.__dict__.setdefault("_slot_variables", [])
        var = Variable(value, name or f"variable_{len(slots)}")
        slots.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A new variable shaped like `reference_variable` (Keras's slot for that weight)."""
        base = getattr(reference_variable, "name", "variable").replace("/", "_")
        return self.add_variable(reference_variable.shape, initializer, name=f"{base}_{name or 'slot'}")

    @staticmethod
    def assign(variable, value):
        variable.assign(value)

    @staticmethod
    def assign_add(variable, value):
        variable.assign(np.asarray(variable.value, np.float32) + np.asarray(value, np.float32))

    @staticmethod
    def assign_sub(variable, value):
        variable.assign(np.asarray(variable.value, np.float32) - np.asarray(value, np.float32))

    # ------------------------------------------------------------------ saving protocol
    # What Keras saves, in its order: iterations, learning_rate (unless a schedule or a function),
    # then the slots of _keras_slot_groups(), then _keras_state_count scalars (cnn.saving walks these).
    _keras_state_count = 0

    def _keras_slot_groups(self):
        if self._kind is None:   # a Python optimizer keeps its slots itself: none in the buffer
            return []
        return self._builtin_slot_groups()

    def _builtin_slot_groups(self):
        """Keras's slot variables as groups of cnn slot indices (csrc/optim.c's slot meaning): each group
        is saved for every trainable variable in turn, its slots interleaved, in Keras's build order."""
        raise NotImplementedError(f"{type(self).__name__} does not declare its slot variables")

    def _saves_learning_rate(self):
        lr = self._learning_rate
        return not (_is_schedule(lr) or callable(lr))

    # ------------------------------------------------------------------ config
    def _own_config(self):
        return {}

    def get_config(self):
        lr = self._learning_rate
        if _is_schedule(lr) and hasattr(lr, "get_config"):
            lr = {"class_name": type(lr).__name__, "config": lr.get_config()}
        elif not callable(lr):
            lr = float(lr)
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                  "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "loss_scale_factor": self.loss_scale_factor,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self._decay:
            config["decay"] = self._decay
        config.update(self._own_config())
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            from . import schedules  # the schedules module owns its registry
            config["learning_rate"] = schedules.deserialize(lr)
        return cls(_quiet_legacy=True, **config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name} learning_rate={self._learning_rate!r}>"


class SGD(Optimizer):
    """Gradient descent, with momentum and Nesterov momentum.

    Without momentum: `w = w - learning_rate * g`. With momentum:
    `velocity = momentum * velocity - learning_rate * g`, then `w = w + velocity` (Nesterov:
    `w = w + momentum * velocity - learning_rate * g`).

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.01`.
        momentum: float in `[0, 1]`, how much the past updates accelerate the current one.
            Default `0.0`: plain gradient descent.
        nesterov: whether to apply Nesterov momentum. Default `False`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.

    Example:

    >>> model.compile(optimizer=cnn.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="mse")
    """

    _kind = KIND_SGD

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = _number("momentum", momentum, lo=0.0, hi=1.0)
        self.nesterov = bool(nesterov)

    def _fields(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _keras_slot_groups(self):
        return [[0]] if np.float32(self.momentum) != 0 else []     # momentums

    def _own_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: stochastic gradient descent with adaptive estimates of the first and second moments.

    Keras's form: `m = beta_1 * m + (1 - beta_1) * g`, `v = beta_2 * v + (1 - beta_2) * g**2`, and
    `w = w - lr_t * m / (sqrt(v) + epsilon)` with `lr_t = learning_rate * sqrt(1 - beta_2**t) /
    (1 - beta_1**t)`: epsilon is added without bias correction ("epsilon hat").

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        beta_1: float in `[0, 1)`, the decay rate of the first-moment estimates. Default `0.9`.
        beta_2: float in `[0, 1)`, the decay rate of the second-moment estimates. Default `0.999`.
        epsilon: small float >= 0 for numerical stability (Keras's "epsilon hat"). Default `1e-7`.
        amsgrad: whether to use the AMSGrad variant (the running maximum of `v`). Default `False`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.

    Example:

    >>> model.compile(optimizer=cnn.optimizers.Adam(learning_rate=1e-3), loss="mae")
    """

    _kind = KIND_ADAM

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = _number("beta_1", beta_1, lo=0.0, hi=1.0, hi_open=True)
        self.beta_2 = _number("beta_2", beta_2, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _number("epsilon", epsilon, lo=0.0)
        self.amsgrad = bool(amsgrad)

    def _fields(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}

    def _keras_slot_groups(self):
        return [[0, 1]] + ([[2]] if self.amsgrad else [])   # (momentum, velocity), velocity_hat

    def _own_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay: every weight is multiplied by `1 - weight_decay * lr` before each update.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        weight_decay: float >= 0, the decay rate. Default `0.004`.
        beta_1: float in `[0, 1)`, the decay rate of the first-moment estimates. Default `0.9`.
        beta_2: float in `[0, 1)`, the decay rate of the second-moment estimates. Default `0.999`.
        epsilon: small float >= 0 for numerical stability (Keras's "epsilon hat"). Default `1e-7`.
        amsgrad: whether to use the AMSGrad variant. Default `False`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: "
                             "weight_decay=None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """RMSprop: divides the gradient by a moving average of its recent magnitude.

    `v = rho * v + (1 - rho) * g**2`, then `w = w - learning_rate * g / sqrt(v + epsilon)` (Keras 3
    puts epsilon inside the square root). With `centered=True` the mean gradient is subtracted.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        rho: float in `[0, 1)`, the discount factor of the average. Default `0.9`.
        momentum: float in `[0, 1]`; when > 0 the updates go through a momentum buffer. Default `0.0`.
        epsilon: small float >= 0 added to the average inside the square root. Default `1e-7`.
        centered: whether to normalise by the estimated variance of the gradient instead of its
            second moment. Default `False`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_RMSPROP

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = _number("rho", rho, lo=0.0, hi=1.0, hi_open=True)
        self.momentum = _number("momentum", momentum, lo=0.0, hi=1.0)
        self.epsilon = _number("epsilon", epsilon, lo=0.0)
        self.centered = bool(centered)

    def _fields(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}

    def _keras_slot_groups(self):
        groups = [[0]]                          # velocities
        if np.float32(self.momentum) > 0:
            groups.append([1])                  # momentums
        if self.centered:
            groups.append([len(groups)])        # average gradients
        return groups

    def _own_config(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adagrad(Optimizer):
    """Adagrad: per-weight learning rates scaled by the sum of all past squared gradients.

    `acc = acc + g**2`, then `w = w - learning_rate * g / sqrt(acc + epsilon)`.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        initial_accumulator_value: float >= 0, the starting value of `acc`. Default `0.1`.
        epsilon: small float >= 0 added inside the square root. Default `1e-7`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_ADAGRAD

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = _number("initial_accumulator_value",
                                                 initial_accumulator_value, lo=0.0)
        self.epsilon = _number("epsilon", epsilon, lo=0.0)

    def _fields(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}

    def _keras_slot_groups(self):
        return [[0]]                            # accumulators

    def _own_config(self):
        return {"initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adadelta: adapts the step size from moving windows of gradient and update magnitudes.

    Keras 3's default learning rate is `0.001`; the paper and Keras up to 2.2 used `1.0`.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        rho: float in `[0, 1)`, the decay rate of the moving averages. Default `0.95`.
        epsilon: small float >= 0 for numerical stability (Keras's "epsilon hat"). Default `1e-7`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_ADADELTA

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = _number("rho", rho, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _number("epsilon", epsilon, lo=0.0)

    def _fields(self):
        return {"rho": self.rho, "epsilon": self.epsilon}

    def _keras_slot_groups(self):
        return [[0, 1]]     # (accumulated_grad, accumulated_delta_var)

    def _own_config(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class _BetasEpsilon(Optimizer):
    """Shared arguments of Adamax and Nadam."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = _number("beta_1", beta_1, lo=0.0, hi=1.0, hi_open=True)
        self.beta_2 = _number("beta_2", beta_2, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _number("epsilon", epsilon, lo=0.0)

    def _fields(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

    def _keras_slot_groups(self):
        return [[0, 1]]     # Adamax (m, u), Nadam (momentum, velocity)

    def _own_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adamax(_BetasEpsilon):
    """Adamax: a variant of Adam based on the infinity norm of the gradients.

    `m = beta_1 * m + (1 - beta_1) * g`, `u = max(beta_2 * u, abs(g))`, then
    `w = w - learning_rate / (1 - beta_1**t) * m / (u + epsilon)`.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        beta_1: float in `[0, 1)`, the decay rate of the first-moment estimates. Default `0.9`.
        beta_2: float in `[0, 1)`, the decay rate of the weighted infinity norm. Default `0.999`.
        epsilon: small float >= 0 for numerical stability. Default `1e-7`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_ADAMAX


class Nadam(_BetasEpsilon):
    """Nadam: Adam with Nesterov momentum (and Keras's 0.96 momentum schedule).

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        beta_1: float in `[0, 1)`, the decay rate of the first-moment estimates. Default `0.9`.
        beta_2: float in `[0, 1)`, the decay rate of the second-moment estimates. Default `0.999`.
        epsilon: small float >= 0 for numerical stability. Default `1e-7`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_NADAM
    _keras_state_count = 1      # u_product, the running product of the momentum schedule


class Lion(Optimizer):
    """Lion: updates by the sign of an interpolation between the momentum and the gradient.

    `w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`. Its updates are larger than Adam's: use a smaller learning
    rate (3 to 10 times smaller is usual).

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        beta_1: float in `(0, 1]`, the interpolation factor of the update direction. Default `0.9`.
        beta_2: float in `[0, 1]`, the decay rate of the momentum. Default `0.99`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_LION

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = _number("beta_1", beta_1, lo=0.0, hi=1.0, lo_open=True)
        self.beta_2 = _number("beta_2", beta_2, lo=0.0, hi=1.0)

    def _fields(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}

    def _keras_slot_groups(self):
        return [[0]]        # momentums

    def _own_config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}


class Ftrl(Optimizer):
    """FTRL-proximal ("Follow The Regularized Leader"), as keras/src/optimizers/ftrl.py.

    Suited to shallow models with large, sparse feature spaces. The learning rate must be > 0.

    Args:
        learning_rate: a float >= 0, a `cnn.schedules.LearningRateSchedule` (stepped every batch), or
            a function of no arguments returning the rate. Default `0.001`.
        learning_rate_power: float <= 0, how the learning rate decreases during training; `0` keeps
            it fixed. Default `-0.5`.
        initial_accumulator_value: float >= 0, the starting value of the accumulators. Default `0.1`.
        l1_regularization_strength: float >= 0, the L1 term of the proximal step. Default `0.0`.
        l2_regularization_strength: float >= 0, the stabilisation L2 term. Default `0.0`.
        l2_shrinkage_regularization_strength: float >= 0, an L2 term on the weights (magnitude
            penalty), unlike the previous one. Default `0.0`.
        beta: float >= 0, Keras's `beta` (added to the accumulator's square root). Default `0.0`.
        **kwargs: the arguments every optimizer takes (see `Optimizer`): `weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `name`; tf.keras 2's `lr=` and `decay=` are honoured with a warning.
    """

    _kind = KIND_FTRL

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.learning_rate_power = _number("learning_rate_power", learning_rate_power, hi=0.0,
                                           lo=-math.inf)
        self.initial_accumulator_value = _number("initial_accumulator_value",
                                                 initial_accumulator_value, lo=0.0)
        self.l1_regularization_strength = _number("l1_regularization_strength",
                                                  l1_regularization_strength, lo=0.0)
        self.l2_regularization_strength = _number("l2_regularization_strength",
                                                  l2_regularization_strength, lo=0.0)
        self.l2_shrinkage_regularization_strength = _number(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, lo=0.0)
        self.beta = _number("beta", beta, lo=0.0)

    def _lr_at(self, iteration):
        lr = super()._lr_at(iteration)
        if lr <= 0:
            raise ValueError(f"Ftrl divides by the learning rate; it must be > 0, got {lr}")
        return lr

    def _fields(self):
        return {"learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1": self.l1_regularization_strength, "l2": self.l2_regularization_strength,
                "l2_shrinkage": self.l2_shrinkage_regularization_strength, "beta": self.beta}

    def _keras_slot_groups(self):
        return [[0, 1]]     # (accumulator, linear)

    def _own_config(self):
        return {"learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


_registry = Registry("optimizer", "keras.optimizers", case_insensitive=True)
_registry.register_classes((SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl))


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}`` of an optimizer."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer from ``serialize``'s dict (class names case-insensitive)."""
    name = config["class_name"]
    cls = _registry.require(str(name), custom_objects,
                            f"Unknown optimizer: {name!r}. Known: {', '.join(_registry.names())}")
    return cls.from_config(config.get("config", {}))


def get(identifier):
    """An optimizer from a name ('adam', 'SGD', ...), a config dict or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _registry.require(identifier, message=(
            f"Could not interpret optimizer identifier: {identifier!r}. "
            f"Known optimizers: {', '.join(_registry.names())}"))
        return cls()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
