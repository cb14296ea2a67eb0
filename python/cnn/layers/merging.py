"""The merge layers (Keras's Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot): layers
of several inputs, called on a list. Element-wise ones are the C kind "merge"; Concatenate and Dot have
their own kinds."""
import numpy as np

from cnn.layers.base import Layer, _c_shape


def _is_data(x):
    """An array-like of numbers (eager call), as opposed to a symbolic tensor of the functional API."""
    return isinstance(x, (np.ndarray, list, tuple, int, float, np.number)) or (
        hasattr(x, "__array__") and not hasattr(x, "_keras_history"))


def _shape_list(input_shape, what="A merge layer"):
    if not isinstance(input_shape, (list, tuple)) or not input_shape \
            or not all(isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(f"{what} should be called on a list of inputs. Received: input_shape={input_shape} "
                         "(not a list of shapes)")
    return [tuple(s) for s in input_shape]


class _Merge(Layer):
    """Several inputs of one per-sample shape combined element by element (Keras's base Merge)."""

    _op = None
    _min_inputs = 1

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def _count_params_for(self, input_shape):
        return 0

    # -- shapes
    def _check_shapes(self, shapes):
        if len(shapes) < self._min_inputs:
            raise ValueError(f"A merge layer should be called on a list of at least {self._min_inputs} "
                             f"input{'s' if self._min_inputs > 1 else ''}. Received {len(shapes)} inputs. "
                             f"Full input_shape received: {shapes}")
        for s in shapes[1:]:
            if tuple(s[1:]) != tuple(shapes[0][1:]):
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {shapes[0]} and {s} "
                                 "(cnn's merge layers take inputs of one shape; broadcasting is not supported)")

    def build(self, input_shape):
        self._check_shapes(_shape_list(input_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape)
        self._check_shapes(shapes)
        return tuple(shapes[0])

    def _build_for(self, input_shape):
        """Builds once for a list of input shapes (batch axes included)."""
        shapes = _shape_list(input_shape)
        if not self.built:
            self.build(shapes)
            self.built = True
        self.output_shape = self.compute_output_shape(shapes)
        self.input_shape = shapes
        return self.output_shape

    # -- C record
    def _c_fields(self):
        return {"op": self._op}

    def _c_kind(self):
        return "merge"

    def _c_layer(self, offsets):
        return {"kind": self._c_kind(), "in_shape": _c_shape(self.input_shape[0]),
                "out_shape": _c_shape(self.output_shape), **self._c_fields()}

    # -- running on data
    def __call__(self, inputs, training=None, **kwargs):
        """On a list of arrays, runs the merge in C and returns a float32 array; on the functional API's
        symbolic tensors, records the call (the base Layer does)."""
        if isinstance(inputs, (list, tuple)) and inputs and all(_is_data(x) for x in inputs) \
                and not any(isinstance(x, (int, float)) for x in inputs):
            if kwargs:
                raise TypeError(f"{type(self).__name__}() call got unexpected keyword arguments: {sorted(kwargs)}")
            return _call_merge(self, inputs)
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: inputs={inputs!r} "
                             "(not a list of tensors)")
        return super().__call__(inputs, training=training, **kwargs)


def _call_merge(layer, inputs):
    """`layer([a, b, ...])` on arrays: one forward pass through a one-layer graph plan."""
    from cnn import _core, _data
    arrays = []
    for i, x in enumerate(inputs):
        a = np.array(_data.as_array(x, f"inputs[{i}]"), dtype=np.float32, order="C", copy=True)
        if a.ndim < 2:
            raise ValueError(f"inputs[{i}] must have a batch axis, shape (batch, ...); got shape {a.shape}")
        _data._finite(a, f"inputs[{i}]")
        arrays.append(a)
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes "
                         f"{[a.shape for a in arrays]}")
    layer._build_for([(None,) + a.shape[1:] for a in arrays])
    record = dict(layer._c_layer({}), inputs=[-1 - k for k in range(len(arrays))])
    plan = _core.Plan([record], {"kind": "mse"}, [], {"kind": "sgd"}, np.zeros(1, np.float32), 0,
                      np.zeros(1, np.float32), max(n, 1), inputs=[_c_shape(a.shape) for a in arrays],
                      outputs=[{"layer": 0, "loss": {"kind": "mse"}}])
    x = np.ascontiguousarray(np.concatenate([a.reshape(n, -1) for a in arrays], axis=1))
    out = plan.forward(x, False, 0)
    return out.reshape((n,) + tuple(layer.output_shape[1:]))


class Add(_Merge):
    """Adds a list of inputs of one shape, element by element (`keras.layers.Add`).

    Args:
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> out = cnn.layers.Add()([np.ones((2, 3)), np.full((2, 3), 2.0)])
    >>> out.tolist()
    [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
    """

    _op = "add"


class Subtract(_Merge):
    """Subtracts the second input from the first, element by element (`keras.layers.Subtract`).

    Args:
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Subtract()([np.ones((1, 2)), np.full((1, 2), 3.0)]).tolist()
    [[-2.0, -2.0]]
    """

    _op = "subtract"

    def _check_shapes(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape={shapes}")
        super()._check_shapes(shapes)


class Multiply(_Merge):
    """Multiplies a list of inputs of one shape, element by element (`keras.layers.Multiply`).

    Args:
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Multiply()([np.full((1, 2), 2.0), np.full((1, 2), 3.0)]).tolist()
    [[6.0, 6.0]]
    """

    _op = "multiply"


class Average(_Merge):
    """The element-wise mean of a list of inputs of one shape (`keras.layers.Average`).

    Args:
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Average()([np.zeros((1, 2)), np.full((1, 2), 3.0)]).tolist()
    [[1.5, 1.5]]
    """

    _op = "average"


class Maximum(_Merge):
    """The element-wise maximum of a list of inputs of one shape (`keras.layers.Maximum`).

    Args:
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
    [[3.0, 5.0]]
    """

    _op = "maximum"


class Minimum(_Merge):
    """The element-wise minimum of a list of inputs of one shape (`keras.layers.Minimum`).

    Args:
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])]).tolist()
    [[1.0, 2.0]]
    """

    _op = "minimum"


class Concatenate(_Merge):
    """Joins a list of inputs along one axis (`keras.layers.Concatenate`); the other axes must agree.

    Args:
        axis: the axis to join along (default -1, the last; the batch axis 0 cannot be used).
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Concatenate()([np.zeros((1, 2)), np.ones((1, 1))]).tolist()
    [[0.0, 0.0, 1.0]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an integer, got {axis!r}")
        self.axis = int(axis)

    def _axis_for(self, shapes):
        rank = len(shapes[0])
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or axis == 0:
            raise ValueError(f"axis {self.axis} is out of range for inputs of rank {rank} "
                             f"(the batch axis 0 cannot be joined). Received: input_shape={shapes}")
        return axis

    def _check_shapes(self, shapes):
        if not shapes:
            raise ValueError(f"A `Concatenate` layer should be called on a list of at least 1 input. "
                             f"Received: input_shape={shapes}")
        axis = self._axis_for(shapes)
        for s in shapes:
            if len(s) != len(shapes[0]) or any(a != b for d, (a, b) in enumerate(zip(s, shapes[0]))
                                               if d not in (0, axis)):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={shapes}")

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape, "A `Concatenate` layer")
        self._check_shapes(shapes)
        axis = self._axis_for(shapes)
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return tuple(out)

    def _c_kind(self):
        return "concatenate"

    def _c_fields(self):
        if len(self.output_shape) > 5:
            raise NotImplementedError("Concatenate runs on inputs of at most 4 axes per sample")
        return {"axis": self._axis_for(self.input_shape) - 1}

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot products of samples of two inputs along one axis each (`keras.layers.Dot`, batch_dot).

    Args:
        axes: an integer or a pair of integers: the axis of each input to sum over (the batch axis 0
            cannot be used; negative counts from the end).
        normalize: if True, L2-normalise each sample along those axes first, so the output is the
            cosine proximity (default False).
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` and `dtype` (accepted; cnn computes in float32).

    Example:

    >>> cnn.layers.Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).tolist()
    [[11.0]]
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, (int, np.integer)) or isinstance(axes, bool):
            if not isinstance(axes, (list, tuple)):
                raise TypeError("Invalid type for argument `axes`: it should be a list or an int. "
                                f"Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. "
                                 f"Received: axes={axes}")
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. "
                                 f"Received: axes={axes}")
            axes = [int(a) for a in axes]
        else:
            axes = int(axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        if isinstance(self.axes, int):
            pair = [self.axes % len(shapes[0]), self.axes % len(shapes[1])] if self.axes < 0 else [self.axes] * 2
        else:
            pair = [a % len(s) if a < 0 else a for a, s in zip(self.axes, shapes)]
        for a, s in zip(pair, shapes):
            if not 1 <= a < len(s):
                raise ValueError(f"axes {self.axes} are out of range for inputs of shapes {shapes} "
                                 "(the batch axis 0 cannot be used)")
        return pair

    def _check_shapes(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: input_shape={shapes}")
        for s in shapes:
            if not 2 <= len(s) <= 3:
                raise ValueError(f"cnn's Dot takes inputs of shape (batch, n) or (batch, m, n); got {shapes}")
        a, b = self._axes_for(shapes)
        if shapes[0][a] != shapes[1][b]:
            raise ValueError(f"Incompatible input shapes: axis values {shapes[0][a]} (at axis {a}) != "
                             f"{shapes[1][b]} (at axis {b}). Full input shapes: {shapes[0]}, {shapes[1]}")

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(input_shape, "A `Dot` layer")
        self._check_shapes(shapes)
        a, b = self._axes_for(shapes)
        s1, s2 = list(shapes[0]), list(shapes[1])
        s1.pop(a)
        s2.pop(b)
        s2.pop(0)
        out = s1 + s2
        return tuple(out + [1] if len(out) == 1 else out)

    def _c_kind(self):
        return "dot"

    def _c_fields(self):
        a, b = self._axes_for(self.input_shape)
        return {"axis_x": a - 1, "axis_y": b - 1, "normalize": self.normalize}

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}
