"""Keras's registry of the user's own classes (`keras.saving.register_keras_serializable`): a class
registered as "package>Name" is saved under that name and found again when a file is loaded, without
custom_objects. Only classes the running program registered are ever found: a file cannot name one."""

_objects = {}     # "package>Name" -> class or function
_names = {}       # class or function -> "package>Name"


def register_keras_serializable(package="Custom", name=None):
    """Registers a class (or function) with the saving framework, under `"package>name"`.

    Args:
        package: the package part of the registered name (default "Custom").
        name: the name within the package (default: the class's `__name__`).

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Example:

    >>> import cnn
    >>> @cnn.saving.register_keras_serializable(package="demo")
    ... class Twice(cnn.Model):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.dense = cnn.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.dense(x) + self.dense(x)
    >>> cnn.saving.get_registered_name(Twice)
    'demo>Twice'
    """
    if not isinstance(package, str):
        raise TypeError(f"package must be a string, got {package!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {name!r}")

    def decorator(obj):
        registered = f"{package}>{name if name is not None else obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _objects[registered] = obj
        _names[obj] = registered
        return obj

    return decorator


def get_registered_name(obj):
    """The name obj was registered under, or its `__name__` when it was not registered."""
    return _names.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function registered (or given in custom_objects) under name; None if unknown."""
    if name in _objects:
        return _objects[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None
