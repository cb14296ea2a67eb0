"""A model's variables <-> the weights file, in Keras 3's layout.

HDF5 groups `layers/<snake_class>[_k]/vars/<i>` (named by class and a per-model counter, not by
layer name) and `optimizer/vars/<i>` in Keras's order: iterations, learning_rate (not with a
schedule), then the slots. What is saved comes from the layers and the optimizer themselves:
`layer._saved_variables()` and `optimizer._keras_slot_groups()` / `_keras_state_count`, or, for an
optimizer written in Python, the variables its build() created; nothing here knows a layer or
optimizer type.
"""
import io
import math
import warnings

import numpy as np

from cnn import _core
from cnn._naming import to_snake_case
from cnn.saving._common import require_h5py


def opt_record(opt):
    """The optimizer's C record as the model keys its slots with (the one place saving builds it)."""
    return opt._c_record()


# ------------------------------------------------------------------------------ what is saved

def layer_paths(model, prefix=""):
    """[(layer, group)]: Keras's group of each layer, snake class name plus a per-model counter; a nested
    model's layers follow it, under "<its group>/layers/"."""
    used, out = {}, []
    for layer in model._saving_layers():
        base = to_snake_case(type(layer).__name__)
        n = used.get(base)
        used[base] = 0 if n is None else n + 1
        path = prefix + (base if n is None else f"{base}_{n + 1}")
        out.append((layer, path))
        if getattr(layer, "_subclass_mode", False):    # a subclassed model inside: its attribute walk
            out.extend((inner, f"{path}/{group}") for inner, group in layer._saved_layer_paths())
        elif hasattr(layer, "_saving_layers"):
            out.extend(layer_paths(layer, f"{path}/layers/"))
    return out


def saved_layers(model):
    """[(layer, path, variables)]: each layer's group and the variables saved in it. A subclassed model
    walks its attributes as Keras does; its nested models have a group of their own, empty."""
    if getattr(model, "_subclass_mode", False):
        return [(layer, path, layer._saved_variables()) for layer, path in model._saved_layer_paths()]
    return [(layer, "layers/" + path, layer._saved_variables()) for layer, path in layer_paths(model)]


def _trainable_vars(model):
    """The trainable variables in Keras's trainable_variables order (the optimizer's variables)."""
    if not model._trainable:
        return []
    return [v for v in model._variables if v.trainable]


def _slot_counts(opt):
    """(slots per weight, trailing scalars) as the C core counts them, checked against what the
    optimizer class declares it saves."""
    rec = opt_record(opt)
    slots, scalars = _core.opt_slot_count(rec), _core.opt_state_count(rec)
    declared = sum(len(group) for group in opt._keras_slot_groups())
    if declared != slots or opt._keras_state_count != scalars:
        raise RuntimeError(f"{type(opt).__name__} declares {declared} slots and {opt._keras_state_count} "
                           f"scalars to save, the C core keeps {slots} and {scalars}")
    return rec, slots, scalars


def optimizer_entries(model):
    """[(what, shape)] of Keras's optimizer variables for this model, with what = 'iteration', 'lr',
    ('slot', s, variable) or ('state', k); and the record the slots belong to."""
    opt = model.optimizer
    rec, _, scalars = _slot_counts(opt)
    entries = [("iteration", ())]
    if opt._saves_learning_rate():
        entries.append(("lr", ()))
    tvars = _trainable_vars(model)
    for group in opt._keras_slot_groups():
        for v in tvars:
            for s in group:
                entries.append((("slot", s, v), v.shape))
    entries.extend((("state", k), ()) for k in range(scalars))
    entries.extend((("variable", var), var.shape) for var in _python_slots(model))
    return entries, rec


def _python_slots(model, build=False):
    """The variables a Python optimizer created in build() (Keras's order: as created), if it is built for
    the model's current weights; `build=True` builds it first, as Keras does before loading them."""
    from cnn import _hooks
    opt = model.optimizer
    if not _hooks.is_python_optimizer(opt):
        return []
    variables = _hooks.optimizer_variables(model)
    if build:
        opt._ensure_built(variables)
    elif not opt._built_for(variables):
        return []
    return list(opt.__dict__.get("_slot_variables", ()))


def _fresh_slots(rec, n):
    slots = np.zeros(max(_core.opt_slot_count(rec) * n + _core.opt_state_count(rec), 1), np.float32)
    _core.opt_init_slots(rec, slots, n)
    return slots


def _current_slots(model, rec):
    """The model's slots buffer if it matches the current layout, else freshly initialised slots."""
    n = model._n_trainable
    size = max(_core.opt_slot_count(rec) * n + _core.opt_state_count(rec), 1)
    if model._slots is not None and model._slots_layout == (model._layout, rec) and model._slots.size == size:
        return model._slots
    return _fresh_slots(rec, n)


def collect_state(model, include_optimizer=True):
    """{path: array} of everything Keras's model.weights.h5 holds, plus group attrs."""
    arrays, attrs = {}, {"vars": {"name": model.name}}
    if model.built:
        model._pack_weights()
    for layer, path, saved in saved_layers(model):
        attrs[f"{path}/vars"] = {"name": layer.name}
        for i, v in enumerate(saved):
            arrays[f"{path}/vars/{i}"] = np.array(v.numpy(), dtype=getattr(v, "_saved_dtype", np.float32))
    if include_optimizer and model.compiled and model.optimizer is not None and model.built:
        opt = model.optimizer
        attrs["optimizer/vars"] = {"name": opt.name}
        entries, rec = optimizer_entries(model)
        slots, n = _current_slots(model, rec), model._n_trainable
        for i, (what, shape) in enumerate(entries):
            key = f"optimizer/vars/{i}"
            if what == "iteration":
                arrays[key] = np.array(int(opt.iterations), dtype=np.int64)
            elif what == "lr":
                arrays[key] = np.array(opt._learning_rate, dtype=np.float32)
            elif what[0] == "slot":
                s, v = what[1], what[2]
                start = s * n + model._offsets[id(v)]
                arrays[key] = slots[start:start + int(np.prod(shape))].reshape(shape).copy()
            elif what[0] == "variable":
                arrays[key] = what[1].numpy()
            else:
                arrays[key] = np.array(slots[_core.opt_slot_count(rec) * n + what[1]], dtype=np.float32)
    return arrays, attrs


# ------------------------------------------------------------------------------ writing

def h5_bytes(arrays, attrs):
    h5py = require_h5py("Writing HDF5 weights")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for path, group_attrs in attrs.items():
            group = f.require_group(path)
            for k, v in group_attrs.items():
                group.attrs[k] = v
        for path, value in arrays.items():
            f.create_dataset(path, data=value)
    return buf.getvalue()


def npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# ------------------------------------------------------------------------------ reading

def _finite(value, what, name):
    """Refuses NaN and infinity in a loaded weight, as set_weights does (also values that overflow
    float32, which the model stores)."""
    value = np.asarray(value)
    with np.errstate(over="ignore"):
        finite = np.all(np.isfinite(value.astype(np.float32)))
    if not finite:
        raise ValueError(f"{what}: the value stored for '{name}' is not a finite numeric array")
    return value


def _is_float(variable):
    """Whether Keras stores the variable as floats (Normalization's count is an integer)."""
    return np.dtype(getattr(variable, "_saved_dtype", np.float32)).kind == "f"


def _read_layers(model, reader, skip_mismatch=False):
    """[(variable, value)] for every layer, all read and checked (nothing assigned yet)."""
    values = []
    for layer, path, expected in saved_layers(model):
        group = f"{path}/vars"
        keys = reader.keys(group) or set()
        want = {str(i) for i in range(len(expected))}
        try:
            if keys != want:
                raise ValueError(f"{reader.what}: layer '{layer.name}' ({group}) expects {len(expected)} "
                                 f"variables, the file has {len(keys)}")
            values.extend((v, _finite(reader.get(f"{group}/{i}", v.shape, "f" if _is_float(v) else "iuf"),
                                      reader.what, v.name))
                          for i, v in enumerate(expected))
        except ValueError as e:
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping loading weights for layer '{layer.name}': {e}", stacklevel=5)
    return values


def _read_optimizer(model, reader):
    """(iterations, learning rate or None, slots, record) from the file, or None when it has no
    state for this optimizer (nothing assigned yet)."""
    if not model.compiled or model.optimizer is None:
        return None
    keys = reader.keys("optimizer/vars")
    if keys is None:
        return None
    opt = model.optimizer
    head = 2 if opt._saves_learning_rate() else 1
    if len(keys) > head:
        _python_slots(model, build=True)   # a Python optimizer's slots exist once built, as in Keras
    entries, rec = optimizer_entries(model)
    if keys == {str(i) for i in range(head)}:
        entries = entries[:head]     # saved before training: no slots yet
    elif keys != {str(i) for i in range(len(entries))}:
        warnings.warn(f"Skipping variable loading for optimizer '{opt.name}', because it has {len(entries)} "
                      f"variables whereas the saved optimizer has {len(keys)} variables.", stacklevel=5)
        return None
    n = model._n_trainable
    slots = _fresh_slots(rec, n)
    iterations, lr, variables = None, None, []
    for i, (what, shape) in enumerate(entries):
        key = f"optimizer/vars/{i}"
        if what == "iteration":
            value = float(reader.get(key, (), kinds="iuf"))
            if not (math.isfinite(value) and value >= 0 and value == int(value) and value < 2 ** 62):
                raise ValueError(f"{reader.what}: the optimizer's iteration count {value} is not a count")
            iterations = int(value)
        elif what == "lr":
            lr = np.float32(reader.get(key, ()))
            if not (np.isfinite(lr) and lr >= 0):
                raise ValueError(f"{reader.what}: the saved learning rate {lr} is not a rate")
        elif what[0] == "slot":
            s, v = what[1], what[2]
            start = s * n + model._offsets[id(v)]
            value = _finite(reader.get(key, shape), reader.what, f"{key} (a slot of {v.name})")
            slots[start:start + int(np.prod(shape))] = np.asarray(value, np.float32).ravel()
        elif what[0] == "variable":
            value = _finite(reader.get(key, shape), reader.what, f"{key} (the optimizer's {what[1].name})")
            variables.append((what[1], np.asarray(value, np.float32)))
        else:
            value = _finite(reader.get(key, ()), reader.what, key)
            slots[_core.opt_slot_count(rec) * n + what[1]] = np.float32(value)
    return iterations, lr, slots, rec, variables


def load_state(model, reader, skip_mismatch=False):
    """Reads the layers' and the optimizer's variables, then (only if all of it is sound) assigns them."""
    values = _read_layers(model, reader, skip_mismatch)
    state = _read_optimizer(model, reader)
    for v, value in values:
        v.assign(np.asarray(value, dtype=np.float32))
    if state is None:
        return
    iterations, lr, slots, rec, variables = state
    for var, value in variables:     # a Python optimizer's own slots
        var.assign(value)
    model.optimizer.iterations = iterations
    if lr is not None:
        model.optimizer._learning_rate = lr
    if (model._slots is not None and model._slots.shape == slots.shape
            and model._slots_layout == (model._layout, rec)):
        model._slots[...] = slots    # in place: a plan fit() built before its callbacks ran sees it
    else:
        model._slots, model._slots_layout = slots, (model._layout, rec)
        model._plan = None
