"""Max and average pooling, 1D and 2D, and their global forms (channels_last), on the C "pool" kind."""
from cnn.layers import _spatial
from cnn.layers.base import Layer, _c_record


class _Pooling(Layer):
    rank = 2
    mode = "max"
    _axes = "(batch, height, width, channels)"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        n = self.rank
        self.pool_size = _spatial.tuple_arg(pool_size, n, "pool_size")
        self.strides = self.pool_size if strides is None else _spatial.tuple_arg(strides, n, "strides")
        self.padding = _spatial.padding_arg(padding)
        self.data_format = _spatial.data_format_arg(data_format)

    def _windows(self, input_shape):
        _spatial.check_rank(self, input_shape, self.rank + 2, self._axes)
        return [_spatial.window(int(s), k, st, 1, self.padding)
                for s, k, st in zip(input_shape[1:-1], self.pool_size, self.strides)]

    def compute_output_shape(self, input_shape):
        sizes = [o for o, _ in self._windows(input_shape)]
        if any(o <= 0 for o in sizes):
            raise ValueError(f"layer '{self.name}': pool_size {self.pool_size} is larger than the input "
                             f"{tuple(input_shape[1:-1])} with padding='valid'")
        return (input_shape[0],) + tuple(sizes) + (input_shape[-1],)

    def _c_layer(self, offsets):
        pads = [p for _, p in self._windows(self.input_shape)]
        if self.rank == 1:
            geom = dict(kw=self.pool_size[0], sw=self.strides[0], pl=pads[0])
        else:
            geom = dict(kh=self.pool_size[0], kw=self.pool_size[1], sh=self.strides[0], sw=self.strides[1],
                        pt=pads[0], pl=pads[1])
        return _c_record(self, "pool", mode=self.mode, **geom)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                       "data_format": self.data_format})
        return config


_POOL_ARGS = """
    Args:
        pool_size: an integer or a tuple of {n} integers, the window's size. Default 2.
        strides: an integer or a tuple of {n} integers, the window's step. Default `None`: `pool_size`.
        padding: `"valid"` (default: windows inside the input) or `"same"` (windows past the edges,
            which {edge}).
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32).
"""
_MAX_EDGE = "ignore the taps outside the input"
_AVG_EDGE = "average over the taps inside the input only"


class MaxPooling2D(_Pooling):
    __doc__ = "The maximum of each window of each channel of `(batch, height, width, channels)` images.\n" + \
        _POOL_ARGS.format(n=2, edge=_MAX_EDGE) + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(26, 26, 32)), layers.MaxPooling2D()])
    >>> model.output_shape
    (None, 13, 13, 32)
    """


class AveragePooling2D(_Pooling):
    __doc__ = "The mean of each window of each channel of `(batch, height, width, channels)` images.\n" + \
        _POOL_ARGS.format(n=2, edge=_AVG_EDGE) + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(6, 6, 3)), layers.AveragePooling2D(3)])
    >>> model.output_shape
    (None, 2, 2, 3)
    """
    mode = "avg"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling1D(_Pooling):
    __doc__ = "The maximum of each window of each channel of `(batch, steps, channels)` sequences.\n" + \
        _POOL_ARGS.format(n=1, edge=_MAX_EDGE) + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 4)), layers.MaxPooling1D()])
    >>> model.output_shape
    (None, 5, 4)
    """
    rank = 1
    _axes = "(batch, steps, channels)"


class AveragePooling1D(_Pooling):
    __doc__ = "The mean of each window of each channel of `(batch, steps, channels)` sequences.\n" + \
        _POOL_ARGS.format(n=1, edge=_AVG_EDGE) + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 4)), layers.AveragePooling1D(2)])
    >>> model.output_shape
    (None, 5, 4)
    """
    rank = 1
    mode = "avg"
    _axes = "(batch, steps, channels)"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    rank = 2
    mode = "max"
    _axes = "(batch, height, width, channels)"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _spatial.data_format_arg(data_format)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        _spatial.check_rank(self, input_shape, self.rank + 2, self._axes)
        keep = (1,) * self.rank if self.keepdims else ()
        return (input_shape[0],) + keep + (input_shape[-1],)

    def _c_layer(self, offsets):
        sizes = [int(s) for s in self.input_shape[1:-1]]
        geom = dict(kw=sizes[-1], sw=sizes[-1])
        if self.rank == 2:
            geom.update(kh=sizes[0], sh=sizes[0])
        return _c_record(self, "pool", mode=self.mode, **geom)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


_GLOBAL_ARGS = """
    Args:
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
        keepdims: keep the pooled axes with size 1. Default `False`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32).
"""


class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = "The maximum of each channel over the whole image: `(batch, h, w, c)` -> `(batch, c)`.\n" + \
        _GLOBAL_ARGS + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(7, 7, 16)), layers.GlobalMaxPooling2D()])
    >>> model.output_shape
    (None, 16)
    """


class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = "The mean of each channel over the whole image: `(batch, h, w, c)` -> `(batch, c)`.\n" + \
        _GLOBAL_ARGS + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(7, 7, 16)), layers.GlobalAveragePooling2D()])
    >>> model.output_shape
    (None, 16)
    """
    mode = "avg"


class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = "The maximum of each channel over the steps: `(batch, steps, c)` -> `(batch, c)`.\n" + \
        _GLOBAL_ARGS + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 4)), layers.GlobalMaxPooling1D()])
    >>> model.output_shape
    (None, 4)
    """
    rank = 1
    _axes = "(batch, steps, channels)"


class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = "The mean of each channel over the steps: `(batch, steps, c)` -> `(batch, c)`.\n" + \
        _GLOBAL_ARGS + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(10, 4)), layers.GlobalAveragePooling1D()])
    >>> model.output_shape
    (None, 4)
    """
    rank = 1
    mode = "avg"
    _axes = "(batch, steps, channels)"
