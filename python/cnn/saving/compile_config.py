"""compile() arguments <-> the compile_config of config.json (optimizer, loss, metrics).

Every class is found through its module's registry (cnn._registry) or custom_objects."""
import warnings

from cnn._registry import keras_config
from cnn.saving.config import check_module

# ------------------------------------------------------------------------------ saving

def optimizer_config(opt):
    config = opt.get_config()
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        lr = dict(lr)
        lr.setdefault("module", "keras.optimizers.schedules")
        lr.setdefault("registered_name", None)
        config["learning_rate"] = lr
    elif callable(lr):
        warnings.warn("The optimizer's learning_rate is a Python function, which cannot be saved; the "
                      "file keeps its current value instead.", UserWarning, stacklevel=7)
        config["learning_rate"] = float(opt.learning_rate)
    from cnn import optimizers
    from cnn.saving.registration import get_registered_name
    cls = type(opt)
    if optimizers._registry.lookup(cls.__name__) is cls:
        return {"module": "keras.optimizers", "class_name": cls.__name__, "config": config, "registered_name": None}
    # the user's own class, named as Keras names one: found again by custom_objects or its registration
    return {"module": cls.__module__, "class_name": cls.__name__, "config": config,
            "registered_name": get_registered_name(cls)}


def _is_function(m):
    return callable(m) and not isinstance(m, type) and not hasattr(m, "get_config")


def _function_config(fn):
    """A metric function as Keras saves one (load it with custom_objects={name: fn})."""
    name = getattr(fn, "__name__", repr(fn))
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": name}


def _loss_config(loss):
    from cnn import losses
    if isinstance(loss, str) or loss is None:
        return loss
    loss = losses.serialize(loss)
    loss.setdefault("registered_name", None)
    return loss


def _metric_config(m):
    if isinstance(m, str) or m is None:
        return m
    return _function_config(m) if _is_function(m) else keras_config(m, "keras.metrics")


def _per_output(value, fn):
    """A per-output compile argument (a dict by output name, a list per output, or one value) as saved."""
    if isinstance(value, dict):
        return {k: _per_output(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_per_output(v, fn) for v in value]
    return fn(value)


def _per_output_model(model):
    """A graph model (cnn._graph_model) keeps its compile arguments as given, per output."""
    return getattr(model, "_output_specs", None) is not None


def compile_config(model):
    args = model._compile_args
    if _per_output_model(model):   # Keras keeps the per-output structures as given
        def given(key, fn):
            return None if args.get(key) is None else _per_output(args[key], fn)
        return {"optimizer": optimizer_config(model.optimizer), "loss": given("loss", _loss_config),
                "loss_weights": given("loss_weights", float), "metrics": given("metrics", _metric_config),
                "weighted_metrics": given("weighted_metrics", _metric_config), "run_eagerly": False,
                "steps_per_execution": 1, "jit_compile": False}
    loss = _loss_config(args["loss"])

    def metric_list(key, specs):
        if args.get(key) is None:
            return None
        return [_metric_config(m) for m in specs]

    return {"optimizer": optimizer_config(model.optimizer), "loss": loss, "loss_weights": None,
            "metrics": metric_list("metrics", model._metric_specs),
            "weighted_metrics": metric_list("weighted_metrics", model._weighted_specs), "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


# ------------------------------------------------------------------------------ loading

def _deserialize_optimizer(spec, custom_objects):
    from cnn import optimizers
    if isinstance(spec, str):
        return optimizers.get(spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Cannot interpret the saved optimizer {str(spec)[:200]}")
    from cnn.saving.registration import get_registered_object
    name = spec["class_name"]
    registered = spec.get("registered_name")
    cls = custom_objects.get(name)
    if cls is None and isinstance(registered, str):
        cls = get_registered_object(registered, custom_objects)
    if cls is None:
        check_module(spec, "optimizer")
        cls = optimizers._registry.lookup(name)
    if cls is None:
        raise ValueError(f"Unknown optimizer class {name!r} in the file. Known: "
                         f"{', '.join(optimizers._registry.names())}")
    config = dict(spec.get("config") or {})
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        check_module(lr, "learning-rate schedule")
    return cls.from_config(config)


def _from_custom(spec, custom_objects):
    obj = custom_objects[spec["class_name"]]
    return obj.from_config(spec.get("config") or {}) if isinstance(obj, type) else obj


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
        return _from_custom(spec, custom_objects)
    check_module(spec, "loss")
    if name == "function":
        fn = spec.get("config")
        if not isinstance(fn, str):
            raise ValueError(f"Cannot interpret the saved loss function {str(spec)[:200]}")
        return custom_objects[fn] if fn in custom_objects else losses.get(fn)
    cls = losses._registry.lookup(name)
    if not isinstance(cls, type):
        raise ValueError(f"Unknown loss class {name!r} in the file")
    config = {k: v for k, v in (spec.get("config") or {}).items() if k != "dtype"}
    return cls.from_config(config)


def _deserialize_metric(spec, custom_objects):
    from cnn import metrics
    if isinstance(spec, str):
        return custom_objects.get(spec, spec)
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Cannot interpret the saved metric {str(spec)[:200]}")
    name = spec["class_name"]
    if name in custom_objects:
        return _from_custom(spec, custom_objects)
    check_module(spec, "metric")
    if name == "function" and isinstance(spec.get("config"), str):
        return custom_objects.get(spec["config"], spec["config"])
    cls = metrics._registry.lookup(name)
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


def _saved_per_output(value, fn, depth=0):
    """A saved per-output structure (dict by output name, list, nested lists of metrics) deserialized."""
    if depth > 3:
        raise ValueError("the saved compile arguments are nested too deeply")
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _saved_per_output(v, fn, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_saved_per_output(v, fn, depth + 1) for v in value]
    return None if value is None else fn(value)


def _loss_weight(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a saved loss weight must be a number, got {str(value)[:100]}")
    return float(value)


def _compile_per_output(model, compile_config, custom_objects):
    def loss_fn(spec):
        return _deserialize_loss(spec, custom_objects)

    def metric_fn(spec):
        return _deserialize_metric(spec, custom_objects)
    cc = compile_config
    model.compile(optimizer=_deserialize_optimizer(cc.get("optimizer", "rmsprop"), custom_objects),
                  loss=_saved_per_output(cc.get("loss"), loss_fn),
                  loss_weights=_saved_per_output(cc.get("loss_weights"), _loss_weight),
                  metrics=_saved_per_output(cc.get("metrics"), metric_fn),
                  weighted_metrics=_saved_per_output(cc.get("weighted_metrics"), metric_fn))


def compile_from_config(model, compile_config, custom_objects=None):
    custom_objects = dict(custom_objects or {})
    if not isinstance(compile_config, dict):
        raise ValueError("compile_config must be a dict")
    if hasattr(model, "_output_specs"):     # a graph model: compile's per-output forms
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _compile_per_output(model, compile_config, custom_objects)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as e:
            raise ValueError(f"Cannot restore the model's compile() arguments from the file: {e}. Load it with "
                             "compile=False and call compile() yourself.") from None
        return
    try:
        optimizer = _deserialize_optimizer(compile_config.get("optimizer", "rmsprop"), custom_objects)
        loss = _deserialize_loss(compile_config.get("loss"), custom_objects)
        metric_specs = _flat_metrics(compile_config.get("metrics"))
        metric_list = None if metric_specs is None else [_deserialize_metric(m, custom_objects)
                                                         for m in metric_specs]
        weighted = _flat_metrics(compile_config.get("weighted_metrics"))
        weighted_list = None if weighted is None else [_deserialize_metric(m, custom_objects) for m in weighted]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # legacy-spelling warnings were shown when first compiled
            model.compile(optimizer=optimizer, loss=loss, metrics=metric_list, weighted_metrics=weighted_list)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as e:
        raise ValueError(f"Cannot restore the model's compile() arguments from the file: {e}. Load it with "
                         "compile=False and call compile() yourself.") from None
