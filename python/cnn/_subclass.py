"""Subclassed models: `class MyModel(cnn.Model)` with layers as attributes and its own `call`.

What `cnn.Model` adds for its user subclasses (Sequential and the functional model are built in and
keep their own ways):
- layers assigned to attributes (also in lists, tuples, dicts, and nested models) are the model's
  layers, in assignment order (`cnn._tracking`);
- `model(x)` on arrays runs `call` eagerly, each layer on its C kernels;
- the first `fit`, `predict`, `evaluate` or `build` traces `call` once on symbolic tensors
  (`cnn._tracing`); the graph it records is trained in C like a functional model;
- `get_config` follows Keras's rule for subclasses: the constructor's arguments when they are simple
  (numbers, strings, booleans, None, lists and dicts of them), else the class's own get_config.
"""
import inspect

import numpy as np

from cnn import _tracing, _tracking

_SIMPLE = (str, int, float, bool, type(None))


# ------------------------------------------------------------------------------ config capture

def _flat(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _flat(v)]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


def capture_config(instance, cls, args, kwargs):
    """Keras's Operation.__new__: the constructor's arguments (defaults included) as the default
    config, kept only when every value is simple; None otherwise (the class must write get_config)."""
    config, error_args = None, False
    try:
        signature = inspect.signature(cls.__init__)
        spec = inspect.getfullargspec(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        bound = None
    if bound is not None:
        if any(p.kind == inspect.Parameter.POSITIONAL_ONLY for n, p in signature.parameters.items()
               if n != spec.args[0]):
            error_args = True
        else:
            bound.apply_defaults()
            found = dict(bound.arguments)
            found.update(found.pop(spec.varkw, {}) if spec.varkw else {})
            found.pop(spec.args[0], None)
            found.pop("name", None)
            if spec.varargs is not None and found.pop(spec.varargs, ()):
                error_args = True
            elif all(isinstance(v, _SIMPLE) for v in _flat(found)):
                config = found
    instance.__dict__["_auto_config"] = config
    instance.__dict__["_auto_config_error_args"] = error_args


def _overrides(model, name, base):
    return getattr(type(model), name) is not getattr(base, name)


# ------------------------------------------------------------------------------ the mixin

class SubclassAPI:
    """Mixed into cnn.Model ahead of Trainer and Layer; active for user subclasses only."""

    _subclass_mode = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("cnn.") and cls.__name__ != "Model":
            cls._subclass_mode = False          # Sequential, Functional: the built-in models

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if self._subclass_mode and name != "_layers" and _tracking.is_tracked_value(value):
            tracked = self.__dict__.get("_tracked")
            if tracked is None:
                tracked = {}
                object.__setattr__(self, "_tracked", tracked)
            tracked[name] = value
            self._refresh_layers()
        elif self._subclass_mode and name in self.__dict__.get("_tracked", ()):
            del self.__dict__["_tracked"][name]
            self._refresh_layers()

    def __delattr__(self, name):
        object.__delattr__(self, name)
        if name in self.__dict__.get("_tracked", ()):
            del self.__dict__["_tracked"][name]
            self._refresh_layers()

    def _refresh_layers(self):
        """self._layers: the direct children the attributes hold now (lists may have grown)."""
        if self._subclass_mode and "_tracked" in self.__dict__:
            layers = _tracking.child_layers(self)
            if [id(x) for x in layers] != [id(x) for x in self.__dict__.get("_layers") or ()]:
                object.__setattr__(self, "_layers", layers)
                plans = self.__dict__.get("_plans")
                if plans is not None:
                    plans.invalidate()
        return self.__dict__.get("_layers", [])

    def _init_subclassed(self, name, trainable, dtype, kwargs):
        """Model.__init__ of a user subclass: the state every model has, and Keras's arguments."""
        from cnn.layers.base import _unique_name
        from cnn._naming import to_snake_case
        if kwargs:
            raise TypeError(f"Model.__init__() got unexpected keyword arguments {sorted(kwargs)} (it takes "
                            "name, trainable and dtype)")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        _check_dtype(dtype)
        kept = self.__dict__.get("_layers")
        self._init_model(name or _unique_name(to_snake_case(type(self).__name__)), trainable)
        object.__setattr__(self, "_layers", kept or [])
        self.__dict__.setdefault("_tracked", {})
        self._trace_state = None       # (input structure of shapes, inputs, outputs) once traced
        self._refresh_layers()

    # -------------------------------------------------------------- structure
    def _subclass_children(self):
        return self._refresh_layers()

    def _assign_positions(self):
        """Each leaf layer's position, for its seeded initial weights (as a Sequential numbers them)."""
        for i, layer in enumerate(_tracking.leaf_layers(self)):
            if getattr(layer, "_position", None) is None and not layer.built:
                layer._position = i

    # -------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        if not self._subclass_mode:
            return super().__call__(*args, **kwargs)
        return _call(self, *args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` method implemented: "
                                  "a subclassed model defines call(self, inputs, training=False)")


def _check_dtype(dtype):
    if dtype is None or dtype == "float32":
        return
    if isinstance(dtype, dict) and (dtype.get("config") or {}).get("name") == "float32":
        return
    raise ValueError(f"cnn models compute in float32; got dtype={dtype!r}")


def _as_arrays(x):
    """The inputs of an eager call as float32 arrays, keeping lists, tuples and dicts."""
    from cnn import _data
    if isinstance(x, dict):
        return {k: _as_arrays(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and not np.isscalar(x[0]) and not isinstance(x[0], (list, float, int)):
        return type(x)(_as_arrays(v) for v in x)
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return x
    a = _data.as_array(x, "inputs")
    return np.asarray(a, dtype=np.float32)


def _call(model, inputs, *args, training=None, **kwargs):
    """model(inputs, training=..., **kwargs): eagerly on arrays, or recorded on symbolic tensors."""
    from cnn import _eager, _symbolic
    model._refresh_layers()
    model._assign_positions()
    symbolic = _symbolic.is_symbolic(inputs)
    if training is not None and not symbolic and not isinstance(training, _tracing.TrainingFlag):
        training = _eager.check_training(training)
    if training is not None and _tracing.accepts(model.call, "training"):
        kwargs["training"] = training
    if symbolic:      # inside another model's call being traced, or a functional model: inline the layers
        return model.call(inputs, *args, **kwargs)
    out = model.call(_as_arrays(inputs), *args, **kwargs)
    if not model.built:
        model.built = True
    return _outputs_as_arrays(out)


def _outputs_as_arrays(out):
    if isinstance(out, dict):
        return {k: _outputs_as_arrays(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return type(out)(_outputs_as_arrays(v) for v in out)
    return np.asarray(out, dtype=np.float32)
