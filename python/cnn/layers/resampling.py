"""ZeroPadding, Cropping and UpSampling (1D and 2D, channels_last) on the C core's "resample" kind."""
from cnn.layers import _spatial
from cnn.layers.base import Layer, _c_record

_BASE_ARGS = """        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32)."""


def _pairs(value, rank, name):
    """Keras's forms: an int (every side), `rank` ints (both sides of each axis), or `rank` pairs."""
    bad = ValueError(f"{name} must be an integer, a tuple of {rank} integers or a tuple of {rank} pairs of "
                     f"non-negative integers, got {value!r}")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        value = (value,) * rank
    try:
        value = tuple(value)
    except TypeError:
        raise bad from None
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        value = (value,)   # ZeroPadding1D((left, right))
    if len(value) != rank:
        raise bad
    out = []
    for v in value:
        pair = (v, v) if isinstance(v, int) and not isinstance(v, bool) else tuple(v) if hasattr(v, "__len__") else ()
        if len(pair) != 2 or any(isinstance(p, bool) or not isinstance(p, int) or p < 0 for p in pair):
            raise bad
        out.append(pair)
    return tuple(out)


class _Resample(Layer):
    rank = 2
    _axes = "(batch, height, width, channels)"

    def _check(self, input_shape):
        _spatial.check_rank(self, input_shape, self.rank + 2, self._axes)

    def _geometry(self):
        """(before, factor) per spatial axis."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        sizes = []
        for s, (before, after, f) in zip(input_shape[1:-1], self._geometry()):
            size = int(s) * f + before + after
            if size <= 0:
                raise ValueError(f"layer '{self.name}': cropping {self.cropping} leaves nothing of the input "
                                 f"{tuple(input_shape[1:-1])}")
            sizes.append(size)
        return (input_shape[0],) + tuple(sizes) + (input_shape[-1],)

    def _c_layer(self, offsets):
        geom = self._geometry()
        d = {"left": geom[-1][0], "fw": geom[-1][2]}
        if self.rank == 2:
            d.update(top=geom[0][0], fh=geom[0][2])
        return _c_record(self, "resample", **d)


class ZeroPadding2D(_Resample):
    __doc__ = """Adds rows and columns of zeros around images `(batch, height, width, channels)`.

    Args:
        padding: an int (the same on every side), a tuple of 2 ints `(rows, cols)` (both sides), or
            `((top, bottom), (left, right))`. Default 1.
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
""" + _BASE_ARGS + """

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(28, 28, 1)), layers.ZeroPadding2D(2)])
    >>> model.output_shape
    (None, 32, 32, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding")
        self.data_format = _spatial.data_format_arg(data_format)

    def _geometry(self):
        return [(a, b, 1) for a, b in self.padding]

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class ZeroPadding1D(ZeroPadding2D):
    __doc__ = """Adds zeros at the start and end of sequences `(batch, steps, channels)`.

    Args:
        padding: an int (both ends) or `(left, right)`. Default 1.
""" + _BASE_ARGS + """

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 3)), layers.ZeroPadding1D((2, 1))])
    >>> model.output_shape
    (None, 13, 3)
    """
    rank = 1
    _axes = "(batch, steps, channels)"

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding, **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config.update({"padding": self.padding[0], "data_format": self.data_format})
        return config


class Cropping2D(_Resample):
    __doc__ = """Removes rows and columns at the edges of images `(batch, height, width, channels)`.

    Args:
        cropping: an int (the same on every side), a tuple of 2 ints `(rows, cols)` (both sides), or
            `((top, bottom), (left, right))`. Default `((0, 0), (0, 0))`.
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
""" + _BASE_ARGS + """

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(28, 28, 1)), layers.Cropping2D(((2, 2), (4, 4)))])
    >>> model.output_shape
    (None, 24, 20, 1)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")
        self.data_format = _spatial.data_format_arg(data_format)

    def _geometry(self):
        return [(-a, -b, 1) for a, b in self.cropping]

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class Cropping1D(Cropping2D):
    __doc__ = """Removes steps at the start and end of sequences `(batch, steps, channels)`.

    Args:
        cropping: an int (both ends) or `(start, end)`. Default `(1, 1)`.
""" + _BASE_ARGS + """

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 3)), layers.Cropping1D((2, 1))])
    >>> model.output_shape
    (None, 7, 3)
    """
    rank = 1
    _axes = "(batch, steps, channels)"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config["cropping"] = self.cropping[0]
        return config


class UpSampling2D(_Resample):
    __doc__ = """Repeats the rows and columns of images `(batch, height, width, channels)` (nearest neighbour).

    Args:
        size: an int or a tuple of 2 ints, the row and column factors. Default `(2, 2)`.
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
        interpolation: `"nearest"` (the only one supported).
""" + _BASE_ARGS + """

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(7, 7, 8)), layers.UpSampling2D()])
    >>> model.output_shape
    (None, 14, 14, 8)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = _spatial.tuple_arg(size, self.rank, "size")
        self.data_format = _spatial.data_format_arg(data_format)
        if interpolation != "nearest":
            raise ValueError(f"interpolation must be 'nearest' (the only one supported), got {interpolation!r}")
        self.interpolation = interpolation

    def _geometry(self):
        return [(0, 0, f) for f in self.size]

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return config


class UpSampling1D(UpSampling2D):
    __doc__ = """Repeats each step of sequences `(batch, steps, channels)` `size` times.

    Args:
        size: an int, the factor. Default 2.
""" + _BASE_ARGS + """

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 3)), layers.UpSampling1D(3)])
    >>> model.output_shape
    (None, 30, 3)
    """
    rank = 1
    _axes = "(batch, steps, channels)"

    def __init__(self, size=2, **kwargs):
        super().__init__(size, **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config["size"] = self.size[0]
        return config
