"""Weight initializers (``keras.initializers``), drawing from the core's counter-based generator.

Random numbers come only from ``cnn._core.rng_uniform`` / ``rng_normal`` keyed by a 64-bit key:
- an initializer built with an int ``seed`` uses ``rng_key(seed, INIT, 0, 0)``, so every call
  returns the same values (as in Keras);
- otherwise the caller passes ``key=`` (layers derive it from the model seed and the layer), and
  without one a key is drawn from the global seed state (``cnn.utils.set_random_seed``).
Arrays returned are NumPy float32 (or the ``dtype`` asked for).
"""
import math
import numbers

import numpy as np

from cnn._registry import Registry

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "Identity", "RandomUniform", "RandomNormal",
           "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "compute_fans", "serialize",
           "deserialize", "get"]

_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated at +-2: Keras's correction


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, as Keras: 2-D (in, out); 1-D both = n; N-D kernels
    (..., in, out) times the receptive field prod(shape[:-2])."""
    shape = tuple(shape)
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive = 1
        for d in shape[:-2]:
            receptive *= d
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    return int(fan_in), int(fan_out)


def _shape(shape):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"An initializer needs a shape (a tuple of ints). Received: shape={shape!r}")
    if any(d < 0 for d in shape):
        raise ValueError(f"Negative dimension in shape={shape}")
    return shape


def _finish(values, shape, dtype):
    out = np.asarray(values, dtype=np.float32).reshape(shape)
    if dtype is not None and np.dtype(dtype) != np.float32:
        out = out.astype(np.dtype(dtype))
    return out


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns an array of that shape."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"Initializer {self.__class__.__name__} does not implement __call__().")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return self.__class__.from_config(self.get_config())


class Zeros(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape)
        return _finish(np.zeros(shape, np.float32), shape, dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape)
        return _finish(np.ones(shape, np.float32), shape, dtype)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape)
        return _finish(np.broadcast_to(np.asarray(self.value, np.float32), shape), shape, dtype)

    def get_config(self):
        v = self.value
        return {"value": v.tolist() if isinstance(v, np.ndarray) else v}


class Identity(Initializer):
    """gain * eye(rows, cols); 2-D shapes only."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return _finish(np.float32(self.gain) * np.eye(*shape, dtype=np.float32), shape, dtype)

    def get_config(self):
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: the seed / key rule of the module docstring."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"`seed` argument should be an integer or None. Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)

    def _key(self, key):
        from . import _core
        if self.seed is not None:
            return _core.rng_key(self.seed % (1 << 64), _core.enums["rng"]["init"], 0, 0)
        if key is not None:
            return int(key)
        from . import utils
        return utils._draw_key()

    @staticmethod
    def _uniform(n, key, lo, hi):
        if n == 0:
            return np.zeros(0, np.float32)
        from . import _core
        return _core.rng_uniform(n, key, float(lo), float(hi))

    @staticmethod
    def _normal(n, key, mean, stddev, truncated):
        if n == 0:
            return np.zeros(0, np.float32)
        from . import _core
        return _core.rng_normal(n, key, float(mean), float(stddev), int(bool(truncated)))

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(RandomInitializer):
    """U[minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _shape(shape)
        n = math.prod(shape)
        return _finish(self._uniform(n, self._key(key), self.minval, self.maxval), shape, dtype)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


class RandomNormal(RandomInitializer):
    """N(mean, stddev)."""

    _truncated = False

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _shape(shape)
        n = math.prod(shape)
        vals = self._normal(n, self._key(key), self.mean, self.stddev, self._truncated)
        return _finish(vals, shape, dtype)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """N(mean, stddev) with values beyond 2 stddev redrawn."""

    _truncated = True


class VarianceScaling(RandomInitializer):
    """Scale / n with n = fan_in, fan_out or their mean: truncated normal (std corrected by 0.8796),
    untruncated normal, or uniform with limit sqrt(3 * scale / n)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {modes}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        dists = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in dists:
            raise ValueError(f"Invalid `distribution` argument: {distribution}. Please use one of {dists}")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        super().__init__(seed=seed)

    def _stats(self, shape):
        """('uniform', limit) or ('truncated_normal' | 'untruncated_normal', stddev) for shape."""
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        s = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return self.distribution, math.sqrt(s) / _TRUNC_STD
        if self.distribution == "untruncated_normal":
            return self.distribution, math.sqrt(s)
        return self.distribution, math.sqrt(3.0 * s)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _shape(shape)
        n = math.prod(shape)
        dist, v = self._stats(shape)
        k = self._key(key)
        if dist == "uniform":
            vals = self._uniform(n, k, -v, v)
        else:
            vals = self._normal(n, k, 0.0, v, dist == "truncated_normal")
        return _finish(vals, shape, dtype)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution}


def _fixed_variance_scaling(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": doc, "__module__": __name__})


GlorotUniform = _fixed_variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform",
                                        "U(+-sqrt(6 / (fan_in + fan_out))): the Dense default.")
GlorotNormal = _fixed_variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                                       "Truncated N with std sqrt(2 / (fan_in + fan_out)).")
HeNormal = _fixed_variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal",
                                   "Truncated N with std sqrt(2 / fan_in).")
HeUniform = _fixed_variance_scaling("HeUniform", 2.0, "fan_in", "uniform",
                                    "U(+-sqrt(6 / fan_in)).")
LecunNormal = _fixed_variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal",
                                      "Truncated N with std sqrt(1 / fan_in).")
LecunUniform = _fixed_variance_scaling("LecunUniform", 1.0, "fan_in", "uniform",
                                       "U(+-sqrt(3 / fan_in)).")


class Orthogonal(RandomInitializer):
    """An orthogonal matrix (QR of a standard normal draw, signs fixed by diag(R)) times gain;
    shapes of rank > 2 are flattened to (prod(shape[:-1]), shape[-1])."""

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None, *, key=None):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = np.asarray(self._normal(flat[0] * flat[1], self._key(key), 0.0, 1.0, False),
                       dtype=np.float64).reshape(flat)
        q, r = np.linalg.qr(a)  # float64, rounded to float32 once at the end
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _finish(self.gain * q.reshape(shape), shape, dtype)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity

# Keras 3 exports every class under its snake_case name as well.
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_normal, he_uniform = GlorotUniform, GlorotNormal, HeNormal, HeUniform
lecun_normal, lecun_uniform = LecunNormal, LecunUniform

_registry = Registry("initializer", "keras.initializers")
_registry.register_classes((Initializer, Zeros, Ones, Constant, Identity, RandomUniform, RandomNormal,
                            TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeNormal,
                            HeUniform, LecunNormal, LecunUniform, Orthogonal), snake=True)
for _alias, _cls in (("uniform", RandomUniform), ("normal", RandomNormal), ("one", Ones), ("zero", Zeros),
                     ("OrthogonalInitializer", Orthogonal), ("orthogonal_initializer", Orthogonal),
                     ("IdentityInitializer", Identity), ("identity_initializer", Identity)):
    _registry.register(_cls, _alias)


def serialize(initializer):
    if initializer is None:
        return None
    return _registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    return _registry.deserialize(config, custom_objects)


def get(identifier):
    """An initializer from None, a name ("glorot_uniform", "GlorotUniform", "he_normal", "zeros",
    ...; case-sensitive like Keras), a config dict, a class or an instance (callables as they are)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _registry.require(identifier, message=(
            f"Could not interpret initializer identifier: {identifier!r}. "
            f"Known names: {_registry.names(lambda n: n[0].islower())}"))
        return cls()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
