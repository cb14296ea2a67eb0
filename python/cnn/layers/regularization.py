"""Dropout (keras.layers.Dropout) and SpatialDropout2D: inverted dropout, active only while training."""
import math

import numpy as np

from cnn.layers.base import Layer, _c_record


class Dropout(Layer):
    """Randomly sets input units to 0 with frequency `rate` while training (inverted dropout).

    Kept units are scaled by `1 / (1 - rate)`, so the expected sum is unchanged. Only `fit` and
    `train_on_batch` drop units; `predict` and `evaluate` pass the input unchanged. The masks come
    from the core's counter-based generator: the same seed gives the same masks on any machine and
    any thread count.

    Args:
        rate: float in `[0, 1]`, the fraction of the input units to drop.
        noise_shape: tuple with one entry per input axis (batch first), the shape of the mask that is
            broadcast over the input: `None` entries take the input's size, `1` shares the mask along
            that axis (e.g. `(None, 1, features)` drops the same features at every timestep).
            Default `None`: one mask entry per input element.
        seed: non-negative integer, the layer's own random stream. Default `None`: the stream of
            `cnn.utils.set_random_seed`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(512, activation="relu"),
    ...                         layers.Dropout(0.3), layers.Dense(1)])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout rate must be a number in [0, 1], got {rate!r}")
        if noise_shape is not None:
            noise_shape = tuple(noise_shape)
            if any(d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1) for d in noise_shape):
                raise ValueError(f"noise_shape must hold positive integers or None, got {noise_shape}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed

    def _c_layer(self, offsets):
        from cnn.utils import _global_seed
        seed = self.seed if self.seed is not None else _global_seed()
        # the layer's own seed is mixed with a marker so it differs from the global stream
        seed = seed + (1 << 40) if self.seed is not None else seed
        d = _c_record(self, "dropout", rate=self.rate, seed=seed)
        if self.noise_shape is not None:
            d.update(self._noise_map())
        return d

    def _noise_map(self):
        """Keras's noise_shape: the mask entry of each element of a sample (1 = shared along that axis)."""
        shape = self.input_shape
        noise = self.noise_shape
        if len(noise) != len(shape):
            raise ValueError(f"noise_shape {noise} must have one entry per axis of the input {shape}")
        dims = [s if n is None else n for n, s in zip(noise[1:], shape[1:])]
        for n, s in zip(dims, shape[1:]):
            if n not in (1, s):
                raise ValueError(f"noise_shape {noise} does not broadcast to the input shape {shape}: "
                                 "each entry must be 1, None or the input's size")
        index = np.zeros(shape[1:], dtype=np.int64)
        stride = 1
        for axis in reversed(range(len(dims))):
            if dims[axis] != 1:
                shape_b = [1] * len(dims)
                shape_b[axis] = dims[axis]
                index = index + stride * np.arange(dims[axis]).reshape(shape_b)
                stride *= dims[axis]
        return {"noise_map": index.ravel().tolist(), "noise_size": stride,
                "noise_batch_shared": int(noise[0] == 1)}

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config



class _GaussianNoiseBase(Layer):
    """Gaussian noise while training only, drawn from the layer's counter-based stream."""
    _multiplicative = 0

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.seed = seed
        self._stddev = float(stddev)

    def _c_layer(self, offsets):
        from cnn.utils import _global_seed
        seed = self.seed + (1 << 40) if self.seed is not None else _global_seed()
        return _c_record(self, "noise", stddev=self._stddev, multiplicative=self._multiplicative, seed=seed)


class GaussianNoise(_GaussianNoiseBase):
    """Adds zero-centred Gaussian noise with standard deviation `stddev`, while training only.

    A regularization layer: `fit` and `train_on_batch` add the noise; `predict` and `evaluate` pass
    the input unchanged.

    Args:
        stddev: float >= 0, the standard deviation of the noise.
        seed: non-negative integer, the layer's own random stream. Default `None`: the stream of
            `cnn.utils.set_random_seed`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not 0 <= stddev < math.inf:
            raise ValueError(f"stddev must be a finite number >= 0, got {stddev!r}")
        super().__init__(stddev, seed, **kwargs)
        self.stddev = float(stddev)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_GaussianNoiseBase):
    """Multiplies the input by Gaussian noise of mean 1, while training only.

    The noise's standard deviation is `sqrt(rate / (1 - rate))`. `predict` and `evaluate` pass the
    input unchanged.

    Args:
        rate: float in `[0, 1)`, the drop probability of the equivalent `Dropout`.
        seed: non-negative integer, the layer's own random stream. Default `None`: the stream of
            `cnn.utils.set_random_seed`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """
    _multiplicative = 1

    def __init__(self, rate, seed=None, **kwargs):
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout rate must be a number in [0, 1), got {rate!r}")
        super().__init__(np.sqrt(rate / (1.0 - rate)), seed, **kwargs)
        self.rate = float(rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(Dropout):
    """Dropout that keeps SELU's self-normalisation, while training only.

    Dropped units take SELU's negative saturation value, then an affine map restores the input's
    mean and variance; use it after `Dense(..., activation="selu")`. `predict` and `evaluate` pass
    the input unchanged.

    Args:
        rate: float in `[0, 1]`, the fraction of the input units to drop.
        noise_shape: the shape of the broadcast mask, as in `Dropout`. Default `None`.
        seed: non-negative integer, the layer's own random stream. Default `None`: the stream of
            `cnn.utils.set_random_seed`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """

    def _c_layer(self, offsets):
        d = super()._c_layer(offsets)
        d["alpha_dropout"] = 1
        return d


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: each channel of each image is kept or zeroed as a whole.

    Args:
        rate: float in `[0, 1]`, the fraction of the channels to drop.
        seed: non-negative integer, the layer's own random stream. Default `None`: the stream of
            `cnn.utils.set_random_seed`.
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(8, 8, 16)), layers.SpatialDropout2D(0.2)])
    >>> model.output_shape
    (None, 8, 8, 16)
    """

    def __init__(self, rate, seed=None, data_format=None, **kwargs):
        from cnn.layers import _spatial
        super().__init__(rate, noise_shape=(None, 1, 1, None), seed=seed, **kwargs)   # one draw per channel
        self.data_format = _spatial.data_format_arg(data_format)

    def compute_output_shape(self, input_shape):
        from cnn.layers import _spatial
        _spatial.check_rank(self, input_shape, 4, "(batch, height, width, channels)")
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        config["data_format"] = self.data_format
        return config
