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
import contextlib
import functools
import inspect
import threading

import numpy as np

from cnn import _tracing, _tracking

_SIMPLE = (str, int, float, bool, type(None))
# Where cnn's own models are defined: their classes are not user subclasses (another built-in model
# class elsewhere sets `_subclass_mode = False` itself).
_BUILTIN_MODULES = ("cnn.models", "cnn._functional", "cnn._subclassed_model")
_mode = threading.local()       # .graph: "train" while a training plan is described, else inference
_mode.graph = None


@contextlib.contextmanager
def graph_mode(mode):
    """Within it, subclassed models that branch on `training` give their `mode` graph ("train")."""
    before = getattr(_mode, "graph", None)
    _mode.graph = mode
    try:
        yield
    finally:
        _mode.graph = before


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


# ------------------------------------------------------------------------------ the mixin

class SubclassAPI:
    """Mixed into cnn.Model ahead of Trainer and Layer: what a user subclass adds to a Model.
    Sequential and Functional (built in, `_subclass_mode` False) define their own build, shapes,
    graph and config, and keep their own ways."""

    _subclass_mode = True
    _traced = None               # (inputs structure, input tensors, output structure, output tensors, nodes)
    _traced_train = None         # the same for training, when call branches on `training`
    _build_shape = None          # the input shape(s) the model was built for, batch axis first

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__ in _BUILTIN_MODULES:
            if "_subclass_mode" not in cls.__dict__:
                cls._subclass_mode = False      # Sequential, Functional: the built-in models
            return
        if not cls._subclass_mode:
            return
        from cnn.models import Model
        if Model in cls.__bases__:              # trains its traced graph as a functional model does
            from cnn._subclassed_model import SubclassedModel
            cls.__bases__ = tuple(SubclassedModel if base is Model else base for base in cls.__bases__)
        if "build" in cls.__dict__:
            cls.build = _wrap_build(cls.__dict__["build"])

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if not self._subclass_mode or name == "_layers":
            return
        tracked = self.__dict__.get("_tracked")
        if _tracking.is_layer(value) or (_tracking.is_tracked_value(value)
                                         and (not name.startswith("_") or _tracking.holds_layer(value))):
            if tracked is None:
                tracked = {}
                object.__setattr__(self, "_tracked", tracked)
            tracked[name] = value
            self._refresh_layers()
        elif tracked and name in tracked:
            del tracked[name]
            self._refresh_layers()

    def __delattr__(self, name):
        object.__delattr__(self, name)
        if name in (self.__dict__.get("_tracked") or ()):
            del self.__dict__["_tracked"][name]
            self._refresh_layers()

    def _refresh_layers(self):
        """self._layers: the direct children the attributes hold now (their lists may have grown)."""
        if self._subclass_mode and "_tracked" in self.__dict__:
            found = _tracking.child_layers(self)
            old = self.__dict__.get("_layers") or []
            ids = {id(x) for x in found}
            kept = {id(x) for x in old}
            # Keras's order: as first tracked (a layer appended to a list later comes last)
            layers = [x for x in old if id(x) in ids] + [x for x in found if id(x) not in kept]
            if [id(x) for x in layers] != [id(x) for x in old]:
                object.__setattr__(self, "_layers", layers)
                plans = self.__dict__.get("_plans")
                if plans is not None:
                    plans.invalidate()
        return self.__dict__.get("_layers", [])

    def _init_subclassed(self, name, trainable, dtype, kwargs):
        """Model.__init__ of a user subclass: the state every model has, and Keras's arguments."""
        from cnn._naming import to_snake_case
        from cnn.layers.base import _unique_name
        if kwargs:
            raise TypeError(f"Model.__init__() got unexpected keyword arguments {sorted(kwargs)} (a subclassed "
                            "model passes name, trainable and dtype to it)")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        _check_dtype(dtype)
        self._init_model(name or _unique_name(to_snake_case(type(self).__name__)),
                         True if trainable is None else trainable)
        self._refresh_layers()

    def _assign_positions(self):
        """Each leaf layer's position, for its seeded initial weights (as a Sequential numbers them)."""
        for i, layer in enumerate(_tracking.leaf_layers(self)):
            if not layer.built and getattr(layer, "_position", None) is None:
                layer._position = i

    # -------------------------------------------------------------- shapes, building, the graph
    @property
    def input_shape(self):
        return self._build_shape

    @property
    def output_shape(self):
        if self._build_shape is None:
            return None
        outputs = self._trace()[3]
        shapes = [t.shape for t in outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def build(self, input_shape=None):
        """Builds the model for inputs of input_shape (batch axis first, e.g. (None, 11); a list or dict
        of shapes for several inputs): traces `call` once on symbolic tensors, creating the weights.

        Args:
            input_shape: the shape of the inputs `call` receives.
        """
        self._set_build_shape(input_shape)
        self._trace()

    def _set_build_shape(self, input_shape):
        shape = _shape_structure(input_shape)
        if self._build_shape is not None and _per_sample(self._build_shape) != _per_sample(shape):
            raise ValueError(f"Model '{self.name}' was built for inputs of shape {self._build_shape}; it cannot "
                             f"take {input_shape}")
        self._build_shape = shape

    def _trace(self):
        """The traced graph (traced once, for the shape the model was built for). A call that branches
        on `training` (`if training:`) is traced once per mode, as Keras calls it in each; the training
        graph is then in self._traced_train (see graph_mode)."""
        if self._traced is not None:
            return self._traced
        if self._build_shape is None:
            raise ValueError(f"Model '{self.name}' has not been built: call it on data, fit/predict, or "
                             "model.build(input_shape) first")
        from cnn.layers.core import Input
        if not self.built and type(self).build is not SubclassAPI.build:
            self.build(self._build_shape)       # the user's build creates layers call uses
        self._refresh_layers()
        self._assign_positions()
        inputs = _map_shapes(lambda shape: Input(batch_shape=shape), self._build_shape)
        try:
            traced, train = self._trace_once(inputs, None), None
        except _tracing.BranchOnTraining:
            traced = self._trace_once(inputs, _tracing.ModeFlag(False))
            train = self._trace_once(inputs, _tracing.ModeFlag(True))
            if [t.shape for t in traced[3]] != [t.shape for t in train[3]]:
                raise _tracing.CallTraceError(
                    f"{type(self).__name__}.call returns outputs of shapes {[t.shape for t in train[3]]} in "
                    f"training and {[t.shape for t in traced[3]]} in inference: they must be the same") from None
        object.__setattr__(self, "_traced", traced)
        object.__setattr__(self, "_traced_train", train)
        self.built = True
        self._pack_weights()
        self._plans.invalidate()
        getattr(self, "_after_trace", lambda: None)()
        return self._traced

    def _trace_once(self, inputs, flag):
        from cnn import _symbolic
        outputs = _tracing.trace(self, inputs, flag)
        in_leaves, out_leaves = _symbolic.flatten(inputs), _symbolic.flatten(outputs)
        for t in out_leaves:
            if not isinstance(t, _symbolic.KerasTensor):
                raise _tracing.CallTraceError(
                    f"{type(self).__name__}.call returned {type(t).__name__}, not the output of a layer: "
                    "return what the model's layers compute from the inputs")
        nodes = _symbolic.map_graph(in_leaves, out_leaves)[0]
        self._check_tracked(nodes)
        return inputs, in_leaves, outputs, out_leaves, nodes

    def _check_tracked(self, nodes):
        """Every weight the graph uses must be the model's (a layer created inside call is not)."""
        own = {id(v) for v in self._variables}
        for node in nodes:
            layer = node.operation
            for v in getattr(layer, "_variables", ()):
                if id(v) not in own:
                    raise ValueError(f"Layer '{layer.name}' is used in {type(self).__name__}.call but is not an "
                                     "attribute of the model: create layers in __init__ (or build) and assign them "
                                     "to self, as Keras requires")

    def _graph(self):
        """The traced Graph; the training one while a training plan is described (graph_mode)."""
        from cnn._functional import flat_graph
        traced = self._trace()
        if getattr(_mode, "graph", None) == "train" and self._traced_train is not None:
            traced = self._traced_train
        inputs, in_leaves, outputs, out_leaves, nodes = traced
        in_names = list(inputs) if isinstance(inputs, dict) else [t._history.operation.name for t in in_leaves]
        out_names = (list(outputs) if isinstance(outputs, dict)
                     else [t._history.operation.name for t in out_leaves])
        return flat_graph(in_leaves, out_leaves, nodes, in_names, out_names)

    # -------------------------------------------------------------- calling
    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` method implemented: "
                                  "a subclassed model defines call(self, inputs, training=False)")

    # -------------------------------------------------------------- config
    def get_config(self):
        """The model's config: for a subclass that does not write get_config, its constructor's
        arguments when they are simple values (Keras's rule), else a NotImplementedError."""
        if not self._subclass_mode:
            return super().get_config()
        config = {"name": self.name}
        if type(self).get_config is SubclassAPI.get_config:
            auto = self.__dict__.get("_auto_config")
            if auto is None:
                raise NotImplementedError(_NO_CONFIG.format(cls=type(self).__name__, why=(
                    "positional-only or variadic positional arguments (e.g. *args)"
                    if self.__dict__.get("_auto_config_error_args") else "non-serializable argument values")))
            config.update(auto)
            params = inspect.signature(self.__init__).parameters
            if "name" not in params and not ("kwargs" in params
                                             and params["kwargs"].kind == inspect.Parameter.VAR_KEYWORD):
                config.pop("name", None)
        config.update({"trainable": self.trainable, "dtype": "float32"})
        return config

    def _saved_layer_paths(self):
        """[(layer or nested model, path)] in Keras 3's weights-file layout (see cnn._tracking)."""
        self._refresh_layers()
        return _tracking.saved_layers(self)


_NO_CONFIG = ("Object {cls} was created by passing {why} to `__init__()`, and therefore the object must "
              "override `get_config()` in order to be serializable. Please implement `get_config()`.\n\n"
              "Example:\n\n    class {cls}(cnn.Model):\n        def __init__(self, arg1, arg2, **kwargs):\n"
              "            super().__init__(**kwargs)\n            self.arg1 = arg1\n            self.arg2 = arg2\n\n"
              "        def get_config(self):\n            config = super().get_config()\n"
              "            config.update({{'arg1': self.arg1, 'arg2': self.arg2}})\n            return config")


def _wrap_build(user_build):
    """A user's build(input_shape): remember the shape (the trace uses it), then run it once."""
    @functools.wraps(user_build)
    def build(self, input_shape=None, *args, **kwargs):
        if getattr(self, "_in_user_build", False):
            return user_build(self, input_shape, *args, **kwargs)
        self._set_build_shape(input_shape)
        object.__setattr__(self, "_in_user_build", True)
        try:
            result = user_build(self, input_shape, *args, **kwargs)
        finally:
            object.__setattr__(self, "_in_user_build", False)
        self._refresh_layers()
        self.built = True
        return result
    return build


def _check_dtype(dtype):
    if dtype is None or dtype == "float32":
        return
    if isinstance(dtype, dict) and (dtype.get("config") or {}).get("name") == "float32":
        return
    raise ValueError(f"cnn models compute in float32; got dtype={dtype!r}")


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _shape_structure(input_shape):
    """A shape (batch axis first) as a tuple with a None batch; a list/tuple/dict of them kept."""
    if isinstance(input_shape, dict):
        return {k: _shape_structure(v) for k, v in input_shape.items()}
    if _is_shape(input_shape):
        shape = tuple(None if d is None else int(d) for d in input_shape)
        if len(shape) < 2:
            raise ValueError(f"input_shape must include the batch axis, e.g. (None, 11); got {input_shape!r}")
        return (None,) + shape[1:]
    if isinstance(input_shape, (list, tuple)) and input_shape:
        return [_shape_structure(s) for s in input_shape]
    raise ValueError(f"input_shape must be a shape such as (None, 11), or a list or dict of shapes; "
                     f"got {input_shape!r}")


def _map_shapes(fn, structure):
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    if isinstance(structure, list):
        return [_map_shapes(fn, s) for s in structure]
    return fn(structure)


def _per_sample(structure):
    return repr(_map_shapes(lambda s: tuple(s[1:]), structure))


def _shape_of(x):
    """The input shape structure of arrays (batch axis first)."""
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_shape_of(v) for v in x]
    return (None,) + tuple(np.shape(x)[1:])


def _as_arrays(x):
    """The inputs of an eager call as float32 arrays, keeping lists, tuples and dicts of arrays."""
    from cnn import _data
    if isinstance(x, dict):
        return {k: _as_arrays(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(isinstance(v, np.ndarray) for v in x):
        return type(x)(_as_arrays(v) for v in x)
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        return x
    return np.asarray(_data.as_array(x, "inputs"), dtype=np.float32)


def eager_call(model, inputs, training=None, **kwargs):
    """model(inputs, training=..., **kwargs) on arrays: `call` runs on them, each layer on its kernels."""
    from cnn import _eager
    model._refresh_layers()
    model._assign_positions()
    if training is not None:
        training = _eager.check_training(training)
        if _tracing.accepts(model.call, "training"):
            kwargs["training"] = training
    arrays = _as_arrays(inputs)
    out = model.call(arrays, **kwargs)
    if model._build_shape is None:
        model._build_shape = _shape_structure(_shape_of(arrays)) if not isinstance(arrays, np.ndarray) \
            else (None,) + arrays.shape[1:]
    model.built = True
    return _outputs_as_arrays(out)


def _outputs_as_arrays(out):
    if isinstance(out, dict):
        return {k: _outputs_as_arrays(v) for k, v in out.items()}
    if isinstance(out, (list, tuple)):
        return type(out)(_outputs_as_arrays(v) for v in out)
    return np.asarray(out, dtype=np.float32)
