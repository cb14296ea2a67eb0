"""Layer: what every layer shares (names, weights, the legacy input_shape argument)."""
import warnings

import numpy as np

from cnn._naming import to_snake_case
from cnn._watched import Watched
from cnn.variables import Variable, assign_all

_name_counts = {}
_renames = [0]      # counts renames of layers, so models know when their index of names is stale


def _reset_names():
    _name_counts.clear()


def _unique_name(base):
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _shape_tuple(shape, what):
    """A shape without the batch axis, as a tuple of positive ints."""
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of integers, got {shape!r}") from None
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d <= 0:
            raise ValueError(f"{what} must be a tuple of positive integers, got {shape!r}")
    return tuple(int(d) for d in shape)


class Layer(Watched):
    """Base class of every layer; subclass it to write your own.

    Built-in layers describe themselves to the C core (`_c_layer`). A layer written in Python runs
    inside `fit` next to them: the training step runs the built-in layers in C and calls back into
    Python only around yours. Write it in one of two forms:

    - **NumPy, with its own backward**: `build(input_shape)` creates the weights with
      `self.add_weight(shape=..., initializer=..., trainable=..., name=...)`; `call(inputs,
      training=None)` returns the output (NumPy arrays, batch first); `backward(grad_output)` gets
      dL/d(output) of the last `call`, sets `.grad` on each trainable weight (e.g.
      `self.kernel.grad = self.inputs.T @ grad_output`) and returns dL/d(inputs).
    - **Keras's subclassing guide**: the same `build`, and `call` written with `cnn.ops`
      (`ops.matmul(inputs, self.kernel) + self.bias`), no `backward`: cnn records `call` and derives
      every gradient itself.

    The weights live in the model's parameter buffer like any other (the optimizer updates them in
    C); the output shape comes from `compute_output_shape` or, if not given, from a call on zeros.
    An exception raised in `call` or `backward` stops `fit` with that exception, nothing of the step
    applied. Saving works with `custom_objects={"MyLayer": MyLayer}` (give `get_config` the
    constructor's arguments). The regularizers and constraints given to `add_weight` apply as in Keras
    (the penalty joins the loss, the constraint follows each update), and so do `clipnorm` (each
    weight on its own norm), `clipvalue` and `global_clipnorm`.

    Args:
        trainable: whether the layer's weights are trained. Default `True`.
        name: the layer's name. Default `None`: the snake-case class name, numbered.
        dtype: accepted for Keras compatibility; layers compute in float32.
        input_shape: tf.keras 2's way to give the model's input shape (honoured with a warning).
        input_dim: tf.keras 2's `input_shape=(input_dim,)`.
        batch_input_shape: tf.keras 2's input shape with the batch axis first.

    Example:

    >>> import numpy as np
    >>> class Scale(cnn.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    ...     def call(self, inputs, training=None):
    ...         self.inputs = inputs
    ...         return inputs * self.w
    ...     def backward(self, grad_output):
    ...         self.w.grad = (grad_output * self.inputs).sum(axis=0)
    ...         return grad_output * self.w
    >>> model = cnn.Sequential([cnn.Input((2,)), Scale(), cnn.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
    """

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        self._name = name or _unique_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self._variables = []
        self._regularizers = {}
        self._constraints = {}
        self._position = None
        self.input_shape = None
        self.output_shape = None
        self._input_shape_arg = None
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is not None:
            self._input_shape_arg = _shape_tuple(input_shape, "input_shape")

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._name = value
        _renames[0] += 1

    # -- weights
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for v in self._variables:
            v.trainable = self._trainable and getattr(v, "_can_train", True)

    def add_weight(self, name=None, shape=None, initializer=None, trainable=True, regularizer=None,
                   constraint=None, dtype=None, **kwargs):
        """Creates a weight of this layer (call it in `build`) and returns it as a `Variable`.

        Args:
            name: the weight's name (the key in saved files). Default `None`: "variable", numbered.
            shape: a tuple of positive integers. As in Keras it may be given first, positionally.
            initializer: a name ("zeros", "glorot_uniform", ...) or a `cnn.initializers` object.
                Default `None`: "glorot_uniform", Keras's default for float weights.
            trainable: whether the optimizer updates it. Default `True`.
            regularizer: a `cnn.regularizers` object or name ("l1", "l2", ...), or a function of the
                weight written with `cnn.ops` returning a scalar; its penalty joins the loss. Default `None`.
            constraint: a `cnn.constraints` object or name ("non_neg", "max_norm", ...), or a function
                returning the projected weight; applied after each update. Default `None`.
            dtype: accepted for Keras compatibility; weights are float32.
            **kwargs: Keras's `autocast` and `aggregation`, accepted and ignored.
        """
        from cnn import initializers
        unknown = set(kwargs) - {"autocast", "aggregation", "overwrite_with_gradient"}
        if unknown:
            raise TypeError(f"add_weight() got unexpected keyword arguments: {sorted(unknown)}")
        if name is not None and not isinstance(name, str) and shape is None:
            name, shape = None, name   # Keras 3's order: add_weight(shape, initializer, ...)
        if shape is None:
            raise ValueError(f"add_weight() needs a shape, got shape={shape!r}")
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        if name is None:
            name = "variable" if not self._variables else f"variable_{len(self._variables)}"
        init = initializers.get(initializer if initializer is not None else "glorot_uniform")
        index = len(self._variables)
        key = None
        if self._position is not None and isinstance(init, initializers.Initializer) \
                and getattr(init, "seed", None) is None:
            from cnn.utils import _layer_key
            key = _layer_key(self._position, index)
        value = init(tuple(shape), key=key) if key is not None else init(tuple(shape))
        var = Variable(value, f"{self.name}/{name}", trainable=trainable and self._trainable)
        var._can_train = trainable
        var.regularizer, var.constraint = _resolve_penalties(regularizer, constraint)
        self._variables.append(var)
        if var.regularizer is not None:
            self._regularizers[name] = var.regularizer
        if var.constraint is not None:
            self._constraints[name] = var.constraint
        return var

    @property
    def weights(self):
        return [v for v in self._variables if v.trainable] + [v for v in self._variables if not v.trainable]

    @property
    def trainable_weights(self):
        return [v for v in self._variables if v.trainable]

    @property
    def non_trainable_weights(self):
        return [v for v in self._variables if not v.trainable]

    @property
    def variables(self):
        return list(self._variables)

    def get_weights(self):
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        assign_all(self.weights, weights, f"layer '{self.name}'")

    # -- saving protocol: cnn.saving walks these and knows no layer type
    # Keras config keys this class does not take, with the value meaning "feature off" (dropped on load).
    _keras_only_config = {}

    def _saved_variables(self):
        """The variables Keras saves for this layer, in Keras's order: those created trainable first."""
        vs = self._variables
        return ([v for v in vs if getattr(v, "_can_train", True)] +
                [v for v in vs if not getattr(v, "_can_train", True)])

    def _count_params_for(self, input_shape):
        """How many floats build(input_shape) will allocate, computed without allocating them; None
        when the class cannot tell (layers with weights override this)."""
        return 0 if type(self).build is Layer.build else None

    def count_params(self):
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet, so it has no weights to count")
        return int(sum(np.prod(v.shape) for v in self._variables))

    # -- layers written in Python: a subclass with call(inputs, training=None) (cnn/_hooks.py)
    def _c_layer(self, offsets):
        """A subclass written in Python runs as the core's "python" kind: the step calls back into
        its `call` and `backward` (or differentiates a `call` written with cnn.ops)."""
        if getattr(type(self), "call", None) is None:
            raise TypeError(f"{type(self).__name__} '{self.name}' has no call(inputs, training=None) method, so "
                            "it cannot run in a model")
        from cnn import _hooks
        return _hooks.layer_record(self, offsets)

    def _runs_in_python(self):
        return type(self)._c_layer is Layer._c_layer

    def _has_backward(self):
        return getattr(type(self), "backward", None) is not None

    def _infer_output_shape(self, input_shape):
        """A Python layer's output shape when it does not say (compute_output_shape): its call on zeros."""
        from cnn import _hooks
        if not _hooks.is_python_layer(self) or getattr(type(self), "call", None) is None \
                or type(self).compute_output_shape is not Layer.compute_output_shape:
            return self.compute_output_shape(input_shape)
        y = np.asarray(_hooks.call_layer(self, np.zeros((1,) + tuple(input_shape[1:]), np.float32), False))
        return (input_shape[0],) + y.shape[1:]

    # -- building
    def build(self, input_shape):
        self.built = True

    def _build_for(self, input_shape):
        """Builds once for input_shape (with the batch axis), remembering shapes."""
        input_shape = tuple(input_shape)
        if self.built and self.input_shape is not None and self.input_shape[1:] != input_shape[1:]:
            raise ValueError(f"Layer '{self.name}' was built for inputs of shape {self.input_shape}, "
                             f"it cannot take {input_shape}")
        if not self.built:
            self.build(input_shape)
            self.built = True
        self.input_shape = input_shape
        self.output_shape = self._infer_output_shape(input_shape)
        return self.output_shape

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    # -- running on data
    def __call__(self, inputs, training=None, **kwargs):
        """Runs the layer on a NumPy array (or nested list) of inputs and returns a float32 array.

        The first call builds the layer for the inputs' shape. `training=True` runs it as `fit`
        does: dropout and noise are drawn (fresh masks on every call) and batch normalization
        normalises with the batch's statistics and updates its moving statistics, as in Keras.

        Args:
            inputs: an array of shape (batch, ...), or one unbatched sample (1-D).
            training: `True` for training mode; `False` or `None` (the default) for inference.
        """
        from cnn import _eager, _hooks, _symbolic
        if kwargs:
            raise TypeError(f"{type(self).__name__}() call got unexpected keyword arguments: {sorted(kwargs)}")
        if _symbolic.is_symbolic(inputs):   # the functional API: record the call, compute no number
            return _symbolic.call(self, inputs, {} if training is None else {"training": training})
        if _hooks.is_python_layer(self) and getattr(type(self), "call", None) is not None:
            x = np.asarray(inputs, dtype=np.float32)
            self._build_for((None,) + x.shape[1:])
            return np.asarray(_hooks.call_layer(self, x, _eager.check_training(training)), dtype=np.float32)
        return _eager.call_layer(self, inputs, training)

    @property
    def input(self):
        """The symbolic input tensor(s) of the layer's first call on symbolic tensors (Keras 3's rule)."""
        from cnn import _symbolic
        return _symbolic.node_attribute(self, "input_tensors", "input")

    @property
    def output(self):
        """The symbolic output tensor(s) of the layer's first call on symbolic tensors (Keras 3's rule)."""
        from cnn import _symbolic
        return _symbolic.node_attribute(self, "outputs", "output")

    # -- configuration
    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": "float32"}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _resolve_penalties(regularizer, constraint):
    """add_weight's regularizer and constraint as objects (Keras's regularizers.get / constraints.get):
    a name, a config, a class, an instance or a callable; anything else raises naming it."""
    from cnn import constraints, regularizers
    if regularizer is not None and not isinstance(regularizer, (str, dict, type)) and not callable(regularizer):
        raise TypeError(f"regularizer must be a cnn.regularizers object, a name or a callable, got {regularizer!r}")
    if constraint is not None and not isinstance(constraint, (str, dict, type)) and not callable(constraint):
        raise TypeError(f"constraint must be a cnn.constraints object, a name or a callable, got {constraint!r}")
    return regularizers.get(regularizer), constraints.get(constraint)


def _warn_input_shape(layer):
    warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
                  "models, prefer using an `Input(shape)` object as the first layer in the model instead.",
                  UserWarning, stacklevel=4)


def _c_shape(shape):
    """A per-sample shape for the C core (shape has its batch axis): at most four axes, the leading
    ones merged when there are more (every kind acts on the last axis)."""
    dims = [int(d) for d in shape[1:]] or [1]
    if len(dims) > 4:
        dims = [int(np.prod(dims[:-3]))] + dims[-3:]
    return dims


def _c_record(layer, kind, **fields):
    """A layer record for the C core (cnn._core.fields["layer"] and ["layer_params"][kind]): its kind
    by name, its per-sample shapes, then the given fields."""
    return {"kind": kind, "in_shape": _c_shape(layer.input_shape), "out_shape": _c_shape(layer.output_shape),
            **fields}


def _c_span(offsets, variable, prefix):
    """The weight span fields (offset and length in the parameter buffer) of a variable, or none."""
    if variable is None:
        return {}
    return {f"{prefix}_off": offsets[id(variable)], f"{prefix}_len": int(np.prod(variable.shape))}
