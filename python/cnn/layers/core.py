"""Input, InputLayer, Dense, Activation and the activation layers (keras.layers.core)."""

from cnn import activations
from cnn.layers.base import Layer, _c_record, _c_span, _shape_tuple


class InputLayer(Layer):
    """The model's input: the shape of one sample, without the batch axis.

    A `Sequential` model starts with one (usually made by `cnn.Input`); it holds no weights and is
    not listed in `model.layers`.

    Args:
        shape: tuple of positive integers, the shape of one sample (e.g. `(11,)`).
        batch_size: accepted for Keras compatibility; the batch size is chosen by `fit`.
        dtype: accepted for Keras compatibility; inputs are converted to float32.
        name: the layer's name (default: `"input_layer"`, numbered).
        input_shape: tf.keras 2 spelling of `shape`.
        batch_shape: the shape with the batch axis first (e.g. `(None, 11)`), instead of `shape`.
        batch_input_shape: tf.keras 2 spelling of `batch_shape`.
        **kwargs: base layer arguments (`trainable`); Keras's `sparse=True` and `ragged=True` raise
            `ValueError` (inputs are dense arrays).
    """

    _keras_only_config = {"optional": False, "ragged": False, "sparse": False}

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None,
                 batch_shape=None, batch_input_shape=None, **kwargs):
        for legacy in ("sparse", "ragged"):
            if kwargs.pop(legacy, None):
                raise ValueError(f"{legacy} inputs are not supported")
        if shape is None and input_shape is not None:
            shape = input_shape
        batch_shape = batch_shape or batch_input_shape
        if shape is None and batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        if shape is None:
            raise ValueError("InputLayer needs a shape, e.g. Input(shape=(11,))")
        super().__init__(name=name, **kwargs)
        self.shape = (None,) + _shape_tuple(shape, "shape")
        self.built = True
        self.input_shape = self.output_shape = self.shape

    def get_config(self):
        return {"batch_shape": list(self.shape), "dtype": "float32", "sparse": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None,
          optional=False, ragged=None):
    """The input of a model, as `keras.Input`: a symbolic tensor to call layers on (the functional API),
    or the first element of a `Sequential`.

    Args:
        shape: tuple of positive integers, the shape of one sample without the batch axis
            (e.g. `(11,)` for 11 features).
        batch_size: accepted for Keras compatibility; the batch size is chosen by `fit`.
        dtype: the tensor's dtype (default "float32"); inputs are converted to float32.
        sparse: accepted for Keras compatibility and ignored: inputs are dense arrays.
        batch_shape: the shape with the batch axis first (e.g. `(None, 11)`), instead of `shape`.
        name: the input layer's name (default: `"input_layer"`, numbered).
        tensor: accepted for Keras compatibility and ignored.
        optional: accepted for Keras compatibility and ignored.
        ragged: accepted for Keras compatibility and ignored: inputs are dense arrays.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(1)])
    >>> model.input_shape
    (None, 11)
    >>> inputs = cnn.Input(shape=(11,))
    >>> cnn.Model(inputs, layers.Dense(1)(inputs)).output_shape
    (None, 1)
    """
    from cnn import _symbolic
    layer = InputLayer(shape=shape, batch_shape=batch_shape, name=name)
    return _symbolic.input_tensor(layer, _dtype_name(dtype))


def _dtype_name(dtype):
    """Keras's dtype string for Input(dtype=...) ("float32" by default; cnn computes in float32)."""
    if dtype is None:
        return "float32"
    import numpy as np
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype or its name, got {dtype!r}") from None


def _act_desc(fn, overrides=None, python_ok=False):
    """The activation's C record; None for a custom function when the layer can run it in Python
    (python_ok: then the layer runs as the core's "python" kind, differentiated by cnn.ops)."""
    try:
        return activations.c_record(fn, **(overrides or {}))
    except ValueError:
        if python_ok and callable(fn) and not isinstance(fn, str) and not overrides:
            return None
        raise


class _PythonActivation:
    """Dense and Activation with a custom activation function (the perceptron's step written with
    ops.where): `call` with cnn.ops, run by the training step through the host (cnn/_hooks.py)."""

    def _runs_in_python(self):
        return self._act is None

    def _python_record(self, offsets):
        if getattr(self, "activity_regularizer", None) is not None:   # weight penalties go through the host
            raise ValueError(f"layer '{self.name}': an activity_regularizer is not applied with a custom "
                             "activation function")
        from cnn import _hooks
        return _hooks.layer_record(self, offsets)


def _set_kernel_arguments(layer, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                          python_ok=False):
    """The arguments Dense and the convolutions share: activation, bias, initializers, penalties, constraints."""
    from cnn import constraints, initializers, regularizers
    layer.activation = activations.get(activation)
    layer._act = _act_desc(layer.activation, python_ok=python_ok)
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.activity_regularizer = regularizers.get(activity_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)
    layer.kernel = layer.bias = None


def _kernel_config(layer):
    """The config entries of the arguments _set_kernel_arguments sets, in Keras's order."""
    from cnn import constraints, initializers, regularizers
    return {
        "activation": activations.serialize(layer.activation), "use_bias": layer.use_bias,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
        "kernel_constraint": constraints.serialize(layer.kernel_constraint),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }


class Dense(_PythonActivation, Layer):
    """Just your regular densely-connected layer: `output = activation(dot(input, kernel) + bias)`.

    The product is over the last axis of the input, so an input `(batch, d0, d1)` gives
    `(batch, d0, units)`. The kernel has shape `(input_dim, units)` and the bias `(units,)`.

    Args:
        units: positive integer, the size of the output's last axis.
        activation: activation function, a name (`"relu"`, `"softmax"`, ...) or a function of
            `cnn.activations`. Default `None`: no activation (`a(x) = x`).
        use_bias: whether the layer adds a bias vector. Default `True`.
        kernel_initializer: initializer for the kernel. Default `"glorot_uniform"`.
        bias_initializer: initializer for the bias. Default `"zeros"`.
        kernel_regularizer: regularizer (L1, L2, L1L2) on the kernel. Default `None`.
        bias_regularizer: regularizer on the bias. Default `None`.
        activity_regularizer: regularizer on the layer's output, divided by the batch size.
            Default `None`.
        kernel_constraint: constraint (MaxNorm, NonNeg, UnitNorm, MinMaxNorm) applied to the kernel
            after each update. Default `None`.
        bias_constraint: constraint applied to the bias after each update. Default `None`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(16,)), layers.Dense(32, activation="relu")])
    >>> model.output_shape
    (None, 32)
    """

    _keras_only_config = {"quantization_config": None, "lora_rank": None, "lora_alpha": None}

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) and not hasattr(units, "__index__"):
            raise TypeError(f"units must be a positive integer, got {units!r}")
        if int(units) <= 0:
            raise ValueError(f"units must be a positive integer, got {units}")
        self.units = int(units)
        _set_kernel_arguments(self, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                              bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                              python_ok=True)

    def call(self, inputs, training=None):
        """The layer with cnn.ops (a custom activation function runs this way; see _PythonActivation)."""
        from cnn import ops
        y = ops.matmul(inputs, self.kernel)
        return self.activation(y + self.bias if self.use_bias else y)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"Dense needs inputs with at least 2 axes (batch, features), got {input_shape}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def _count_params_for(self, input_shape):
        return int(input_shape[-1]) * self.units + (self.units if self.use_bias else 0)

    def _c_layer(self, offsets):
        if self._act is None:
            return self._python_record(offsets)
        d = _c_record(self, "dense", act=self._act, **_c_span(offsets, self.kernel, "w"),
                      **_c_span(offsets, self.bias, "b"))
        _add_penalties(d, self)
        return d

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, **_kernel_config(self)})
        return config


_PART = {"kernel": "kernel", "gamma": "kernel", "bias": "bias", "beta": "bias"}


def _add_penalties(d, layer):
    """Regularizer strengths and constraint records of a layer's weights, into its C description."""
    regs = dict(layer._regularizers)
    if getattr(layer, "activity_regularizer", None) is not None:
        regs["activity"] = layer.activity_regularizer
    for name, reg in regs.items():
        record = reg.c_record()   # {"l1", "l2"}
        if record is None:
            raise ValueError(f"layer '{layer.name}': the regularizer {reg!r} on {name} runs in Python only; "
                             "the C training step supports L1, L2 and L1L2")
        part = _PART.get(name, name)
        d[f"{part}_l1"], d[f"{part}_l2"] = float(record["l1"]), float(record["l2"])
    shapes = {v.name.rsplit("/", 1)[-1]: v.shape for v in layer._variables}
    for name, con in layer._constraints.items():
        record = con.c_record(shapes[name])
        if record is None:
            raise ValueError(f"layer '{layer.name}': the constraint {con!r} on {name} runs in Python only; "
                             "the C training step supports MaxNorm, NonNeg, UnitNorm and MinMaxNorm")
        d[f"{_PART[name]}_constraint"] = record


class Activation(_PythonActivation, Layer):
    """Applies an activation function to its input.

    Args:
        activation: a name (`"relu"`, `"sigmoid"`, `"softmax"`, ...) or a function of
            `cnn.activations`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Activation("relu")])
    >>> model.predict(np.array([[-3.0, -1.0, 0.0, 2.0]]), verbose=0).tolist()
    [[0.0, 0.0, 0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._act = _act_desc(self.activation, python_ok=True)

    def call(self, inputs, training=None):
        return self.activation(inputs)

    def _c_layer(self, offsets):
        if self._act is None:
            return self._python_record(offsets)
        return _c_record(self, "activation", act=self._act)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class _ParametricActivation(Activation):
    """Activation layers with arguments (ReLU, LeakyReLU, ELU, Softmax)."""

    def __init__(self, name_of_fn, overrides, config, **kwargs):
        super().__init__(name_of_fn, **kwargs)
        self._act = _act_desc(name_of_fn, overrides)
        self._config = config

    def get_config(self):
        config = Layer.get_config(self)
        config.update(self._config)
        return config


class ReLU(_ParametricActivation):
    """Rectified linear unit activation layer.

    `f(x) = max_value` if `x >= max_value`, `x` if `threshold <= x < max_value`, and
    `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: float >= 0, the largest output. Default `None`: unbounded.
        negative_slope: float >= 0, the slope below the threshold. Default `0.0`.
        threshold: float, the value below which units are leaky or zero. Default `0.0`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        if max_value is not None and not max_value >= 0:  # also refuses NaN
            raise ValueError(f"max_value must be >= 0 (or None), got {max_value}")
        super().__init__("relu", {"negative_slope": negative_slope, "threshold": threshold,
                                  "max_value": max_value},
                         {"max_value": max_value, "negative_slope": negative_slope, "threshold": threshold},
                         **kwargs)


class LeakyReLU(_ParametricActivation):
    """Leaky version of a rectified linear unit: `f(x) = negative_slope * x` if `x < 0`, else `x`.

    Args:
        negative_slope: float >= 0, the slope below zero. Default `0.3` (the function
            `cnn.activations.leaky_relu` defaults to 0.2, as in Keras). tf.keras 2's `alpha=` is
            accepted as a synonym.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # the tf.keras 2 spelling
            negative_slope = kwargs.pop("alpha")
        super().__init__("leaky_relu", {"negative_slope": negative_slope},
                         {"negative_slope": negative_slope}, **kwargs)


class ELU(_ParametricActivation):
    """Exponential linear unit: `f(x) = alpha * (exp(x) - 1)` if `x < 0`, else `x`.

    Args:
        alpha: float, the scale of the negative part. Default `1.0`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__("elu", {"alpha": alpha}, {"alpha": alpha}, **kwargs)


class Softmax(_ParametricActivation):
    """Softmax activation layer: `exp(x) / sum(exp(x))` over the last axis.

    Args:
        axis: the axis of the normalisation; only `-1` (the last axis) is supported. Default `-1`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
    """

    def __init__(self, axis=-1, **kwargs):
        if axis != -1:
            raise ValueError(f"Softmax supports axis=-1 only, got axis={axis}")
        super().__init__("softmax", {}, {"axis": axis}, **kwargs)


