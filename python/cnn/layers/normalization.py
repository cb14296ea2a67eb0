"""BatchNormalization (keras.layers.BatchNormalization) over the last axis."""
from cnn.layers.base import Layer, _c_record, _c_span
from cnn.layers.core import _add_penalties


class BatchNormalization(Layer):
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
        from cnn import constraints, initializers, regularizers
        self.axis = axis
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        if epsilon <= 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        # the C core regularizes gamma as the "kernel" and beta as the "bias"
        self.kernel_regularizer = regularizers.get(gamma_regularizer)
        self.bias_regularizer = regularizers.get(beta_regularizer)
        self.kernel_constraint = constraints.get(gamma_constraint)
        self.bias_constraint = constraints.get(beta_constraint)
        self.gamma = self.beta = None

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
    """Normalizes each sample over its last axis (keras.layers.LayerNormalization, axis=-1):
    ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with the mean and biased variance of the row."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if kwargs.pop("rms_scaling", False):
            raise ValueError("LayerNormalization(rms_scaling=True) is not supported (Keras deprecates it)")
        super().__init__(**kwargs)
        from cnn import constraints, initializers, regularizers
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(f"epsilon must be a number > 0, got {epsilon!r}")
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        # the C core regularizes and constrains gamma as the "kernel" and beta as the "bias"
        self.kernel_regularizer = regularizers.get(gamma_regularizer)
        self.bias_regularizer = regularizers.get(beta_regularizer)
        self.kernel_constraint = constraints.get(gamma_constraint)
        self.bias_constraint = constraints.get(beta_constraint)
        self.gamma = self.beta = None

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
