"""Normalization (keras.layers.Normalization): features shifted and scaled by fixed statistics."""
import numpy as np

from cnn.layers.base import Layer, _c_record, _c_span

_EPSILON = 1e-7   # keras.backend.epsilon(): the smallest divisor


class Normalization(Layer):
    """Shifts and scales inputs by a mean and variance: `(x - mean) / sqrt(variance)`.

    The statistics come from the `mean` and `variance` arguments, or from `adapt(data)`, which
    computes them from data (then they are non-trainable weights, saved with the model, as in
    Keras). One mean and variance is kept for each position along `axis`, the rest of the axes
    are reduced. The divisor is `max(sqrt(variance), 1e-7)`. It runs in the C step like any layer,
    and gradients flow through it.

    Args:
        axis: integer, tuple of integers or `None`: the axis (or axes) that keep separate
            statistics. Default `-1` (one per feature); `None` gives one scalar mean and variance.
            The kept axes must be adjacent and must not include the batch axis.
        mean: optional number or array, the mean to subtract (broadcast to the kept axes). Give it
            with `variance`, or neither and call `adapt()`. Default `None`.
        variance: optional number or array, the variance to divide by (its square root). Default `None`.
        invert: if `True`, undo the normalization: `mean + x * sqrt(variance)`. Default `False`.
        **kwargs: base layer arguments: `name` (default: the snake-case class name, numbered),
            `trainable` (accepted; the statistics are never trained) and `dtype` (accepted; cnn
            computes in float32).

    Example:

    >>> norm = layers.Normalization()
    >>> norm.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> norm(np.array([[2.0, 20.0]]))
    array([[0., 0.]], dtype=float32)
    >>> [w.tolist() for w in norm.get_weights()[:2]]
    [[2.0, 20.0], [1.0, 100.0]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        elif isinstance(axis, (list, tuple)) and all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            axis = tuple(int(a) for a in axis)
        else:
            raise TypeError(f"axis must be an integer, a tuple of integers or None, got {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean={mean} and variance={variance}")
        if mean is not None:
            for what, value in (("mean", mean), ("variance", variance)):
                a = np.asarray(value)
                if a.dtype.kind not in "biuf" or not np.all(np.isfinite(a)):
                    raise ValueError(f"{what} must be finite numbers, got {value!r}")
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"When setting values directly, `mean` and `variance` must have the same "
                                 f"shape. Received: mean shape {np.shape(mean)} and variance shape "
                                 f"{np.shape(variance)}")
            if np.ndim(mean) > len(axis):
                raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes "
                                 f"({len(axis)}). Received: mean shape {np.shape(mean)} for axis {axis}")
            if np.any(np.asarray(variance) < 0):
                raise ValueError(f"variance must be >= 0, got {variance!r}")
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self._hidden = ()   # given mean and variance: in the parameter buffer, not weights (as Keras)

    # -- shapes
    def _layout(self, input_shape):
        """(the kept axes' shape, elements after the last kept axis) for inputs of input_shape."""
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        keep = sorted({a % ndim for a in self.axis})
        if 0 in keep:
            raise ValueError(f"Normalization cannot keep statistics along the batch axis (axis={self.axis})")
        if keep and keep[-1] - keep[0] + 1 != len(keep):
            raise ValueError(f"Normalization keeps statistics along adjacent axes only, got axis={self.axis}")
        kept = tuple(int(input_shape[a]) for a in keep)
        inner = int(np.prod(input_shape[keep[-1] + 1:])) if keep else 1
        return kept, inner

    def build(self, input_shape):
        kept, self._inner = self._layout(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", kept, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", kept, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False)
            self.count._saved_dtype = np.int64   # an integer in Keras's files
        else:
            try:
                mean = np.broadcast_to(np.asarray(self.input_mean, np.float32), kept)
                var = np.broadcast_to(np.asarray(self.input_variance, np.float32), kept)
            except ValueError:
                raise ValueError(f"mean of shape {np.shape(self.input_mean)} does not broadcast to the kept "
                                 f"axes {kept} of inputs {tuple(input_shape)}") from None
            self.adapt_mean = self.add_weight("mean", kept, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", kept, "ones", trainable=False)
            self.adapt_mean.assign(mean)
            self.adapt_variance.assign(var)
            self._hidden = (id(self.adapt_mean), id(self.adapt_variance))

    def _count_params_for(self, input_shape):
        if self.input_mean is not None:
            return 0
        return 2 * int(np.prod(self._layout(input_shape)[0])) + 1

    # -- weights: given statistics are constants, not weights (Keras has none then)
    @property
    def weights(self):
        return [v for v in super().weights if id(v) not in self._hidden]

    @property
    def non_trainable_weights(self):
        return [v for v in super().non_trainable_weights if id(v) not in self._hidden]

    @property
    def variables(self):
        return self.weights

    def _saved_variables(self):
        return self.weights

    def count_params(self):
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet, so it has no weights to count")
        return int(sum(np.prod(v.shape) for v in self.weights))

    # -- statistics from data
    def adapt(self, data):
        """Computes the mean and variance of `data` along the kept axes and stores them.

        Args:
            data: an array (or pandas object) of shape (samples, ...), or an iterable of such
                batches (a generator, a `cnn.utils.PyDataset`, a list of arrays): the statistics are
                then combined over the batches as Keras combines them.
        """
        from cnn import _data
        if self.input_mean is not None:
            raise ValueError("This Normalization layer was given `mean` and `variance`; adapt() computes "
                             "them from data only when they are not given")
        batches = self._batches(data)
        first = batches[0]
        shape = (None,) + first.shape[1:]
        if not self.built:
            self._build_for(shape)
        kept, _ = self._layout(shape)
        if self.adapt_mean.shape != kept:
            raise ValueError(f"The layer was built with input_shape={self.input_shape}, but adapt() is being "
                             f"called with data with an incompatible shape, data.shape={first.shape}")
        ndim = first.ndim
        keep = {a % ndim for a in self.axis}
        reduce = tuple(d for d in range(ndim) if d not in keep)
        if len(batches) == 1:   # as Keras: NumPy's mean and (biased) variance of the whole array
            mean, var = np.mean(first, axis=reduce), np.var(first, axis=reduce)
        else:
            mean = var = np.zeros(kept)
            total = 0
            for b in batches:
                if b.shape[1:] != first.shape[1:]:
                    raise ValueError(f"adapt() yielded a batch with incompatible shape. Expected "
                                     f"{(None,) + first.shape[1:]}, got {b.shape}.")
                b_mean, b_var = np.mean(b, axis=reduce), np.var(b, axis=reduce)
                count = int(np.prod([b.shape[d] for d in reduce]))
                total += count
                w_new = count / total
                w_old = 1.0 - w_new
                new_mean = mean * w_old + b_mean * w_new
                var = (var + (mean - new_mean) ** 2) * w_old + (b_var + (b_mean - new_mean) ** 2) * w_new
                mean = new_mean
        _data._finite(np.asarray(mean, np.float64), "adapt data")
        self.adapt_mean.assign(np.reshape(mean, kept))
        self.adapt_variance.assign(np.reshape(var, kept))

    @staticmethod
    def _batches(data):
        from cnn import _batches, _data
        if _batches.is_batch_source(data) or (isinstance(data, (list, tuple)) and data
                                              and all(isinstance(b, np.ndarray) for b in data)):
            items = list(data) if isinstance(data, (list, tuple)) else [
                x for x, _, _ in _batches.BatchSource(data, None, "adapt data").epoch()]
            batches = [_data.as_array(b, "adapt data") for b in items]
        else:
            batches = [_data.as_array(data, "adapt data")]
        if not batches:
            raise ValueError("adapt() received no data (an empty iterable)")
        for b in batches:
            _data._finite(np.asarray(b, np.float64), "adapt data")
        return batches

    # -- the C record and the config
    def _c_layer(self, offsets):
        return _c_record(self, "normalization", epsilon=_EPSILON, invert=int(self.invert), inner=self._inner,
                         **_c_span(offsets, self.adapt_mean, "mm"), **_c_span(offsets, self.adapt_variance, "mv"))

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "invert": self.invert,
                       "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()})
        return config
