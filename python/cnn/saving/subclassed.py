"""Subclassed models <-> config.json, as Keras 3 writes them.

The entry names the class (`class_name`, and `registered_name` "package>Name" when it was registered
with `register_keras_serializable`), holds `model.get_config()` and the input shape it was built for.
Loading finds the class among the registered ones or in custom_objects (never by importing a module
the file names), calls `cls.from_config(config)`, builds it (tracing `call`), then the weights are
read at the paths Keras's attribute walk gives (`cnn._tracking`).
"""
import inspect


def model_config(model):
    """serialize_keras_object(model) for a subclassed model."""
    from cnn.saving.compile_config import compile_config
    from cnn.saving.registration import get_registered_name
    cls = type(model)
    out = {"module": None, "class_name": cls.__name__, "config": model.get_config(),
           "registered_name": get_registered_name(cls)}
    if model.built and model.input_shape is not None:
        out["build_config"] = {"input_shape": _json_shape(model.input_shape)}
    if model.compiled:
        out["compile_config"] = compile_config(model)
    return out


def _json_shape(shape):
    if isinstance(shape, dict):
        return {k: _json_shape(v) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_json_shape(s) for s in shape]
    return list(shape)


def find_class(config, custom_objects, what):
    """The user's class a config.json entry names: registered, or given in custom_objects."""
    from cnn.models import Model
    from cnn.saving.registration import get_registered_object
    class_name, registered = config.get("class_name"), config.get("registered_name")
    if registered is not None and not isinstance(registered, str):
        raise ValueError(f"{what}: the model's registered_name is not a string")
    cls = None
    for key in (registered, class_name):
        if isinstance(key, str):
            cls = get_registered_object(key, custom_objects)
            if cls is not None:
                break
    if cls is None:
        raise ValueError(f"{what} holds a model of class {class_name!r} (registered as {registered!r}), which "
                         "is not a built-in class: pass it in custom_objects={" + repr(class_name) + ": "
                         f"{class_name}}}, or register it with @cnn.saving.register_keras_serializable()")
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise ValueError(f"{what}: custom_objects maps {class_name!r} to {cls!r}, which is not a cnn.Model "
                         "subclass")
    return cls


def model_from_config(config, custom_objects, what, max_params):
    """A subclassed model from its config.json entry, built for the saved input shape."""
    cls = find_class(config, custom_objects, what)
    inner = config.get("config")
    if not isinstance(inner, dict):
        raise ValueError(f"{what}: the config of model {config.get('class_name')!r} is not a dict")
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        model = cls.from_config(dict(inner), custom_objects=custom_objects)
    else:
        model = cls.from_config(dict(inner))
    build_config = config.get("build_config")
    shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
    if shape is not None:
        model.build(_shape(shape, what))
        if max_params is not None:
            wanted = sum(v._value.size for v in model._variables)
            if wanted > max_params:
                raise ValueError(f"{what}: the model asks for {wanted} weights but the file stores at most "
                                 f"{max_params}: the file is corrupt or hostile")
    return model


def _shape(value, what):
    if isinstance(value, dict):
        return {k: _shape(v, what) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(s, list) for s in value):
        return [_shape(s, what) for s in value]
    if not isinstance(value, list) or len(value) < 2 or not all(d is None or isinstance(d, int) for d in value):
        raise ValueError(f"{what}: build_config input_shape must be a list like [null, 11], got {str(value)[:100]}")
    return tuple(value)
