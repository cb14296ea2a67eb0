"""HyperParameters: the search space and the values of one trial (keras_tuner.HyperParameters)."""
import contextlib
import math

import numpy as np


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise ValueError(f"a hyperparameter name must be a non-empty string, got {name!r}")


class HyperParameter:
    """One dimension of the space. `conditions` are (parent_name, parent_values) pairs that must all hold."""
    kind = "HyperParameter"

    def __init__(self, name, default=None, conditions=()):
        _check_name(name)
        self.name = name
        self.default = default
        self.conditions = list(conditions)

    def get_config(self):
        conds = [{"class_name": "Parent", "config": {"name": n, "values": list(v)}} for n, v in self.conditions]
        return {"name": self.name, "default": self.default, "conditions": conds}

    def is_active(self, values):
        return all(values.get(parent) in vals for parent, vals in self.conditions)


class Int(HyperParameter):
    kind = "Int"

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None, conditions=()):
        for arg, v in (("min_value", min_value), ("max_value", max_value)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"Int {name!r}: {arg} must be an integer, got {v!r}")
        if max_value < min_value:
            raise ValueError(f"Int {name!r}: max_value must be >= min_value, got {min_value!r} and {max_value!r}")
        _check_sampling(name, sampling, min_value)
        self.min_value, self.max_value, self.sampling = int(min_value), int(max_value), sampling
        self.step = int(step) if step is not None else (None if sampling != "linear" else 1)
        super().__init__(name, self.min_value if default is None else int(default), conditions)

    def get_config(self):
        return {**super().get_config(), "min_value": self.min_value, "max_value": self.max_value,
                "step": self.step, "sampling": self.sampling}

    def values(self):
        """Every value, in order (a grid); log sampling with a step multiplies by it."""
        if self.sampling == "log" and self.step:
            out, v = [], self.min_value
            while v <= self.max_value:
                out.append(v)
                v *= self.step
            return out
        return list(range(self.min_value, self.max_value + 1, self.step or 1))

    def sample(self, rng):
        if self.step:
            vals = self.values()
            return vals[int(rng.integers(len(vals)))]
        return int(round(_draw(rng, self.min_value, self.max_value, self.sampling)))


class Float(HyperParameter):
    kind = "Float"

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None, conditions=()):
        for arg, v in (("min_value", min_value), ("max_value", max_value)):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not math.isfinite(v):
                raise ValueError(f"Float {name!r}: {arg} must be a finite number, got {v!r}")
        if max_value < min_value:
            raise ValueError(f"Float {name!r}: max_value must be >= min_value, got {min_value!r} and {max_value!r}")
        _check_sampling(name, sampling, min_value)
        self.min_value, self.max_value, self.sampling = float(min_value), float(max_value), sampling
        self.step = None if step is None else float(step)
        super().__init__(name, self.min_value if default is None else float(default), conditions)

    def get_config(self):
        return {**super().get_config(), "min_value": self.min_value, "max_value": self.max_value,
                "step": self.step, "sampling": self.sampling}

    def values(self):
        if self.step is None:   # KerasTuner's grid for a continuous Float: ten points on its scale
            if self.sampling == "log":
                return [float(v) for v in np.geomspace(self.min_value, self.max_value, 10)]
            return [float(v) for v in np.linspace(self.min_value, self.max_value, 10)]
        if self.sampling == "log":
            out, v = [], self.min_value
            while v <= self.max_value * (1 + 1e-12):
                out.append(v)
                v *= self.step
            return out
        n = int(math.floor((self.max_value - self.min_value) / self.step + 1e-9))
        return [round(self.min_value + i * self.step, 12) for i in range(n + 1)]   # 0.3, not 0.30000000000000004

    def sample(self, rng):
        if self.step is not None:
            vals = self.values()
            return vals[int(rng.integers(len(vals)))]
        return float(_draw(rng, self.min_value, self.max_value, self.sampling))


class Choice(HyperParameter):
    kind = "Choice"

    def __init__(self, name, values, ordered=None, default=None, conditions=()):
        values = list(values) if isinstance(values, (list, tuple)) else values
        if not isinstance(values, list) or not values:
            raise ValueError(f"Choice {name!r}: values must be a non-empty list, got {values!r}")
        if len({type(v) for v in values}) > 1:
            raise TypeError(f"Choice {name!r}: values must all have one type, got {values!r}")
        if default is not None and default not in values:
            raise ValueError(f"Choice {name!r}: default {default!r} is not one of {values!r}")
        self._values = values
        self.ordered = ordered if ordered is not None else isinstance(values[0], (int, float)) \
            and not isinstance(values[0], bool)
        super().__init__(name, values[0] if default is None else default, conditions)

    def get_config(self):
        return {**super().get_config(), "values": list(self._values), "ordered": self.ordered}

    def values(self):
        return list(self._values)

    def sample(self, rng):
        return self._values[int(rng.integers(len(self._values)))]


class Boolean(HyperParameter):
    kind = "Boolean"

    def __init__(self, name, default=False, conditions=()):
        if not isinstance(default, bool):
            raise ValueError(f"Boolean {name!r}: default must be True or False, got {default!r}")
        super().__init__(name, default, conditions)

    def values(self):
        return [False, True]

    def sample(self, rng):
        return bool(rng.integers(2))


class Fixed(HyperParameter):
    kind = "Fixed"

    def __init__(self, name, value, conditions=()):
        super().__init__(name, value, conditions)
        self.value = value

    def get_config(self):
        return {**super().get_config(), "value": self.value}

    def values(self):
        return [self.value]

    def sample(self, rng):
        return self.value


def _check_sampling(name, sampling, min_value):
    if sampling not in ("linear", "log", "reverse_log"):
        raise ValueError(f"{name!r}: sampling must be 'linear', 'log' or 'reverse_log', got {sampling!r}")
    if sampling != "linear" and min_value <= 0:
        raise ValueError(f"{name!r}: {sampling} sampling needs min_value > 0, got {min_value!r}")


def _log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi))) if lo > 0 else rng.uniform(lo, hi)


def _draw(rng, lo, hi, sampling):
    if sampling == "log":
        return _log_uniform(rng, lo, hi)
    if sampling == "reverse_log":   # dense near max_value
        return lo + hi - _log_uniform(rng, lo, hi)
    return rng.uniform(lo, hi)


class HyperParameters:
    """The space (registered by build_model's calls) and the current values of a trial.

    Each call such as `hp.Int("units", 32, 512, step=32)` registers the dimension the first time and
    returns the trial's value (the default while the space is being discovered)."""

    def __init__(self):
        self.space = []
        self.values = {}
        self._scope = []

    # The conditions of the enclosing conditional_scope blocks.
    @contextlib.contextmanager
    def conditional_scope(self, parent_name, parent_values):
        """Hyperparameters registered inside are active only when `parent_name` takes one of `parent_values`."""
        if parent_name not in self._by_name():
            raise ValueError(f"conditional_scope: no hyperparameter named {parent_name!r} yet")
        vals = parent_values if isinstance(parent_values, (list, tuple)) else [parent_values]
        self._scope.append((parent_name, list(vals)))
        try:
            yield
        finally:
            self._scope.pop()

    def _by_name(self):
        return {h.name: h for h in self.space}

    def _register(self, hp):
        known = self._by_name().get(hp.name)
        if known is None:
            self.space.append(hp)
            known = hp
        if not known.is_active(self.values):
            return None   # KerasTuner returns None for an inactive hyperparameter
        if known.name not in self.values:
            self.values[known.name] = known.default
        return self.values[known.name]

    def Int(self, name, min_value, max_value, step=None, sampling="linear", default=None,
            parent_name=None, parent_values=None):
        return self._register(Int(name, min_value, max_value, step, sampling, default,
                                  self._conditions(parent_name, parent_values)))

    def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None,
              parent_name=None, parent_values=None):
        return self._register(Float(name, min_value, max_value, step, sampling, default,
                                    self._conditions(parent_name, parent_values)))

    def Choice(self, name, values, ordered=None, default=None, parent_name=None, parent_values=None):
        return self._register(Choice(name, values, ordered, default, self._conditions(parent_name, parent_values)))

    def Boolean(self, name, default=False, parent_name=None, parent_values=None):
        return self._register(Boolean(name, default, self._conditions(parent_name, parent_values)))

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        return self._register(Fixed(name, value, self._conditions(parent_name, parent_values)))

    def _conditions(self, parent_name, parent_values):
        conds = list(self._scope)
        if parent_name is not None:
            vals = parent_values if isinstance(parent_values, (list, tuple)) else [parent_values]
            conds.append((parent_name, list(vals)))
        return conds

    def get(self, name):
        if name in self.values:
            return self.values[name]
        raise KeyError(f"{name!r} has no value: it is not in the space or not active in this trial")

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        return name in self.values

    def is_active(self, hp):
        known = self._by_name().get(hp if isinstance(hp, str) else hp.name)
        return known is not None and known.is_active(self.values)

    def copy(self):
        new = HyperParameters()
        new.space = list(self.space)
        new.values = dict(self.values)
        return new

    def with_values(self, values):
        """A copy whose values are `values` (the inactive ones dropped)."""
        new = self.copy()
        new.values = {}
        for hp in self.space:
            if hp.is_active(new.values) and hp.name in values:
                new.values[hp.name] = values[hp.name]
        new.values.update({k: v for k, v in values.items() if k.startswith("tuner/")})
        return new

    def __repr__(self):
        return f"HyperParameters({self.values!r})"
