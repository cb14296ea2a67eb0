"""One registry helper behind the get / serialize / deserialize of initializers, regularizers,
constraints, activations, losses, optimizers and metrics: names and aliases -> objects."""


def keras_config(obj, module, registered_name=True):
    """Keras's serialize_keras_object layout of an object with get_config."""
    out = {"module": module, "class_name": type(obj).__name__, "config": obj.get_config()}
    if registered_name:
        out["registered_name"] = None
    return out


class Registry:
    """The objects of one kind (e.g. "initializer") under their names and aliases.

    module: the Keras module named in serialized configs (e.g. "keras.initializers").
    case_insensitive: look names up lower-cased (optimizers: 'Adam', 'adam', 'ADAM')."""

    def __init__(self, kind, module, case_insensitive=False):
        self.kind = kind
        self.module = module
        self._fold = str.lower if case_insensitive else (lambda name: name)
        self._by_name = {}

    def register(self, obj, *names):
        """Registers obj under each name (its __name__ when none is given); returns obj."""
        for name in names or (obj.__name__,):
            self._by_name[self._fold(name)] = obj
        return obj

    def register_classes(self, classes, snake=False):
        """Registers classes under their class names, and their snake-case names with snake=True."""
        from cnn._naming import to_snake_case
        for cls in classes:
            self.register(cls, cls.__name__, *([to_snake_case(cls.__name__)] if snake else []))

    def __contains__(self, name):
        return isinstance(name, str) and self._fold(name) in self._by_name

    def lookup(self, name, custom_objects=None):
        """The object registered under name, custom_objects first; None when unknown."""
        found = (custom_objects or {}).get(name)
        if found is None and isinstance(name, str):
            found = self._by_name.get(self._fold(name))
        return found

    def require(self, name, custom_objects=None, message=None):
        """lookup, or a ValueError naming the unknown identifier."""
        found = self.lookup(name, custom_objects)
        if found is None:
            raise ValueError(message or f"Could not interpret {self.kind} identifier: {name!r}. "
                                        f"Known names: {', '.join(self.names())}")
        return found

    def names(self, keep=None):
        """The registered names (sorted), those keep(name) accepts when given."""
        return sorted(n for n in self._by_name if keep is None or keep(n))

    def serialize(self, obj, registered_name=True):
        """Keras's serialize_keras_object layout of an object with get_config."""
        return keras_config(obj, self.module, registered_name)

    def deserialize(self, config, custom_objects=None, message=None):
        """The object a {"class_name": ..., "config": {...}} dict describes (cls.from_config)."""
        name = config.get("class_name")
        cls = self.require(name, custom_objects,
                           message or f"Could not interpret {self.kind} identifier: {config!r}")
        return cls.from_config(dict(config.get("config") or {}))
