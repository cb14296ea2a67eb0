"""Saving and loading models in Keras 3's formats: `.keras` zips and `.weights.h5` files.

A `.keras` file is a zip holding metadata.json, config.json (Keras 3's `serialize_keras_object`
layout, so Keras 3 loads it) and model.weights.h5: HDF5 groups `layers/<snake_class>[_k]/vars/<i>`
named by class and a per-model counter (not by layer name), and `optimizer/vars/<i>` in Keras's
order [iteration, learning_rate (not with a schedule), slots interleaved per trainable weight].
Without h5py the weights go into model.weights.npz instead (cnn reads it; Keras does not).

Loading never runs code from the file: JSON and plain numeric arrays only (no pickle, no eval),
classes come from allowlists (or the caller's custom_objects), and every malformed or hostile
input ends in a ValueError that says what is wrong.

Also here: pickling and deep-copying models (the C plans are dropped and rebuilt lazily).
"""
import copy
import datetime
import io
import json
import math
import os
import re
import struct
import sys
import tempfile
import warnings
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from cnn import _core

_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS_H5 = "model.weights.h5"
_WEIGHTS_NPZ = "model.weights.npz"
_KERAS_FORMAT_VERSION = "3.0.0"      # the Keras 3 saving layout these files follow
_MAX_JSON_BYTES = 64 << 20
_MAX_MEMBERS = 10000
_MAX_LAYERS = 100000
_BOMB_FLOOR = 64 << 20               # a member above this must not expand > _BOMB_RATIO times
_BOMB_RATIO = 100
_H5_EXTRA = 'pip install "cnn[h5]"'
_warned_npz = [False]
# what zipfile raises on damaged archives (besides ValueError)
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError,
               KeyError, struct.error)


# ------------------------------------------------------------------------------ small helpers

def _require_h5py(what):
    try:
        import h5py
    except ImportError:
        raise ImportError(f"{what} needs the h5py package, which is not installed. Install it with "
                          f"{_H5_EXTRA} (or pip install h5py).") from None
    return h5py


def _have_h5py():
    try:
        import h5py  # noqa: F401
        return True
    except ImportError:
        return False


def _keras_snake(name):
    """Keras's snake case of a class name: ReLU -> re_lu, BatchNormalization -> batch_normalization."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot save {obj!r} (of type {type(obj).__name__}) in a model config: only "
                    "numbers, strings, lists and dicts can be saved")


def _dumps(obj):
    try:
        return json.dumps(obj, default=_json_default)
    except (TypeError, ValueError) as e:
        raise ValueError(f"The model cannot be saved: {e}") from None


def _is_file_object(f, method):
    return hasattr(f, method) and not isinstance(f, (str, bytes, os.PathLike))


def _ask_overwrite(path):
    """Keras asks before overwriting when overwrite=False; without a terminal we refuse."""
    if not os.path.exists(path):
        return True
    if not (sys.stdin and sys.stdin.isatty()):
        raise FileExistsError(f"{path} already exists and overwrite=False")
    answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    return answer == "y"


def _write_atomically(path, data):
    """Writes bytes to path through a temporary file in the same folder (no half-written files)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cnn-save-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# ------------------------------------------------------------------------------ model -> config

def _layers_config(model):
    layers = model.get_config()["layers"]
    body = [entry for entry in layers if entry["class_name"] != "InputLayer"]
    for entry, layer in zip(body, model._layers):
        if model.built and layer.input_shape is not None:
            entry["build_config"] = {"input_shape": list(layer.input_shape)}
    return layers


def _serialize_with_module(obj, module):
    """A cnn object (a metric) in serialize_keras_object's layout."""
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def _optimizer_config(opt):
    config = opt.get_config()
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        lr = dict(lr)
        lr.setdefault("module", "keras.optimizers.schedules")
        lr.setdefault("registered_name", None)
        config["learning_rate"] = lr
    elif callable(lr):
        warnings.warn("The optimizer's learning_rate is a Python function, which cannot be saved; the "
                      "file keeps its current value instead.", UserWarning, stacklevel=4)
        config["learning_rate"] = float(opt.learning_rate)
    return {"module": "keras.optimizers", "class_name": type(opt).__name__, "config": config,
            "registered_name": None}


def _compile_config(model):
    from cnn import losses
    args = model._compile_args
    loss = args["loss"]
    if not isinstance(loss, str):
        loss = losses.serialize(loss)
        loss.setdefault("registered_name", None)
    metric_list = None
    if args.get("metrics") is not None:
        metric_list = [m if isinstance(m, str) else _serialize_with_module(m, "keras.metrics")
                       for m in model._metric_specs]
    return {"optimizer": _optimizer_config(model.optimizer), "loss": loss, "loss_weights": None,
            "metrics": metric_list, "weighted_metrics": None, "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def model_config(model):
    """serialize_keras_object(model) as Keras 3 writes it into config.json."""
    config = model.get_config()
    config["layers"] = _layers_config(model)
    if model.built:
        config["build_input_shape"] = list(model.input_shape)
    out = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    if model.built:
        out["build_config"] = {"input_shape": list(model.input_shape)}
    if model.compiled:
        out["compile_config"] = _compile_config(model)
    return out


# ------------------------------------------------------------------------------ config -> model

def _layer_classes():
    from cnn import layers
    return {name: getattr(layers, name) for name in (
        "InputLayer", "Dense", "Dropout", "BatchNormalization", "Activation", "Flatten", "Reshape",
        "ReLU", "LeakyReLU", "ELU", "Softmax", "GaussianNoise", "GaussianDropout", "AlphaDropout", "LayerNormalization")}


# Keras config keys cnn's layers do not take, with the value meaning "feature off".
_KERAS_ONLY_KEYS = {
    "InputLayer": {"optional": False, "ragged": False, "sparse": False},
    "Dense": {"quantization_config": None, "lora_rank": None, "lora_alpha": None},
}
_INITIALIZER_ONLY_KEYS = {"input_axes": None, "output_axes": None}


def _check_no_code(obj, depth=0):
    """Refuses Python lambdas and Lambda layers anywhere in a config (cnn never runs stored code)."""
    if depth > 100:
        raise ValueError("The model config is nested too deeply to be a model")
    if isinstance(obj, dict):
        name = obj.get("class_name")
        if name in ("__lambda__", "Lambda", "TFOpLambda"):
            raise ValueError(f"The file asks to rebuild {name!r}: stored Python code. cnn never runs code "
                             "from a file (whatever safe_mode says); rebuild that part in your own code.")
        for v in obj.values():
            _check_no_code(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            _check_no_code(v, depth + 1)


def _check_module(entry, what):
    module = entry.get("module")
    class_name = entry.get("class_name")
    if module is not None and not isinstance(module, str):
        raise ValueError(f"The module of {what} {class_name!r} is not a string")
    if module is None or module in ("keras", "cnn") or str(module).startswith(("keras.", "cnn.")):
        return
    if module == "builtins" and class_name == "function":
        return
    raise ValueError(f"Cannot load {what} {class_name!r} from module {module!r}: only Keras and cnn "
                     "objects can be loaded (pass your own classes in custom_objects=...)")


def _strip_keras_only(class_name, config):
    config = dict(config)
    for key, off in _KERAS_ONLY_KEYS.get(class_name, {}).items():
        if key in config:
            if config[key] not in (off, None):
                raise ValueError(f"{class_name}({key}={config[key]!r}) is not supported by cnn")
            del config[key]
    for key, value in list(config.items()):   # nested initializer configs (Keras 3.15 axes keys)
        if isinstance(value, dict) and isinstance(value.get("config"), dict):
            inner = {k: v for k, v in value["config"].items()
                     if not (k in _INITIALIZER_ONLY_KEYS and v is None)}
            config[key] = {**value, "config": inner}
    return config


def _layer_from_entry(entry, custom_objects):
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"A layer entry of the model config is not a {{'class_name': ..., 'config': ...}} "
                         f"dict: {str(entry)[:200]}")
    class_name = entry["class_name"]
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"The config of layer {class_name!r} is not a dict")
    registered = entry.get("registered_name")
    if registered is not None and not isinstance(registered, str):
        raise ValueError(f"The registered_name of layer {class_name!r} is not a string")
    cls = custom_objects.get(class_name) or (custom_objects.get(registered) if registered else None)
    if cls is None:
        _check_module(entry, "layer")
        if registered not in (None, class_name):
            raise ValueError(f"Layer {registered!r} is a registered custom class: pass it in "
                             "custom_objects={...} to load it")
        cls = _layer_classes().get(class_name)
        if cls is None:
            raise ValueError(f"Unknown layer class {class_name!r}: cnn can load "
                             f"{', '.join(sorted(_layer_classes()))} (pass other classes in custom_objects)")
        config = _strip_keras_only(class_name, config)
    try:
        return cls.from_config(config)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as e:
        raise ValueError(f"Cannot rebuild layer {class_name!r} from its config: {e}") from None


def _shape_from(value, what):
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise ValueError(f"{what} must be a list like [null, 11], got {str(value)[:100]}")
    return tuple(value)


def sequential_from_config(config, custom_objects=None, cls=None, max_params=None, input_shape=None):
    """A Sequential from its get_config() dict (the 'config' part of config.json). max_params: refuse
    configs asking for more weights than that (a file's weights must hold them all)."""
    from cnn.layers.core import InputLayer
    from cnn.models import Sequential
    cls = cls or Sequential
    custom_objects = dict(custom_objects or {})
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("A Sequential model configuration must be a dictionary containing the 'name' and "
                         "'layers' keys")
    _check_no_code(config)
    entries = config["layers"]
    if len(entries) > _MAX_LAYERS:
        raise ValueError(f"The model config lists {len(entries)} layers; that is not a real model")
    name = config.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"The model name must be a string, got {name!r}")
    layers = [_layer_from_entry(e, custom_objects) for e in entries]
    model = cls(name=name)
    try:
        for layer in layers:
            model.add(layer, rebuild=False)
        if model._input is None:
            shape = config.get("build_input_shape")
            if shape is None and entries and isinstance(entries[0], dict):
                shape = (entries[0].get("build_config") or {}).get("input_shape")
            if shape is None:
                shape = input_shape
            if shape is not None:
                model._input = InputLayer(batch_shape=_shape_from(shape, "build_input_shape"))
        if max_params is not None and _count_params(model) > max_params:
            raise ValueError(f"The model config asks for {_count_params(model)} weights but the file stores "
                             f"at most {max_params}: the file is corrupt or hostile")
        model._maybe_build()
    except (TypeError, KeyError, AttributeError, OverflowError) as e:
        raise ValueError(f"Cannot rebuild the model from its config: {e}") from None
    if config.get("trainable") is False:
        model.trainable = False
    return model


def _count_params(model):
    """Floats the built model will hold, from the layer configs alone (nothing allocated yet)."""
    from cnn import layers as L
    if model._input is None:
        return 0
    shape, total = model._input.shape, 0
    for layer in model._layers:
        if isinstance(layer, L.Dense):
            total += shape[-1] * layer.units + (layer.units if layer.use_bias else 0)
        elif isinstance(layer, L.BatchNormalization):
            total += shape[-1] * (2 + int(layer.center) + int(layer.scale))
        shape = layer.compute_output_shape(shape)
    return total


# ------------------------------------------------------------------------------ compile config

def _deserialize_optimizer(spec, custom_objects):
    from cnn import optimizers
    if isinstance(spec, str):
        return optimizers.get(spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Cannot interpret the saved optimizer {str(spec)[:200]}")
    name = spec["class_name"]
    cls = custom_objects.get(name)
    if cls is None:
        _check_module(spec, "optimizer")
        cls = optimizers._REGISTRY.get(name.lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer class {name!r} in the file. Known: "
                         f"{', '.join(sorted(optimizers._REGISTRY))}")
    config = dict(spec.get("config") or {})
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        _check_module(lr, "learning-rate schedule")
    return cls.from_config(config)


def _deserialize_loss(spec, custom_objects):
    from cnn import losses
    if isinstance(spec, str):
        if spec in custom_objects:
            return custom_objects[spec]
        losses.get(spec)   # fails early on unknown names
        return spec
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Cannot interpret the saved loss {str(spec)[:200]} (only one loss per model)")
    name = spec["class_name"]
    if name in custom_objects:
        obj = custom_objects[name]
        return obj.from_config(spec.get("config") or {}) if isinstance(obj, type) else obj
    _check_module(spec, "loss")
    if name == "function":
        fn = spec.get("config")
        if not isinstance(fn, str):
            raise ValueError(f"Cannot interpret the saved loss function {str(spec)[:200]}")
        return custom_objects[fn] if fn in custom_objects else losses.get(fn)
    if name not in losses._OBJECTS or not isinstance(losses._OBJECTS[name], type):
        raise ValueError(f"Unknown loss class {name!r} in the file")
    config = {k: v for k, v in (spec.get("config") or {}).items() if k != "dtype"}
    return losses._OBJECTS[name].from_config(config)


def _deserialize_metric(spec, custom_objects):
    from cnn import metrics
    if isinstance(spec, str):
        return custom_objects.get(spec, spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Cannot interpret the saved metric {str(spec)[:200]}")
    name = spec["class_name"]
    if name in custom_objects:
        obj = custom_objects[name]
        return obj.from_config(spec.get("config") or {}) if isinstance(obj, type) else obj
    _check_module(spec, "metric")
    if name == "function" and isinstance(spec.get("config"), str):
        return spec["config"]
    cls = metrics._BY_NAME.get(name)
    if not isinstance(cls, type) or not name[:1].isupper():
        raise ValueError(f"Unknown metric class {name!r} in the file")
    return cls.from_config(spec.get("config") or {})


def _flat_metrics(value):
    if value is None:
        return None
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list):
        raise ValueError(f"The saved metrics must be a list, got {str(value)[:200]}")
    out = []
    for m in value:
        out.extend(m if isinstance(m, list) else [m])   # one output: [[...]] is the same list
    return out


def compile_from_config(model, compile_config, custom_objects=None):
    custom_objects = dict(custom_objects or {})
    if not isinstance(compile_config, dict):
        raise ValueError("compile_config must be a dict")
    try:
        optimizer = _deserialize_optimizer(compile_config.get("optimizer", "rmsprop"), custom_objects)
        loss = _deserialize_loss(compile_config.get("loss"), custom_objects)
        metric_specs = _flat_metrics(compile_config.get("metrics"))
        metric_list = None if metric_specs is None else [_deserialize_metric(m, custom_objects)
                                                         for m in metric_specs]
        weighted = _flat_metrics(compile_config.get("weighted_metrics"))
        if weighted:
            raise ValueError("weighted_metrics are not supported by cnn")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # legacy-spelling warnings were shown when first compiled
            model.compile(optimizer=optimizer, loss=loss, metrics=metric_list)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as e:
        raise ValueError(f"Cannot restore the model's compile() arguments from the file: {e}. Load it with "
                         "compile=False and call compile() yourself.") from None


# ------------------------------------------------------------------------------ weight paths

def _layer_paths(model):
    """Keras's group of each layer: snake class name plus a per-model counter."""
    used, out = {}, []
    for layer in model._layers:
        base = _keras_snake(type(layer).__name__)
        n = used.get(base)
        used[base] = 0 if n is None else n + 1
        out.append(base if n is None else f"{base}_{n + 1}")
    return out


def _keras_order(layer):
    """A layer's variables in Keras's order: created-trainable first, then the others."""
    vs = layer._variables
    return ([v for v in vs if getattr(v, "_can_train", True)] +
            [v for v in vs if not getattr(v, "_can_train", True)])


def _trainable_vars(model):
    """The trainable variables in the flat buffer's (and Keras's trainable_variables) order."""
    if not model._trainable:
        return []
    return [v for layer in model._layers for v in layer._variables if v.trainable]


def _slot_groups(rec):
    """Keras's optimizer variables after [iteration, learning_rate]: a list of groups, each a list of
    cnn slot indices interleaved per trainable variable (from csrc/optim.c's slot meaning)."""
    kind, momentum, amsgrad, centered = _core.enums["opt"][rec["kind"]], rec["momentum"], rec["amsgrad"], rec["centered"]
    if kind == 0:                       # SGD: momentum
        return [[0]] if np.float32(momentum) != 0 else []
    if kind == 1:                       # Adam/AdamW: (m, v), then v_hat
        return [[0, 1]] + ([[2]] if amsgrad else [])
    if kind == 2:                       # RMSprop: velocity; momentum; average gradient
        groups = [[0]]
        if np.float32(momentum) > 0:
            groups.append([1])
        if centered:
            groups.append([len(groups)])
        return groups
    if kind in (3, 7):                  # Adagrad accumulator, Lion momentum
        return [[0]]
    if kind in (4, 5, 6, 8):            # Adadelta, Adamax, Nadam, Ftrl: two interleaved slots
        return [[0, 1]]
    raise ValueError(f"unknown optimizer kind {kind}")


def _has_lr_variable(opt):
    from cnn.optimizers import _is_schedule
    lr = opt._learning_rate
    return not (_is_schedule(lr) or callable(lr))


def _optimizer_entries(model):
    """[(what, shape)] of Keras's optimizer variables for this model, with what = 'iteration', 'lr',
    ('slot', s, variable) or ('state', k)."""
    opt = model.optimizer
    rec = opt._c_record()
    entries = [("iteration", ())]
    if _has_lr_variable(opt):
        entries.append(("lr", ()))
    groups = _slot_groups(rec)
    if sum(len(g) for g in groups) != _core.opt_slot_count(rec):
        raise RuntimeError("cnn's optimizer slots do not match Keras's layout (saving.py _slot_groups)")
    tvars = _trainable_vars(model)
    for group in groups:
        for v in tvars:
            for s in group:
                entries.append((("slot", s, v), v.shape))
    for k in range(_core.opt_state_count(rec)):
        entries.append((("state", k), ()))
    return entries, rec


def _current_slots(model, rec):
    """The model's slots buffer if it matches the current layout, else freshly initialised slots."""
    n = model._n_trainable
    size = max(_core.opt_slot_count(rec) * n + _core.opt_state_count(rec), 1)
    if model._slots is not None and model._slots_layout == (model._layout, rec) and model._slots.size == size:
        return model._slots
    slots = np.zeros(size, np.float32)
    _core.opt_init_slots(rec, slots, n)
    return slots


def _collect_state(model, include_optimizer=True):
    """{path: array} of everything Keras's model.weights.h5 holds, plus group attrs."""
    arrays, attrs = {}, {"vars": {"name": model.name}}
    if model.built:
        model._pack_weights()
    for layer, path in zip(model._layers, _layer_paths(model)):
        attrs[f"layers/{path}/vars"] = {"name": layer.name}
        for i, v in enumerate(_keras_order(layer)):
            arrays[f"layers/{path}/vars/{i}"] = np.array(v.numpy(), dtype=np.float32)
    if include_optimizer and model.compiled and model.optimizer is not None and model.built:
        opt = model.optimizer
        attrs["optimizer/vars"] = {"name": opt.name}
        entries, rec = _optimizer_entries(model)
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
            else:
                arrays[key] = np.array(slots[_core.opt_slot_count(rec) * n + what[1]], dtype=np.float32)
    return arrays, attrs


# ------------------------------------------------------------------------------ stores

def _h5_bytes(arrays, attrs):
    h5py = _require_h5py("Writing HDF5 weights")
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for path, group_attrs in attrs.items():
            group = f.require_group(path)
            for k, v in group_attrs.items():
                group.attrs[k] = v
        for path, value in arrays.items():
            f.create_dataset(path, data=value)
    return buf.getvalue()


def _npz_bytes(arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


class _H5Reader:
    """Reads datasets by path from HDF5 bytes, checking links, layout, shape and dtype first."""

    _ERRORS = (KeyError, OSError, RuntimeError, TypeError, AttributeError, OverflowError)  # h5py, corrupt files

    def __init__(self, data, what):
        h5py = _require_h5py(f"Loading {what}")
        self._h5py = h5py
        self.what = what
        try:
            self.f = h5py.File(io.BytesIO(data), "r")
        except (ValueError,) + self._ERRORS as e:
            raise ValueError(f"{what} is not a readable HDF5 file: {e}") from None

    def _node(self, path):
        """The object at path through hard links only, or None when absent."""
        h5py, node = self._h5py, self.f
        try:
            for part in path.split("/"):
                if not isinstance(node, h5py.Group) or part not in node:
                    return None
                link = node.get(part, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    raise ValueError(f"{self.what}: '{path}' is a {type(link).__name__}; links are not allowed")
                node = node[part]
        except self._ERRORS as e:
            raise ValueError(f"{self.what}: cannot read '{path}': {e}") from None
        return node

    def keys(self, path):
        group = self._node(path)
        if group is None:
            return None
        if not isinstance(group, self._h5py.Group):
            raise ValueError(f"{self.what}: '{path}' should be a group")
        try:
            return set(group.keys())
        except self._ERRORS as e:
            raise ValueError(f"{self.what}: cannot list '{path}': {e}") from None

    def get(self, path, shape, kinds="f"):
        ds = self._node(path)
        if not isinstance(ds, self._h5py.Dataset):
            raise ValueError(f"{self.what}: '{path}' is missing or not a dataset")
        try:
            if ds.external or ds.is_virtual:
                raise ValueError(f"{self.what}: '{path}' points outside the file; not allowed")
            _check_array_header(self.what, path, ds.shape, ds.dtype, shape, kinds)
            return np.asarray(ds[()])
        except self._ERRORS as e:
            raise ValueError(f"{self.what}: cannot read '{path}': {e}") from None

    def close(self):
        self.f.close()


class _NpzReader:
    """Reads the arrays of our npz weights without np.load: headers checked, never pickle."""

    def __init__(self, data, what):
        self.what = what
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            self.names = set(self.zf.namelist())
        except (ValueError,) + _ZIP_ERRORS as e:
            raise ValueError(f"{what} is not a readable npz file: {e}") from None

    def has_group(self, path):
        return any(n.startswith(path + "/") for n in self.names)

    def keys(self, path):
        prefix = path + "/"
        found = {n[len(prefix):-4] for n in self.names if n.startswith(prefix) and n.endswith(".npy")}
        found = {k for k in found if "/" not in k}
        return found if found or self.has_group(path) else None

    def get(self, path, shape, kinds="f"):
        name = path + ".npy"
        if name not in self.names:
            raise ValueError(f"{self.what}: '{path}' is missing")
        info = self.zf.getinfo(name)
        _check_bomb(info, self.what)
        try:
            with self.zf.open(info) as f:
                version = npy_format.read_magic(f)
                read = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
                got_shape, fortran, dtype = read(f)
                _check_array_header(self.what, path, got_shape, dtype, shape, kinds)
                count = int(np.prod(got_shape))
                raw = f.read(count * dtype.itemsize)
        except _BadArray:
            raise
        except (ValueError,) + _ZIP_ERRORS as e:
            raise ValueError(f"{self.what}: cannot read '{path}': {e}") from None
        if len(raw) != count * dtype.itemsize:
            raise ValueError(f"{self.what}: '{path}' is truncated")
        out = np.frombuffer(raw, dtype=dtype, count=count)
        return out.reshape(got_shape, order="F" if fortran else "C")

    def close(self):
        self.zf.close()


class _BadArray(ValueError):
    """An array whose header does not fit the model (raised before any data is read)."""


def _check_array_header(what, path, got_shape, dtype, shape, kinds):
    if dtype.hasobject or dtype.kind not in kinds or dtype.itemsize > 8:
        raise _BadArray(f"{what}: '{path}' holds {dtype} values; expected "
                        f"{'floats' if kinds == 'f' else 'numbers'}")
    if tuple(got_shape) != tuple(shape):
        raise _BadArray(f"{what}: '{path}' has shape {tuple(got_shape)}, the model expects {tuple(shape)}")


def _check_bomb(info, what):
    if info.file_size > _BOMB_FLOOR and info.file_size > _BOMB_RATIO * max(info.compress_size, 1):
        raise ValueError(f"{what}: member '{info.filename}' declares {info.file_size} bytes but stores "
                         f"{info.compress_size}; refusing a potential decompression bomb")


# ------------------------------------------------------------------------------ applying state

def _read_layers(model, reader, skip_mismatch=False):
    """[(variable, value)] for every layer, all read and checked (nothing assigned yet)."""
    values = []
    for layer, path in zip(model._layers, _layer_paths(model)):
        group = f"layers/{path}/vars"
        expected = _keras_order(layer)
        keys = reader.keys(group) or set()
        want = {str(i) for i in range(len(expected))}
        try:
            if keys != want:
                raise ValueError(f"{reader.what}: layer '{layer.name}' ({group}) expects {len(expected)} "
                                 f"variables, the file has {len(keys)}")
            values.extend((v, reader.get(f"{group}/{i}", v.shape)) for i, v in enumerate(expected))
        except ValueError as e:
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping loading weights for layer '{layer.name}': {e}", stacklevel=4)
    return values


def _read_optimizer(model, reader):
    """(iterations, learning rate or None, slots) from the file, or None when it has no state for
    this optimizer (nothing assigned yet)."""
    if not model.compiled or model.optimizer is None:
        return None
    keys = reader.keys("optimizer/vars")
    if keys is None:
        return None
    opt = model.optimizer
    entries, rec = _optimizer_entries(model)
    head = 2 if _has_lr_variable(opt) else 1
    if keys == {str(i) for i in range(head)}:
        entries = entries[:head]     # saved before training: no slots yet
    elif keys != {str(i) for i in range(len(entries))}:
        warnings.warn(f"Skipping variable loading for optimizer '{opt.name}', because it has {len(entries)} "
                      f"variables whereas the saved optimizer has {len(keys)} variables.", stacklevel=4)
        return None
    n = model._n_trainable
    slots = np.zeros(max(_core.opt_slot_count(rec) * n + _core.opt_state_count(rec), 1), np.float32)
    _core.opt_init_slots(rec, slots, n)
    iterations, lr = None, None
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
            slots[start:start + int(np.prod(shape))] = np.asarray(reader.get(key, shape), np.float32).ravel()
        else:
            slots[_core.opt_slot_count(rec) * n + what[1]] = np.float32(reader.get(key, ()))
    return iterations, lr, slots, rec


def _load_state(model, reader, skip_mismatch=False):
    """Reads the layers' and the optimizer's variables, then (only if all of it is sound) assigns them."""
    values = _read_layers(model, reader, skip_mismatch)
    state = _read_optimizer(model, reader)
    for v, value in values:
        v.assign(np.asarray(value, dtype=np.float32))
    if state is None:
        return
    iterations, lr, slots, rec = state
    model.optimizer.iterations = iterations
    if lr is not None:
        model.optimizer._learning_rate = lr
    if (model._slots is not None and model._slots.shape == slots.shape
            and model._slots_layout == (model._layout, rec)):
        model._slots[...] = slots    # in place: a plan fit() built before its callbacks ran sees it
    else:
        model._slots, model._slots_layout = slots, (model._layout, rec)
        model._plan = None


# ------------------------------------------------------------------------------ zip archives

def _safe_names(zf, what):
    infos = zf.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ValueError(f"{what} holds {len(infos)} members; not a model file")
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
            raise ValueError(f"{what} contains an unsafe member name {name!r}; refusing to load it")
    return {i.filename: i for i in infos}


def _read_member(zf, info, what, limit=None):
    _check_bomb(info, what)
    if limit is not None and info.file_size > limit:
        raise ValueError(f"{what}: member '{info.filename}' is {info.file_size} bytes, too large")
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except (ValueError,) + _ZIP_ERRORS as e:
        raise ValueError(f"{what}: cannot read member '{info.filename}': {e}") from None
    if len(data) != info.file_size:
        raise ValueError(f"{what}: member '{info.filename}' is not the size it declares")
    return data


def _open_zip(source, what):
    try:
        return zipfile.ZipFile(source, "r")
    except (ValueError,) + _ZIP_ERRORS as e:
        raise ValueError(f"{what} is not a valid .keras file (a zip archive): {e}") from None


def _archive_bytes(model, weights_format):
    config_json = _dumps(model_config(model))
    metadata = _dumps({"keras_version": _KERAS_FORMAT_VERSION, "saved_by": f"cnn {_cnn_version()}",
                       "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    arrays, attrs = _collect_state(model)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(_METADATA, metadata)
        zf.writestr(_CONFIG, config_json)
        if weights_format == "h5":
            zf.writestr(_WEIGHTS_H5, _h5_bytes(arrays, attrs))
        else:
            zf.writestr(_WEIGHTS_NPZ, _npz_bytes(arrays))
    return buf.getvalue()


def _cnn_version():
    import cnn
    return getattr(cnn, "__version__", "?")


# ------------------------------------------------------------------------------ public API

def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """model.save(filepath): a `.keras` zip (Keras 3 layout)."""
    include_optimizer = kwargs.pop("include_optimizer", True)  # accepted as Keras does; .keras keeps it
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    del include_optimizer
    to_file_object = _is_file_object(filepath, "write")
    path = None if to_file_object else os.fspath(filepath)
    if save_format is not None:
        if path is not None and not path.endswith((".keras", ".h5", ".hdf5")):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument "
                             "and pass a file path with either `.keras` or `.h5` extension."
                             f"Received: save_format={save_format}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3. We recommend removing this "
                      "argument as it can be inferred from the file path. "
                      f"Received: save_format={save_format}", UserWarning, stacklevel=3)
    if zipped is False:
        raise ValueError("zipped=False (a model folder) is not supported by cnn; save to a .keras file")
    if path is not None and path.endswith((".h5", ".hdf5")):
        raise ValueError(f"cnn does not write the legacy HDF5 model format ({path}); save to a `.keras` file "
                         "(Keras 3's format, which Keras 3 loads), e.g. model.save('model.keras'), or use "
                         "model.save_weights('model.weights.h5') for the weights alone.")
    if path is not None and not path.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for "
                         "the native Keras format (recommended) or a `.h5` extension. Use "
                         "`model.export(filepath)` if you want to export a SavedModel for use with "
                         f"TFLite/TFServing/etc. Received: filepath={path}.")
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not contain any weights "
                      "yet. Consider building the model first by calling it on some data.", UserWarning,
                      stacklevel=3)
    weights_format = "h5" if _have_h5py() else "npz"
    if weights_format == "npz" and not _warned_npz[0]:
        _warned_npz[0] = True
        warnings.warn("h5py is not installed, so the weights are stored as model.weights.npz inside the "
                      ".keras file: cnn loads it, Keras needs the HDF5 form. For files Keras can load, "
                      f"install the extra: {_H5_EXTRA}", UserWarning, stacklevel=3)
    data = _archive_bytes(model, weights_format)
    if to_file_object:
        filepath.write(data)
        return
    if not overwrite and not _ask_overwrite(path):
        return
    _write_atomically(path, data)


def _weights_limit(info, archive_size):
    """At most how many weights the member can hold (float16 is the narrowest dtype accepted). Its
    declared sizes may lie, but what is stored cannot exceed the archive, nor expand past the bomb bound."""
    stored = min(info.compress_size, archive_size)
    return min(info.file_size, max(_BOMB_FLOOR, _BOMB_RATIO * stored)) // 2


def _source_size(source):
    if isinstance(source, str):
        return os.path.getsize(source)
    position = source.tell()
    size = source.seek(0, io.SEEK_END)
    source.seek(position)
    return size


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """cnn.models.load_model: a Sequential from a `.keras` file (ours or Keras 3's)."""
    del safe_mode   # cnn never deserializes code, whatever the flag says
    if _is_file_object(filepath, "read"):
        source, what = filepath, "The file object"
    else:
        path = os.fspath(filepath)
        what = path
        if path.endswith((".h5", ".hdf5")):
            raise ValueError(f"{path}: cnn does not read the legacy HDF5 model format; load it in Keras and "
                             "save it again as .keras, or build the model in code and use "
                             "model.load_weights(...)")
        if not path.endswith(".keras"):
            raise ValueError(f"File format not supported: filepath={path}. cnn loads `.keras` files (Keras 3's "
                             "format).")
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}. Please ensure the file is an accessible "
                             "`.keras` zip file.")
        source = path
    with _open_zip(source, what) as zf:
        members = _safe_names(zf, what)
        if _CONFIG not in members:
            raise ValueError(f"{what} has no config.json: it is not a .keras model file")
        try:
            config = json.loads(_read_member(zf, members[_CONFIG], what, _MAX_JSON_BYTES))
        except (ValueError, RecursionError) as e:   # bad UTF-8 or JSON, absurdly long numbers
            raise ValueError(f"{what}: config.json is not valid JSON: {e}") from None
        if _WEIGHTS_H5 in members:
            weights_info = members[_WEIGHTS_H5]
            _require_h5py(f"Loading {what} (its weights are HDF5)")
        elif _WEIGHTS_NPZ in members:
            weights_info = members[_WEIGHTS_NPZ]
        else:
            raise ValueError(f"{what} has neither {_WEIGHTS_H5} nor {_WEIGHTS_NPZ}: no weights to load")
        _check_bomb(weights_info, what)
        limit = _weights_limit(weights_info, _source_size(source))
        model = _model_from_file_config(config, custom_objects, compile, what, limit)
        data = _read_member(zf, weights_info, what)
    reader = (_H5Reader if weights_info.filename == _WEIGHTS_H5 else _NpzReader)(data, f"{what} (weights)")
    try:
        _load_state(model, reader)
    finally:
        reader.close()
    return model


def _model_from_file_config(config, custom_objects, compile, what, limit):
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"{what}: config.json does not describe a model")
    _check_no_code(config)
    class_name = config.get("class_name")
    if class_name != "Sequential":
        raise ValueError(f"{what} holds a {class_name!r} model; cnn loads Sequential models only")
    _check_module(config, "model")
    shape = (config.get("build_config") or {}).get("input_shape") if isinstance(config.get("build_config"),
                                                                               dict) else None
    model = sequential_from_config(config["config"], custom_objects, max_params=limit, input_shape=shape)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        compile_from_config(model, compile_config, custom_objects)
    return model


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """model.save_weights(path): `.weights.h5` with the layers' and the optimizer's variables."""
    path = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError("max_shard_size (sharded weights) is not supported by cnn")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the model first by "
                         "calling it on some data or by using `build()`.")
    _require_h5py("model.save_weights (the .weights.h5 format is HDF5)")
    arrays, attrs = _collect_state(model)
    data = _h5_bytes(arrays, attrs)
    if not overwrite and not _ask_overwrite(path):
        return
    _write_atomically(path, data)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """model.load_weights(path) from `.weights.h5` or `.keras` (layers, and the optimizer when compiled)."""
    if kwargs.pop("by_name", None):
        raise ValueError("`by_name` only supports loading legacy '.h5' or '.hdf5' files, which cnn does not "
                         "read")
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. Try building the "
                         "model first by calling it on some data or by using `build()`.")
    if path.endswith(".keras"):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}")
        with _open_zip(path, path) as zf:
            members = _safe_names(zf, path)
            if _WEIGHTS_H5 in members:
                _require_h5py(f"Loading {path} (its weights are HDF5)")
                reader_cls, info = _H5Reader, members[_WEIGHTS_H5]
            elif _WEIGHTS_NPZ in members:
                reader_cls, info = _NpzReader, members[_WEIGHTS_NPZ]
            else:
                raise ValueError(f"{path} has neither {_WEIGHTS_H5} nor {_WEIGHTS_NPZ}: no weights to load")
            data = _read_member(zf, info, path)
        reader = reader_cls(data, f"{path} (weights)")
    elif path.endswith(".weights.h5"):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}")
        _require_h5py("model.load_weights (the .weights.h5 format is HDF5)")
        with open(path, "rb") as f:
            reader = _H5Reader(f.read(), path)
    elif path.endswith((".h5", ".hdf5")):
        raise ValueError(f"{path}: cnn does not read legacy HDF5 weight files; Keras 3 names weight files "
                         "`.weights.h5`")
    else:
        raise ValueError(f"File format not supported: filepath={path}. Keras 3 only supports V3 `.keras` files "
                         "and `.weights.h5` files.")
    try:
        model._pack_weights()
        _load_state(model, reader, skip_mismatch)
    finally:
        reader.close()


# ------------------------------------------------------------------------------ pickle / deepcopy

_DROPPED = ("_plan", "_predict_plan", "_plan_key", "_predict_key")


def model_getstate(model):
    """The model's __dict__ without its C plans; the weights travel inside the layers' variables."""
    state = dict(model.__dict__)
    for key in _DROPPED:
        state.pop(key, None)
    layout = state.get("_slots_layout")
    slots_ok = model._slots is not None and layout is not None and layout[0] == model._layout
    state["_slots_rec"] = layout[1] if slots_ok else None
    if not slots_ok:
        state["_slots"] = None
    state["_slots_layout"] = None
    state["_layout"] = ()               # holds id()s, meaningless in another process
    state["_offsets"] = {}
    state["_params"] = np.zeros(0, np.float32)   # rebuilt from the variables
    return state


def model_setstate(model, state):
    state = dict(state)
    rec = state.pop("_slots_rec", None)
    model.__dict__.update(state)
    model._plan = model._predict_plan = None
    model._plan_key = model._predict_key = None
    if model.built:
        model._pack_weights()          # variables become views of one new flat buffer again
    if rec is not None and model._slots is not None:
        model._slots_layout = (model._layout, rec)


def model_deepcopy(model, memo):
    new = model.__class__.__new__(model.__class__)
    memo[id(model)] = new
    model_setstate(new, copy.deepcopy(model_getstate(model), memo))
    return new
