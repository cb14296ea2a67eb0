"""The config registry: a model <-> Keras 3's config.json layout.

Layer classes come from an allow-list, the classes `cnn.layers` exports plus the caller's
custom_objects; a file can never name a module to import. Each layer class declares what saving
needs (get_config/from_config, `_keras_only_config`, `_count_params_for`): nothing here knows a
layer type.
"""
from cnn.saving._common import MAX_JSON_DEPTH, MAX_LAYERS

# Keras 3.15's initializer configs carry these; cnn's initializers do not take them.
_INITIALIZER_ONLY_KEYS = {"input_axes": None, "output_axes": None}
_CODE_CLASSES = ("__lambda__", "Lambda", "TFOpLambda")


# ------------------------------------------------------------------------------ model -> config

def _layers_config(model):
    layers = model.get_config()["layers"]
    body = [entry for entry in layers if entry["class_name"] != "InputLayer"]
    for entry, layer in zip(body, model._layers):
        if model.built and layer.input_shape is not None and "build_config" not in entry:
            entry["build_config"] = {"input_shape": list(layer.input_shape)}
    return layers


def model_config(model):
    """serialize_keras_object(model) as Keras 3 writes it into config.json."""
    from cnn.saving.compile_config import compile_config
    if getattr(model, "_subclass_mode", False):
        from cnn.saving import subclassed
        return subclassed.model_config(model)
    from cnn.saving.functional import FUNCTIONAL_MODULE, _is_functional
    if _is_functional(model):
        out = {"module": FUNCTIONAL_MODULE, "class_name": "Functional", "config": model.get_config(),
               "registered_name": "Functional", "build_config": {"input_shape": None}}
        if model.compiled:
            out["compile_config"] = compile_config(model)
        return out
    config = model.get_config()
    config["layers"] = _layers_config(model)
    if model.built:
        config["build_input_shape"] = list(model.input_shape)
    out = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    if model.built:
        out["build_config"] = {"input_shape": list(model.input_shape)}
    if model.compiled:
        out["compile_config"] = compile_config(model)
    return out


# ------------------------------------------------------------------------------ checks

def layer_classes():
    """The allow-list: every Layer subclass `cnn.layers` exports, by class name."""
    from cnn import layers
    from cnn.layers.base import Layer
    found = {}
    for name in layers.__all__:
        obj = getattr(layers, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and obj is not Layer:
            found[obj.__name__] = obj
    return found


def checked_entries(config):
    """(layer entries, name) of a model config, after the checks every model kind needs: the layer
    count, no code inside, a string name."""
    entries = config["layers"]
    if len(entries) > MAX_LAYERS:
        raise ValueError(f"The model config lists {len(entries)} layers; cnn loads at most {MAX_LAYERS}")
    check_no_code(config)
    name = config.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"The model name must be a string, got {name!r}")
    return entries, name


def check_no_code(obj, depth=0):
    """Refuses Python lambdas and Lambda layers anywhere in a config (cnn never runs stored code),
    and configs nested deeper than any real model's."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"The model config is nested more than {MAX_JSON_DEPTH} levels deep: not a model")
    if isinstance(obj, dict):
        name = obj.get("class_name")
        if name in _CODE_CLASSES:
            raise ValueError(f"The file asks to rebuild {name!r}: stored Python code. cnn never runs code "
                             "from a file (whatever safe_mode says); rebuild that part in your own code.")
        for v in obj.values():
            check_no_code(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            check_no_code(v, depth + 1)


def check_module(entry, what):
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


def _strip_keras_only(cls, config):
    """Drops the Keras config keys the class declares it does not take, when they say "feature off"."""
    config = dict(config)
    for key, off in getattr(cls, "_keras_only_config", {}).items():
        if key in config:
            if config[key] not in (off, None):
                raise ValueError(f"{cls.__name__}({key}={config[key]!r}) is not supported by cnn")
            del config[key]
    for key, value in list(config.items()):   # nested initializer configs (Keras 3.15 axes keys)
        if isinstance(value, dict) and isinstance(value.get("config"), dict):
            inner = {k: v for k, v in value["config"].items()
                     if not (k in _INITIALIZER_ONLY_KEYS and v is None)}
            config[key] = {**value, "config": inner}
    return config


# ------------------------------------------------------------------------------ config -> model

def _layer_from_entry(entry, custom_objects, allowed):
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
        check_module(entry, "layer")
        if registered not in (None, class_name):
            raise ValueError(f"Layer {registered!r} is a registered custom class: pass it in "
                             "custom_objects={...} to load it")
        cls = allowed.get(class_name)
        if cls is None:
            raise ValueError(f"Unknown layer class {class_name!r}: cnn can load "
                             f"{', '.join(sorted(allowed))} (pass other classes in custom_objects)")
        config = _strip_keras_only(cls, config)
    try:
        return cls.from_config(config)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as e:
        raise ValueError(f"Cannot rebuild layer {class_name!r} from its config: {e}") from None


def _shape_from(value, what):
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise ValueError(f"{what} must be a list like [null, 11], got {str(value)[:100]}")
    return tuple(value)


def count_params(model):
    """Floats the built model will hold, from what each layer declares (nothing allocated yet).
    A layer that cannot tell (a custom class) counts 0 here; its weights are checked when read."""
    if model._input is None:
        return 0
    shape, total = model._input.shape, 0
    for layer in model._layers:
        total += layer._count_params_for(shape) or 0
        shape = layer.compute_output_shape(shape)
    return total


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
    entries, name = checked_entries(config)
    from cnn.saving.functional import _make_layer
    allowed = layer_classes()
    layers = [_make_layer(e, custom_objects, allowed, max_params) for e in entries]
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
        if max_params is not None:
            wanted = count_params(model)
            if wanted > max_params:
                raise ValueError(f"The model config asks for {wanted} weights but the file stores at most "
                                 f"{max_params}: the file is corrupt or hostile")
        model._maybe_build()
    except (TypeError, KeyError, AttributeError, OverflowError) as e:
        raise ValueError(f"Cannot rebuild the model from its config: {e}") from None
    if config.get("trainable") is False:
        model.trainable = False
    return model


def model_from_file_config(config, custom_objects, compile, what, max_params):
    """The model config.json describes (compiled as it says, unless compile=False)."""
    from cnn.saving.compile_config import compile_from_config
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"{what}: config.json does not describe a model")
    check_no_code(config)
    class_name = config.get("class_name")
    if class_name not in ("Sequential", "Functional", "Model"):
        from cnn.saving import subclassed  # a user's class: registered, or given in custom_objects
        model = subclassed.model_from_config(config, custom_objects or {}, what, max_params)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            compile_from_config(model, compile_config, custom_objects)
        return model
    check_module(config, "model")
    if class_name != "Sequential":
        from cnn.saving.functional import functional_from_config
        model = functional_from_config(config["config"], custom_objects, max_params=max_params)
    else:
        build_config = config.get("build_config")
        shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
        model = sequential_from_config(config["config"], custom_objects, max_params=max_params, input_shape=shape)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        compile_from_config(model, compile_config, custom_objects)
    return model
