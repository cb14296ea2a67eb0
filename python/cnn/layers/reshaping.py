"""Flatten and Reshape (row-major no-ops for the C core, shape changes for Python) and Rescaling."""
import numpy as np

from cnn.layers.base import Layer, _c_record


class _Reshaping(Layer):
    def _c_layer(self, offsets):
        return _c_record(self, "reshape")


class Flatten(_Reshaping):
    """Flattens each sample: `(batch, d0, d1, ...)` becomes `(batch, d0 * d1 * ...)`.

    A `(batch,)` input becomes `(batch, 1)`. The batch axis is untouched.

    Args:
        data_format: `"channels_last"` or `None` (the default, which means `"channels_last"`);
            the order of the values is kept as they are in memory.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(28, 28)), layers.Flatten()])
    >>> model.output_shape
    (None, 784)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format

    def compute_output_shape(self, input_shape):
        return (input_shape[0], int(np.prod(input_shape[1:])) if len(input_shape) > 1 else 1)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format or "channels_last"
        return config


class Reshape(_Reshaping):
    """Reshapes each sample to `target_shape` (the batch axis is untouched).

    Args:
        target_shape: tuple of integers, the new shape of one sample without the batch axis; one entry
            may be `-1`, inferred from the number of values.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(12,)), layers.Reshape((3, -1))])
    >>> model.output_shape
    (None, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(d == 0 or d < -1 for d in self.target_shape):
            raise ValueError(f"target_shape must hold positive sizes and at most one -1, got {target_shape}")

    def compute_output_shape(self, input_shape):
        size = int(np.prod(input_shape[1:]))
        shape = list(self.target_shape)
        if -1 in shape:
            known = int(np.prod([d for d in shape if d != -1]))
            if size % known:
                raise ValueError(f"cannot reshape {input_shape[1:]} into {self.target_shape}")
            shape[shape.index(-1)] = size // known
        if int(np.prod(shape)) != size:
            raise ValueError(f"cannot reshape inputs of shape {input_shape[1:]} ({size} values) into "
                             f"{self.target_shape}")
        return (input_shape[0],) + tuple(shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`: `Rescaling(1 / 255)` maps `uint8` pixels to [0, 1].

    Args:
        scale: a number, the factor.
        offset: a number added after the scaling. Default 0.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(28, 28, 1)), layers.Rescaling(1 / 255)])
    >>> model.output_shape
    (None, 28, 28, 1)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("scale", scale), ("offset", offset)):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(v):
                raise TypeError(f"{name} must be a finite number (per-channel arrays are not supported), "
                                f"got {v!r}")
        self.scale, self.offset = float(scale), float(offset)

    def _c_layer(self, offsets):
        return _c_record(self, "scale", scale=self.scale, offset=self.offset)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config
