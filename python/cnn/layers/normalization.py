"""BatchNormalization (keras.layers.BatchNormalization) over the last axis."""
from cnn.layers.base import Layer, _c_record, _c_span
from cnn.layers.core import _add_penalties


def _set_scale_and_offset(layer, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                          gamma_regularizer, beta_constraint, gamma_constraint):
    """The beta/gamma arguments BatchNormalization and LayerNormalization share."""
    from cnn import constraints, initializers, regularizers
    layer.center, layer.scale = bool(center), bool(scale)
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    # the C core regularizes and constrains gamma as the "kernel" and beta as the "bias"
    layer.kernel_regularizer = regularizers.get(gamma_regularizer)
    layer.bias_regularizer = regularizers.get(beta_regularizer)
    layer.kernel_constraint = constraints.get(gamma_constraint)
    layer.bias_constraint = constraints.get(beta_constraint)
    layer.gamma = layer.beta = None


class BatchNormalization(Layer):
    """Normalizes its inputs over the batch: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    While training (in `fit` and `train_on_batch`, when the layer is trainable) `mean` and `var` are
    the batch's mean and biased variance for each feature of the last axis, and the moving statistics
    are updated as `moving = moving * momentum + batch * (1 - momentum)`. At inference (`predict`,
    `evaluate`), or when the layer is frozen (`trainable = False`), the moving statistics are used.

    Args:
        axis: the features axis; only the last axis (`-1`) is supported. Default `-1`.
        momentum: the share of the old moving statistics kept at each update, in `[0, 1]`.
            Default `0.99`.
        epsilon: small float > 0 added to the variance. Default `1e-3`.
        center: whether to add the learned offset `beta`. Default `True`.
        scale: whether to multiply by the learned scale `gamma`. Default `True`.
        beta_initializer: initializer for `beta`. Default `"zeros"`.
        gamma_initializer: initializer for `gamma`. Default `"ones"`.
        moving_mean_initializer: initializer for the moving mean. Default `"zeros"`.
        moving_variance_initializer: initializer for the moving variance. Default `"ones"`.
        beta_regularizer: regularizer on `beta`. Default `None`.
        gamma_regularizer: regularizer on `gamma`. Default `None`.
        beta_constraint: constraint applied to `beta` after each update. Default `None`.
        gamma_constraint: constraint applied to `gamma` after each update. Default `None`.
        synchronized: accepted for Keras compatibility (there is one device). Default `False`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). On the
            first layer of a `Sequential`, tf.keras 2's `input_shape=` / `input_dim=` also work.
            Keras's `renorm`, `fused`, `virtual_batch_size` and `adjustment` are not supported
            and raise `ValueError` when set.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(64), layers.BatchNormalization(),
    ...                         layers.Activation("relu"), layers.Dense(1)])
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, **kwargs):
        for unsupported in ("renorm", "fused", "virtual_batch_size", "adjustment"):
            if kwargs.pop(unsupported, None):
                raise ValueError(f"BatchNormalization({unsupported}=...) is not supported")
        kwargs.pop("renorm_clipping", None)
        kwargs.pop("renorm_momentum", None)
        super().__init__(**kwargs)
        from cnn import initializers
        self.axis = axis
        if not 0 <= momentum <= 1:  # also refuses NaN
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        if not 0 < epsilon < float("inf"):
            raise ValueError(f"epsilon must be a finite number > 0, got {epsilon}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        _set_scale_and_offset(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        if self.axis not in (-1, len(input_shape) - 1):
            raise ValueError(f"BatchNormalization supports the last axis only, got axis={self.axis} for "
                             f"inputs of shape {input_shape}")
        c = (input_shape[-1],)
        if self.scale:
            self.gamma = self.add_weight("gamma", c, self.gamma_initializer, regularizer=self.kernel_regularizer,
                                         constraint=self.kernel_constraint)
        if self.center:
            self.beta = self.add_weight("beta", c, self.beta_initializer, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.moving_mean = self.add_weight("moving_mean", c, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", c, self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    def _count_params_for(self, input_shape):
        return int(input_shape[-1]) * (2 + int(self.center) + int(self.scale))

    def _c_layer(self, offsets):
        d = _c_record(self, "batchnorm", momentum=self.momentum, epsilon=self.epsilon,
                      trainable=int(self.trainable), **_c_span(offsets, self.gamma, "w"),
                      **_c_span(offsets, self.beta, "b"), **_c_span(offsets, self.moving_mean, "mm"),
                      **_c_span(offsets, self.moving_variance, "mv"))
        _add_penalties(d, self)
        return d

    def get_config(self):
        from cnn import constraints, initializers, regularizers
        config = super().get_config()
        config.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale, "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.bias_regularizer),
            "gamma_regularizer": regularizers.serialize(self.kernel_regularizer),
            "beta_constraint": constraints.serialize(self.bias_constraint),
            "gamma_constraint": constraints.serialize(self.kernel_constraint),
            "synchronized": False,
        })
        return config


class LayerNormalization(Layer):
    """Normalizes each sample over its last axis: `(x - mean) / sqrt(var + epsilon) * gamma + beta`.

    Unlike `BatchNormalization`, the statistics are each sample's own (the mean and biased variance
    of its last axis), so training and inference compute the same thing and the batch size does not
    matter. Keras's `keras.layers.LayerNormalization` with its default `axis=-1`.

    Args:
        axis: the axis to normalize; only the last axis (`-1`, or `[-1]`) is supported. Default `-1`.
        epsilon: small float > 0 added to the variance. Default `1e-3`.
        center: whether to add the learned offset `beta`. Default `True`.
        scale: whether to multiply by the learned scale `gamma`. Default `True`.
        beta_initializer: initializer for `beta`. Default `"zeros"`.
        gamma_initializer: initializer for `gamma`. Default `"ones"`.
        beta_regularizer: regularizer on `beta`. Default `None`.
        gamma_regularizer: regularizer on `gamma`. Default `None`.
        beta_constraint: constraint applied to `beta` after each update. Default `None`.
        gamma_constraint: constraint applied to `gamma` after each update. Default `None`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (default `True`) and `dtype` (accepted; cnn computes in float32). Keras's
            `rms_scaling=True` is not supported and raises `ValueError`.

    Example:

    >>> model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(64), layers.LayerNormalization(),
    ...                         layers.Activation("relu"), layers.Dense(1)])
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if kwargs.pop("rms_scaling", False):
            raise ValueError("LayerNormalization(rms_scaling=True) is not supported (Keras deprecates it)")
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < epsilon < float("inf"):
            raise ValueError(f"epsilon must be a finite number > 0, got {epsilon!r}")
        self.axis = axis
        self.epsilon = float(epsilon)
        _set_scale_and_offset(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                              gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        last = len(input_shape) - 1
        if len(input_shape) < 2 or [a + len(input_shape) if a < 0 else a for a in axes] != [last]:
            raise ValueError(f"LayerNormalization supports the last axis only (axis=-1), got axis={self.axis} "
                             f"for inputs of shape {input_shape}")
        self.axis = [-1] if axes == [-1] else [last]   # Keras keeps the axis as a list once built
        c = (input_shape[-1],)
        if self.scale:
            self.gamma = self.add_weight("gamma", c, self.gamma_initializer, regularizer=self.kernel_regularizer,
                                         constraint=self.kernel_constraint)
        if self.center:
            self.beta = self.add_weight("beta", c, self.beta_initializer, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def _c_layer(self, offsets):
        d = _c_record(self, "layernorm", epsilon=self.epsilon, **_c_span(offsets, self.gamma, "w"),
                      **_c_span(offsets, self.beta, "b"))
        _add_penalties(d, self)
        return d

    def get_config(self):
        from cnn import constraints, initializers, regularizers
        config = super().get_config()
        config.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "rms_scaling": False, "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.bias_regularizer),
            "gamma_regularizer": regularizers.serialize(self.kernel_regularizer),
            "beta_constraint": constraints.serialize(self.bias_constraint),
            "gamma_constraint": constraints.serialize(self.kernel_constraint),
        })
        return config
