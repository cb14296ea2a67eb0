"""A functional model <-> Keras 3's functional config: layers with their inbound_nodes (the calls, as
`__keras_tensor__` arguments naming [layer, node, tensor]), input_layers and output_layers.

Loading follows keras.src.models.functional.functional_from_config: create every layer, then call
each on its inputs once they exist (a layer shared at several depths waits for its inputs), then
pick the model's inputs and outputs. A config comes from a file: every malformed part ends in a
ValueError saying what is wrong; classes come from the allow-list (config.py).
"""
from cnn import _symbolic

FUNCTIONAL_MODULE = "keras.src.models.functional"


# ------------------------------------------------------------------------------ model -> config

def layer_entry(layer):
    """serialize_keras_object(layer) as a model's config lists it, with its build_config."""
    from cnn.models import Model, Sequential
    if isinstance(layer, Model):
        entry = model_entry(layer)
        entry.pop("compile_config", None)
        if not isinstance(layer, Sequential):
            entry["compile_config"] = {}   # Keras writes an empty one for an inner functional model
        return entry
    entry = {"module": "keras.layers", "class_name": type(layer).__name__, "config": layer.get_config(),
             "registered_name": None}
    shape = getattr(layer, "input_shape", None)
    if layer.built and shape is not None and type(layer).__name__ != "InputLayer":
        entry["build_config"] = {"input_shape": _listed(shape)}
    return entry


def _listed(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [list(s) for s in shape]
    return list(shape)


def model_entry(model):
    """The config.json object of a model (Functional or Sequential), compile_config included."""
    from cnn.saving.config import model_config
    return model_config(model)


def _is_functional(op):
    from cnn.models import Model, Sequential
    return isinstance(op, Model) and not isinstance(op, Sequential) and hasattr(op, "_nodes")


def functional_config(model):
    """Functional.get_config(): name, trainable, layers (with inbound_nodes), input_layers, output_layers."""
    own = set(model._nodes)
    kept = {}                                   # (id(op), original node index) -> index in the config
    for op in model._operations:
        count = 1 if _is_functional(op) else 0  # Keras: a functional model starts with its own node
        for i, node in enumerate(_symbolic.inbound_nodes(op)):
            if node in own:
                kept[(id(op), i)] = count
                count += 1
    layers = []
    for op in model._operations:
        entry = layer_entry(op)
        entry["name"] = op.name
        entry["inbound_nodes"] = [_node_config(node, own) for node in _symbolic.inbound_nodes(op)
                                  if node in own and not node.is_input]
        layers.append(entry)

    def tensor_ref(t):
        op, index, tensor_index = t._history
        return [op.name, kept[(id(op), index)], tensor_index]

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": _map(tensor_ref, model._inputs_struct),
            "output_layers": _map(tensor_ref, model._outputs_struct)}


def _map(fn, structure):
    if isinstance(structure, dict):
        return {k: _map(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_map(fn, v) for v in structure]
    return fn(structure)


def _node_config(node, own):
    """serialize_node: the call's arguments, each tensor naming the producing node among the model's own."""
    from cnn.models import Model

    def tensor(t):
        op, index, tensor_index = t._history
        skipped = sum(1 for n in _symbolic.inbound_nodes(op)[:index] if n not in own)
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype,
                           "keras_history": [op.name, index - skipped, tensor_index]}}

    kwargs = dict(node.call_kwargs)
    if isinstance(node.operation, Model):
        kwargs.setdefault("mask", None)
    return {"args": [_map(tensor, node.arguments)], "kwargs": kwargs}


# ------------------------------------------------------------------------------ config -> model

def _bad(message):
    return ValueError(f"Invalid Functional model configuration: {message}")


class _NotYet(Exception):
    """A node's input does not exist yet (its layer is called later): retry in the next round."""


def _get_tensor(created, ref, what, is_output=False):
    if not (isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ref[1:])):
        raise _bad(f"{what} {str(ref)[:100]} is not a [layer name, node index, tensor index] reference")
    name, node_index, tensor_index = ref
    if name not in created:
        raise _bad(f"{what} names layer {name!r}, which the config does not define")
    op = created[name]
    if is_output and _is_functional(op):
        node_index -= 1            # Keras counts a functional model's own node first
    nodes = _symbolic.inbound_nodes(op)
    if node_index >= len(nodes):
        raise _NotYet()
    outputs = nodes[node_index].outputs
    if tensor_index >= len(outputs):
        raise _bad(f"{what} asks for output {tensor_index} of layer {name!r}, which has {len(outputs)}")
    return outputs[tensor_index]


def _arguments(created, data, depth=0):
    """The call's input structure, with each __keras_tensor__ replaced by the tensor it names."""
    if depth > 8:
        raise _bad("node arguments nested too deeply")
    if isinstance(data, dict) and data.get("class_name") == "__keras_tensor__":
        config = data.get("config")
        if not isinstance(config, dict):
            raise _bad("a __keras_tensor__ without a config")
        return _get_tensor(created, config.get("keras_history"), "a node argument")
    if isinstance(data, list):
        if len(data) in (3, 4) and isinstance(data[0], str):         # Keras 2's [name, node, tensor, kwargs]
            return _get_tensor(created, list(data[:3]), "a node argument")
        return [_arguments(created, v, depth + 1) for v in data]
    if isinstance(data, dict):
        return {k: _arguments(created, v, depth + 1) for k, v in data.items()}
    raise _bad(f"unexpected node argument {str(data)[:100]}")


def _check_budget(layer, inputs, budget):
    """Refuses a layer whose weights would exceed what the file can hold, before building it (a hostile
    config must not allocate gigabytes: Sequential configs are checked the same way)."""
    if budget is None or layer.built or not isinstance(inputs, _symbolic.KerasTensor):
        return
    budget[0] -= layer._count_params_for(inputs.shape) or 0
    if budget[0] < 0:
        raise ValueError(f"The model config asks for more weights than the file stores (layer {layer.name!r}): "
                         "the file is corrupt or hostile")


def _call_node(layer, data, created, budget=None):
    if isinstance(data, dict):
        args, kwargs = data.get("args"), data.get("kwargs") or {}
        if not isinstance(args, list) or not args or not isinstance(kwargs, dict):
            raise _bad(f"layer {layer.name!r} has a node without args")
        # Keras's ops (x + y is keras.src.ops.numpy.Add) take the tensors as separate arguments
        inputs = _arguments(created, args[0]) if len(args) == 1 else [_arguments(created, a) for a in args]
        training = kwargs.get("training")
    elif isinstance(data, list):                                  # Keras 2: a list of input references
        inputs = _arguments(created, data)
        inputs = inputs[0] if len(inputs) == 1 else inputs
        training = None
    else:
        raise _bad(f"layer {layer.name!r} has a node that is not a dict")
    if training not in (None, True, False):
        raise _bad(f"layer {layer.name!r} is called with training={training!r}")
    if not _symbolic.is_symbolic(inputs):
        raise _bad(f"layer {layer.name!r} has a node without input tensors")
    _check_budget(layer, inputs, budget)
    return layer(inputs, training=training)


def _make_layer(entry, custom_objects, allowed, max_params):
    from cnn.layers.core import InputLayer
    from cnn.saving.config import _layer_from_entry, sequential_from_config
    class_name = entry.get("class_name") if isinstance(entry, dict) else None
    config = entry.get("config") if isinstance(entry, dict) else None
    if class_name in ("Functional", "Model") and isinstance(config, dict) and "input_layers" in config:
        return functional_from_config(config, custom_objects, max_params=max_params)
    if class_name == "Sequential" and isinstance(config, dict) and class_name not in custom_objects:
        shape = (entry.get("build_config") or {}).get("input_shape") if isinstance(entry.get("build_config"),
                                                                                    dict) else None
        return sequential_from_config(config, custom_objects, max_params=max_params, input_shape=shape)
    layer = _layer_from_entry(entry, custom_objects, allowed)
    if isinstance(layer, InputLayer):
        _symbolic.input_tensor(layer, str(config.get("dtype") or "float32") if isinstance(
            config.get("dtype"), str) else "float32")
    return layer


def _entry_name(entry):
    """A layer entry's name (Keras writes it beside the config and inside it)."""
    config = entry.get("config") if isinstance(entry, dict) else None
    name = entry.get("name") if isinstance(entry, dict) else None
    if name is None and isinstance(config, dict):
        name = config.get("name")
    if not isinstance(name, str):
        raise _bad(f"a layer entry has no name: {str(entry)[:200]}")
    return name


def functional_from_config(config, custom_objects=None, cls=None, max_params=None):
    """A Functional model from its get_config() dict (the 'config' part of config.json)."""
    from cnn._functional import Functional
    from cnn.saving.config import checked_entries, layer_classes
    cls = cls or Functional
    custom_objects = dict(custom_objects or {})
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise _bad("it must be a dict with 'layers', 'input_layers' and 'output_layers'")
    for key in ("input_layers", "output_layers"):
        if key not in config:
            raise _bad(f"it has no {key!r} (a list of layers alone describes a Sequential model)")
    entries, name = checked_entries(config)
    allowed = layer_classes()
    created, pending, order = {}, {}, []
    budget = None if max_params is None else [max_params]
    for entry in entries:
        layer_name = _entry_name(entry)
        if layer_name in created:
            raise _bad(f"two layers are named {layer_name!r}")
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise _bad(f"the inbound_nodes of layer {layer_name!r} are not a list")
        try:
            layer = _make_layer(entry, custom_objects, allowed, max_params)
        except (TypeError, KeyError, AttributeError, IndexError, OverflowError) as e:
            raise ValueError(f"Cannot rebuild layer {layer_name!r} from its config: {e}") from None
        created[layer_name] = layer
        order.append(layer_name)
        if nodes:
            pending[layer_name] = list(nodes)
    try:
        while pending:          # Keras's rounds: call each layer on the nodes whose inputs exist
            progressed = False
            for layer_name in order:
                queue = pending.get(layer_name)
                while queue:
                    try:
                        _call_node(created[layer_name], queue[0], created, budget)
                    except _NotYet:
                        break
                    queue.pop(0)
                    progressed = True
                if queue == []:
                    del pending[layer_name]
            if not progressed:
                raise _bad(f"the graph has loops or disconnected nodes; unresolved layers: {sorted(pending)[:10]}")

        def tensor(ref):
            try:
                return _get_tensor(created, ref, "input_layers/output_layers", is_output=True)
            except _NotYet:
                raise _bad(f"the model input or output {ref} names a call that does not exist") from None

        inputs = _map_refs(tensor, config["input_layers"])
        outputs = _map_refs(tensor, config["output_layers"])
        trainable = config.get("trainable", True)
        model = cls(inputs, outputs, name=name, trainable=trainable is not False)
    except (TypeError, KeyError, AttributeError, IndexError, OverflowError) as e:
        raise ValueError(f"Cannot rebuild the functional model from its config: {e}") from None
    return model


def _map_refs(fn, structure, depth=0):
    """input_layers/output_layers: one [name, node, tensor] leaf, or a list/dict of them."""
    if depth > 8:
        raise _bad("input_layers/output_layers nested too deeply")
    if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_refs(fn, v, depth + 1) for k, v in structure.items()}
    if isinstance(structure, list) and structure:
        return [_map_refs(fn, v, depth + 1) for v in structure]
    raise _bad(f"input_layers/output_layers must be [name, node, tensor] references, got {str(structure)[:100]}")
