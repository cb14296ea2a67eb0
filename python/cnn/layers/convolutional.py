"""Conv1D and Conv2D (keras.layers.convolutional), channels_last, on the C core's "conv" kind."""
from cnn.layers import _spatial
from cnn.layers.base import Layer, _c_record, _c_span
from cnn.layers.core import _add_penalties, _kernel_config, _PythonActivation, _set_kernel_arguments


class _Conv(_PythonActivation, Layer):
    rank = 2
    _paddings = ("valid", "same")
    _axes = "(batch, height, width, channels)"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not hasattr(filters, "__index__") or int(filters) <= 0:
            raise ValueError(f"filters must be a positive integer, got {filters!r}")
        if isinstance(groups, bool) or not hasattr(groups, "__index__") or int(groups) <= 0:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        self.filters, self.groups = int(filters), int(groups)
        if self.filters % self.groups:
            raise ValueError(f"filters must be divisible by groups, got filters={filters}, groups={groups}")
        n = self.rank
        self.kernel_size = _spatial.tuple_arg(kernel_size, n, "kernel_size")
        self.strides = _spatial.tuple_arg(strides, n, "strides")
        self.dilation_rate = _spatial.tuple_arg(dilation_rate, n, "dilation_rate")
        self.padding = _spatial.padding_arg(padding, self._paddings)
        self.data_format = _spatial.data_format_arg(data_format)
        _set_kernel_arguments(self, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                              python_ok=True)

    def call(self, inputs, training=None):
        """The layer with cnn.ops (a custom activation function runs this way, as Dense's; see
        _PythonActivation): ops.conv, the bias, then the activation."""
        from cnn import ops
        y = ops.conv(inputs, self.kernel, self.strides, self.padding, dilation_rate=self.dilation_rate)
        return self.activation(y + self.bias if self.use_bias else y)

    def _in_channels(self, input_shape):
        _spatial.check_rank(self, input_shape, self.rank + 2, self._axes)
        c = int(input_shape[-1])
        if c % self.groups:
            raise ValueError(f"the input's channels ({c}) must be divisible by groups={self.groups}")
        return c

    def build(self, input_shape):
        c = self._in_channels(input_shape)
        self.compute_output_shape(input_shape)   # refuses windows larger than the input
        shape = self.kernel_size + (c // self.groups, self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def _windows(self, input_shape):
        return [_spatial.window(int(s), k, st, d, self.padding)
                for s, k, st, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate)]

    def compute_output_shape(self, input_shape):
        self._in_channels(input_shape)
        sizes = [o for o, _ in self._windows(input_shape)]
        if any(o <= 0 for o in sizes):
            raise ValueError(f"layer '{self.name}': the kernel {self.kernel_size} (dilation {self.dilation_rate}) "
                             f"is larger than the input {tuple(input_shape[1:-1])} with padding='valid'")
        return (input_shape[0],) + tuple(sizes) + (self.filters,)

    def _count_params_for(self, input_shape):
        k = 1
        for s in self.kernel_size:
            k *= s
        return k * (int(input_shape[-1]) // self.groups) * self.filters + (self.filters if self.use_bias else 0)

    def _c_layer(self, offsets):
        if self._act is None:
            return self._python_record(offsets)
        pads = [p for _, p in self._windows(self.input_shape)]
        if self.rank == 1:
            geom = dict(kw=self.kernel_size[0], sw=self.strides[0], dw=self.dilation_rate[0], pl=pads[0])
        else:
            geom = dict(kh=self.kernel_size[0], kw=self.kernel_size[1], sh=self.strides[0], sw=self.strides[1],
                        dh=self.dilation_rate[0], dw=self.dilation_rate[1], pt=pads[0], pl=pads[1])
        d = _c_record(self, "conv", act=self._act, groups=self.groups, **geom,
                      **_c_span(offsets, self.kernel, "w"), **_c_span(offsets, self.bias, "b"))
        _add_penalties(d, self)
        return d

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "groups": self.groups, **_kernel_config(self),
        })
        return config


_ARGS_DOC = """
    Args:
        filters: positive integer, the number of output channels.
        kernel_size: an integer or a tuple of {n} integers, the window's size.
        strides: an integer or a tuple of {n} integers, the window's step. Default 1.
        padding: {paddings}. Default `"valid"` (no padding); `"same"` pads with zeros so the output has
            `ceil(size / stride)` positions{causal}.
        data_format: `"channels_last"` or `None` (the default, meaning `"channels_last"`).
        dilation_rate: an integer or a tuple of {n} integers, the spacing of the window's taps. Default 1.
        groups: positive integer dividing the input channels and `filters`: each group of input channels
            is convolved with its own group of filters. Default 1.
        activation: activation function, a name or a function of `cnn.activations`. Default `None`.
        use_bias: whether the layer adds a bias vector. Default `True`.
        kernel_initializer: initializer for the kernel. Default `"glorot_uniform"`.
        bias_initializer: initializer for the bias. Default `"zeros"`.
        kernel_regularizer: regularizer (L1, L2, L1L2) on the kernel. Default `None`.
        bias_regularizer: regularizer on the bias. Default `None`.
        activity_regularizer: regularizer on the layer's output, divided by the batch size. Default `None`.
        kernel_constraint: constraint applied to the kernel after each update. Default `None`.
        bias_constraint: constraint applied to the bias after each update. Default `None`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32).
"""


class Conv2D(_Conv):
    __doc__ = """2D convolution over images `(batch, height, width, channels)`: `activation(conv(x, kernel) + bias)`.

    The kernel has Keras's shape `(kh, kw, in_channels / groups, filters)`, so weights and `.keras`
    files exchange with Keras unchanged.
""" + _ARGS_DOC.format(n=2, paddings='`"valid"` or `"same"`', causal="") + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, activation="relu")])
    >>> model.output_shape
    (None, 26, 26, 32)
    """
    rank = 2


class Conv1D(_Conv):
    __doc__ = """1D convolution over sequences `(batch, steps, channels)`: `activation(conv(x, kernel) + bias)`.

    The kernel has Keras's shape `(k, in_channels / groups, filters)`.
""" + _ARGS_DOC.format(n=1, paddings='`"valid"`, `"same"` or `"causal"`',
                       causal='; `"causal"` pads on the left only, so output `t` sees inputs up to `t`') + """
    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(50, 3)), layers.Conv1D(8, 5, padding="causal")])
    >>> model.output_shape
    (None, 50, 8)
    """
    rank = 1
    _paddings = ("valid", "same", "causal")
    _axes = "(batch, steps, channels)"
