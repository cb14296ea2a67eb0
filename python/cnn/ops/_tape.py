"""The recording: Tensor (a value plus how to send a gradient back to its inputs), node creation,
and the reverse pass (`record`, `value_and_grad`).

A Tensor is made only while recording and only from another Tensor: ops on plain arrays stay plain
arrays (eager NumPy). The graph is the Tensors' links to their parents; the reverse pass visits the
nodes reachable from the output in reverse creation order, so nothing is kept once it is dropped.
"""
import itertools
import threading

import numpy as np

_counter = itertools.count()
_state = threading.local()   # .watched: {id(variable): its leaf Tensor} while fn runs


class RecordingError(TypeError):
    """fn left cnn.ops while recording (NumPy called on a recorded tensor, float(t), ...)."""


class Tensor:
    """A value being recorded. Operators and cnn.ops functions accept it; NumPy does not."""

    __slots__ = ("value", "parents", "vjps", "seq")
    __array_priority__ = 1000

    def __init__(self, value, parents=(), vjps=()):
        self.value = value
        self.parents = parents     # Tensors
        self.vjps = vjps           # one function per parent: output gradient -> that parent's
        self.seq = next(_counter)  # creation order: parents always have smaller numbers

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    dtype = property(lambda self: self.value.dtype)
    size = property(lambda self: self.value.size)

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        return f"<cnn.ops recorded tensor shape={self.shape} dtype={self.dtype}>"

    __hash__ = object.__hash__   # kept although __eq__ is elementwise (_operators.py)

    def _refuse(self, what, instead):
        raise RecordingError(f"{what} on a tensor that cnn.ops is recording: its value is not a "
                             f"plain number while the gradient is recorded; {instead}")

    def __array__(self, dtype=None, copy=None):
        self._refuse("np.asarray / np.array", "keep to cnn.ops functions (ops.convert_to_tensor, "
                     "ops.cast) or use ops.stop_gradient(t) for a constant")

    def __bool__(self):
        self._refuse("bool() (an `if`, `and`, `or`)", "use ops.where(condition, x, y) to choose per element")

    def __float__(self):
        self._refuse("float()", "keep the result a tensor (ops.mean and ops.sum give 0-d tensors)")

    def __int__(self):
        self._refuse("int()", "use ops.shape(t) for sizes")

    __index__ = __int__


def lift(x):
    """x as an op input: a Tensor (recorded) or a constant (array or Python scalar, kept weak so
    float32 arrays stay float32)."""
    if isinstance(x, Tensor):
        return x
    watched = getattr(_state, "watched", None)
    if watched and id(x) in watched:
        return watched[id(x)]
    if isinstance(x, (bool, int, float, np.ndarray, np.generic)):
        return x
    value = getattr(x, "value", None)   # a cnn Variable that is not being differentiated
    if isinstance(value, np.ndarray):
        return value
    v = np.asarray(x)
    if isinstance(x, (list, tuple)) and v.dtype in (np.float64, np.int64):
        return v.astype(np.float32 if v.dtype == np.float64 else np.int32)   # Keras's default dtypes
    return v


def recorded(obj):
    """The tensor standing for obj (a variable given to `record`) while fn runs, else None."""
    watched = getattr(_state, "watched", None)
    return watched.get(id(obj)) if watched else None


def value_of(x):
    return x.value if isinstance(x, Tensor) else x


def node(out, inputs, vjps):
    """The op's result: a Tensor whose parents are the recorded inputs, or the plain value when
    no input is recorded. vjps[i] maps the output gradient to inputs[i]'s (before unbroadcasting)."""
    pairs = [(x, f) for x, f in zip(inputs, vjps) if isinstance(x, Tensor)]
    if not pairs:
        return out
    return Tensor(np.asarray(out), tuple(p for p, _ in pairs), tuple(f for _, f in pairs))


def unbroadcast(g, shape):
    """Sums g over the axes broadcasting added or stretched, so it has `shape`."""
    if g.shape == shape:
        return g
    if g.ndim < len(shape):
        g = np.broadcast_to(g, shape)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return (g.sum(axis=axes) if axes else g).reshape(shape)


class Recording:
    """fn's value on the batch, and `backward(output_grad)` for the gradients of the leaves."""

    def __init__(self, output, leaves):
        self._output = output if isinstance(output, Tensor) else None
        self.value = output.value if isinstance(output, Tensor) else np.asarray(output)
        self._leaves = leaves

    def backward(self, output_grad=None):
        """Gradients of sum(value * output_grad) for each leaf (args in wrt order, then variables)."""
        if output_grad is None:
            seed = np.ones_like(self.value)
        else:
            seed = np.broadcast_to(np.asarray(output_grad, dtype=self.value.dtype), self.value.shape)
        grads = {}
        if self._output is not None:
            grads[id(self._output)] = seed
            for t in _reachable(self._output):
                g = grads.get(id(t))
                if g is None:
                    continue
                for p, vjp in zip(t.parents, t.vjps):
                    gp = unbroadcast(np.asarray(vjp(g)), p.shape)
                    grads[id(p)] = gp if id(p) not in grads else grads[id(p)] + gp
        result = []
        for leaf in self._leaves:
            g = grads.get(id(leaf))
            result.append(np.zeros(leaf.shape, leaf.dtype) if g is None
                          else np.array(g, dtype=leaf.dtype).reshape(leaf.shape))
        return result


def _reachable(output):
    """The Tensors output depends on, latest first (a reverse topological order)."""
    seen, stack = {id(output): output}, [output]
    while stack:
        for p in stack.pop().parents:
            if id(p) not in seen:
                seen[id(p)] = p
                stack.append(p)
    return sorted(seen.values(), key=lambda t: t.seq, reverse=True)


def _leaf_value(x, what):
    value = np.array(x if isinstance(x, np.ndarray) else getattr(x, "value", x))
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"cnn.ops can differentiate only floating-point values; {what} has dtype {value.dtype}")
    return value


def record(fn, args, wrt=(0,), variables=()):
    """Runs fn(*args) once while recording; returns a Recording (see README_INTERFACE.md)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, received {fn!r}")
    args = list(args)
    wrt = (wrt,) if isinstance(wrt, int) else tuple(wrt)
    for i in wrt:
        if not isinstance(i, int) or not -len(args) <= i < len(args):
            raise ValueError(f"wrt must hold indices of args (0..{len(args) - 1}), received {wrt!r}")
    leaves = []
    for i in wrt:
        leaf = Tensor(_leaf_value(args[i], f"args[{i}]"))
        args[i] = leaf
        leaves.append(leaf)
    watched = {}
    for k, v in enumerate(variables):
        leaf = Tensor(_leaf_value(v, f"variables[{k}] ({getattr(v, 'name', type(v).__name__)})"))
        watched[id(v)] = leaf
        storage = getattr(v, "value", None)
        if isinstance(storage, np.ndarray):   # its own array too: `variable * t` may hand NumPy that array
            watched[id(storage)] = leaf
        leaves.append(leaf)
    outer = getattr(_state, "watched", None)
    _state.watched = {**(outer or {}), **watched}
    try:
        out = fn(*args)
    finally:
        _state.watched = outer
    if isinstance(out, (tuple, list, dict)):
        raise RecordingError(f"{getattr(fn, '__name__', 'fn')} must return one tensor, it returned a "
                             f"{type(out).__name__}")
    return Recording(out, leaves)


def value_and_grad(fn, args, wrt=(0,), variables=(), output_grad=None):
    """(fn(*args), gradients of sum(fn(*args) * output_grad) for args[wrt], then for variables)."""
    rec = record(fn, args, wrt, variables)
    return rec.value, rec.backward(output_grad)


def is_recordable(fn, example_args):
    """True when fn(*example_args) runs while recording (written with cnn.ops, not plain NumPy)."""
    floats = tuple(i for i, a in enumerate(example_args) if np.issubdtype(np.asarray(a).dtype, np.floating))
    try:
        record(fn, example_args, wrt=floats)
    except RecordingError:
        return False
    return True
