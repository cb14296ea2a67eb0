"""`layer(x)` and `model(x)` on arrays: one batch through the C kernels (`_core.Plan.forward`), in
inference mode or, with `training=True`, with dropout, noise and batch statistics as in `fit`.

Each call with `training=True` draws fresh random masks, like Keras's SeedGenerator: the n-th such
call of a layer (or model) since the last `cnn.utils.set_random_seed` uses step n of its streams, so a
seeded script gives the same masks every run.
"""
import threading
import weakref

import numpy as np

from cnn import _core, _data, utils

_calls = weakref.WeakKeyDictionary()   # layer or model -> _CallState
_lock = threading.Lock()


class _CallState:
    __slots__ = ("batch_max", "count", "generation", "key", "lock", "params", "plan")

    def __init__(self):
        self.count, self.generation, self.key, self.plan, self.params, self.batch_max = 0, -1, None, None, None, 0
        self.lock = threading.RLock()

    def next_step(self):
        """The random-stream step of this training call: 0, 1, 2, ... since the last seeding."""
        if self.generation != utils._state["generation"]:
            self.generation, self.count = utils._state["generation"], 0
        step = self.count
        self.count += 1
        return step


def _state_of(owner):
    with _lock:
        state = _calls.get(owner)
        if state is None:
            state = _calls[owner] = _CallState()
        return state


def check_training(training):
    if training is None:
        return False
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    raise TypeError(f"training must be True, False or None, got {training!r}")


def refuse_symbolic(x, what):
    from cnn.layers.core import InputLayer
    if isinstance(x, InputLayer):
        raise TypeError(f"Inputs to {what} should be tensors or arrays; got the layer {x!r}. Call it on "
                        "cnn.Input(...) (a symbolic tensor) or on a NumPy array.")


def _as_batch(x):
    """x as float32 (n, ...) rows and whether it was a single unbatched sample (1-D)."""
    a = _data.as_array(x, "x")
    single = a.ndim == 1
    if single:
        a = a.reshape(1, -1)
    out = np.array(a, dtype=np.float32, order="C", copy=True)
    _data._finite(out, "x")
    return out, single


def call_layer(layer, x, training):
    """`layer(x, training=...)`: builds the layer for x's shape on first call, runs one forward pass."""
    refuse_symbolic(x, f"layer '{layer.name}'")
    training = check_training(training)
    if not hasattr(layer, "_c_layer"):
        raise TypeError(f"{type(layer).__name__} '{layer.name}' cannot be called on data")
    xa, single = _as_batch(x)
    n = len(xa)
    layer._build_for((None,) + xa.shape[1:])
    state = _state_of(layer)
    with state.lock:
        variables = layer._variables
        offsets, total = {}, 0
        for v in variables:
            offsets[id(v)] = total
            total += int(np.prod(v.shape))
        record = layer._c_layer(offsets)
        key = repr(record)
        if state.plan is None or state.key != key or state.batch_max < n or len(state.params) != max(total, 1):
            state.params = np.zeros(max(total, 1), np.float32)
            state.plan = _core.Plan([record], {"kind": "mse"}, [], {"kind": "sgd"}, state.params, 0,
                                    np.zeros(1, np.float32), max(n, state.batch_max))
            state.key, state.batch_max = key, max(n, state.batch_max)
        for v in variables:   # the layer's current values (they may live in a model's buffer)
            state.params[offsets[id(v)]:offsets[id(v)] + v._value.size] = v._value.ravel()
        step = state.next_step() if training else 0
        out = state.plan.forward(xa.reshape(n, -1), training, step)
        if training:          # batch normalization moved its moving statistics, as Keras's call does
            for v in variables:
                if not getattr(v, "_can_train", True):
                    v._value[...] = state.params[offsets[id(v)]:offsets[id(v)] + v._value.size].reshape(v.shape)
    out = out.reshape((n,) + tuple(layer.output_shape[1:]))
    return out[0] if single else out


def call_model(model, x, training):
    """`model(x, training=...)`: the model's layers on x as one batch, in the model's own buffers."""
    refuse_symbolic(x, f"model '{model.name}'")
    training = check_training(training)
    if not training:
        return model.predict_on_batch(x)
    with model._plans.lock:
        xa = model._features(x)
        plan = model._inference_plan(len(xa))
        out = plan.forward(xa, True, _state_of(model).next_step())
    return out.reshape((len(xa),) + tuple(model.output_shape[1:]))
