"""What a subclassed model holds: its layers, found through its attributes (also inside lists, tuples
and dicts, and nested models), in the order Keras 3 tracks them, and the paths Keras 3 saves their
weights under.

Keras tracks a layer when it is assigned to an attribute (`self.dense = Dense(4)`), in assignment
order; `model.layers` lists the direct children (a nested model counts as one). Its weights file walks
the model's attributes sorted by name (private ones last) and names each child by its attribute
(`dense/vars/0`); a list names its items by snake-cased class with a counter (`blocks/dense_1/vars`);
`model.layers` is one of the attributes walked (`layers/...`), and a layer already saved is skipped.
"""
from cnn._naming import to_snake_case

# Attribute names Keras's weights walk skips (those of a bare keras Layer, Keras 3.15): a layer held
# under one of them is saved where `model.layers` reaches it.
_KERAS_LAYER_ATTRS = frozenset((
    "activity_regularizer add_loss add_metric add_variable add_weight build build_from_config built call "
    "compute_dtype compute_mask compute_output_shape compute_output_spec count_params dtype dtype_policy "
    "from_config get_build_config get_config get_weights input input_dtype input_spec load_own_variables "
    "losses metrics metrics_variables name non_trainable_variables non_trainable_weights output path "
    "quantization_mode quantize quantized_build quantized_call rematerialized_call save_own_variables "
    "set_weights stateless_call supports_jit supports_masking symbolic_call trainable trainable_variables "
    "trainable_weights variable_dtype variables weights _layers _tracker").split())


def is_layer(value):
    """A cnn layer or model (anything with weights that a model tracks as a child)."""
    from cnn.layers.base import Layer
    from cnn.trainer import Trainer
    return isinstance(value, (Layer, Trainer))


def is_tracked_value(value):
    return is_layer(value) or isinstance(value, (list, tuple, dict))


def _leaves(value, seen):
    """The layers in value (a layer or a list/tuple/dict of them, nested), in order."""
    if is_layer(value):
        yield value
    elif isinstance(value, (list, tuple, dict)):
        if id(value) in seen:
            return
        seen.add(id(value))
        for item in (value.values() if isinstance(value, dict) else value):
            yield from _leaves(item, seen)


def child_layers(model):
    """model.layers of a subclassed model: the layers its attributes hold, in assignment order."""
    out, ids, seen = [], set(), set()
    for value in model.__dict__.get("_tracked", {}).values():
        for layer in _leaves(value, seen):
            if id(layer) not in ids and layer is not model:
                ids.add(id(layer))
                out.append(layer)
    return out


def leaf_layers(model):
    """Every layer that computes something (not a model), depth first, each once."""
    out, ids = [], set()

    def visit(layer):
        if id(layer) in ids:
            return
        ids.add(id(layer))
        inner = _children(layer)
        if inner is None:
            out.append(layer)
        else:
            for child in inner:
                visit(child)

    for layer in child_layers(model):
        visit(layer)
    return out


def _children(layer):
    """The layers inside a model, None for a layer."""
    if "_tracked" in layer.__dict__:
        return child_layers(layer)
    if is_layer(layer) and hasattr(layer, "_plans"):     # Sequential or functional
        return list(layer.layers)
    return None


def unique_weights(layers, attr):
    out, ids = [], set()
    for layer in layers:
        for v in getattr(layer, attr):
            if id(v) not in ids:
                ids.add(id(v))
                out.append(v)
    return out


# ------------------------------------------------------------------------------ Keras's weights walk

def _name_key(name):
    return f"~{name}" if name.startswith("_") else name


def _unique(base, used):
    n = used.get(base)
    used[base] = 0 if n is None else n + 1
    return base if n is None else f"{base}_{n + 1}"


def saved_layers(model):
    """[(layer, path)] of every layer with its own variables, at the path Keras 3 saves it under
    (the `<path>/vars` group), for a subclassed model; also [(model, path)] of nested models (their own
    `vars` group, empty)."""
    out, visited = [], set()
    _walk_model(model, "", visited, out)
    return out


def _walk_model(model, prefix, visited, out):
    visited.add(id(model))
    if prefix:
        out.append((model, prefix))
    if "_tracked" in model.__dict__:
        items = [(n, v) for n, v in model.__dict__["_tracked"].items() if n not in _KERAS_LAYER_ATTRS]
        items.append(("layers", list(model.layers)))
        for name, value in sorted(items, key=lambda item: _name_key(item[0])):
            _visit(value, _join(prefix, name), visited, out)
    else:   # Sequential and functional models save their layers first, under `layers`
        _walk_container(list(model._saving_layers()), _join(prefix, "layers"), visited, out, set())


def _visit(value, path, visited, out):
    if is_layer(value):
        if id(value) in visited:
            return
        if _children(value) is not None:
            _walk_model(value, path, visited, out)
        else:
            visited.add(id(value))
            out.append((value, path))
    elif isinstance(value, (list, tuple, dict)):
        _walk_container(value, path, visited, out, set())


def _walk_container(container, path, visited, out, seen_containers):
    if id(container) in seen_containers:
        return
    seen_containers.add(id(container))
    used = {}
    for item in (container.values() if isinstance(container, dict) else container):
        if is_layer(item):
            _visit(item, _join(path, _unique(to_snake_case(type(item).__name__), used)), visited, out)
        elif isinstance(item, (list, tuple, dict)):
            _walk_container(item, _join(path, _unique("container", used)), visited, out, seen_containers)


def _join(prefix, name):
    return f"{prefix}/{name}" if prefix else name


def holds_layer(value):
    return any(True for _ in _leaves(value, set()))
