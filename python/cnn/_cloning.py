"""cnn.models.clone_model: the same architecture with new weights (keras.models.clone_model)."""
from cnn.layers.base import Layer


def _clone_layer(layer):
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False,
                **kwargs):
    from cnn.layers.core import InputLayer
    from cnn.models import Sequential
    if kwargs:
        raise TypeError(f"clone_model() got unexpected keyword arguments: {sorted(kwargs)}")
    from cnn.models import Model
    if not isinstance(model, Model) or not (isinstance(model, Sequential) or hasattr(model, "_nodes")):
        raise ValueError(f"Expected `model` argument to be a functional `Model` or a `Sequential` model "
                         f"instance. Received: model={model!r}")
    if call_function is not None and not callable(call_function):
        raise ValueError(f"Expected `call_function` argument to be a callable. Received: "
                         f"call_function={call_function!r}")
    clone_function = clone_function or _clone_layer
    if not callable(clone_function):
        raise ValueError(f"Expected `clone_function` argument to be a callable. Received: "
                         f"clone_function={clone_function!r}")
    if not isinstance(model, Sequential):
        return _clone_functional(model, input_tensors, clone_function, call_function)
    if call_function is not None:
        raise ValueError("call_function= applies to functional models; a Sequential is cloned layer by layer")
    if isinstance(input_tensors, (list, tuple)):
        if len(input_tensors) != 1:
            raise ValueError("Argument `input_tensors` must contain a single tensor.")
        input_tensors = input_tensors[0]
    if input_tensors is not None:
        from cnn.models import _input_layer_of
        try:
            input_tensors = _input_layer_of(input_tensors)
        except ValueError:
            pass
    if input_tensors is not None and not isinstance(input_tensors, InputLayer):
        raise ValueError(f"Argument `input_tensors` must be a cnn.Input(...). Received invalid value: "
                         f"input_tensors={input_tensors!r}")
    new_layers = []
    for layer in model.layers:
        new = clone_function(layer)
        if not isinstance(new, Layer):
            raise TypeError(f"clone_function must return a layer; for layer '{layer.name}' it returned {new!r}")
        new_layers.append(new)
    inputs = input_tensors
    if inputs is None and model._input is not None:
        inputs = InputLayer(batch_shape=model._input.shape, name=model._input.name)
    if inputs is not None:
        shape = inputs.shape
        for layer in new_layers:   # built here, before the model numbers them, so that their initial
            shape = layer._build_for(shape)  # weights are new draws, not the original's keyed streams
    clone = Sequential(([inputs] if inputs is not None else []) + new_layers, name=model.name,
                       trainable=model.trainable)
    if model.compiled:
        from cnn.saving import compile_from_config
        from cnn.saving.compile_config import compile_config
        compile_from_config(clone, compile_config(model))
    return clone


def _compile_like(clone, model):
    if model.compiled:
        from cnn.saving import compile_from_config
        from cnn.saving.compile_config import compile_config
        compile_from_config(clone, compile_config(model))
    return clone


def _clone_functional(model, input_tensors, clone_function, call_function):
    """The same graph with each layer replaced by clone_function(layer), called as call_function says
    (Keras's rule: call_function(layer, *args, **kwargs) instead of layer(*args, **kwargs))."""
    from cnn import _symbolic
    from cnn.layers.core import Input, InputLayer
    from cnn.models import Model
    if input_tensors is None:
        new_inputs = [Input(batch_shape=t.shape, name=t._history.operation.name, dtype=t.dtype)
                      for t in model._inputs]
    else:
        new_inputs = _symbolic.flatten(input_tensors)
        if len(new_inputs) != len(model._inputs) or not all(
                isinstance(t, _symbolic.KerasTensor) for t in new_inputs):
            raise ValueError(f"input_tensors must be {len(model._inputs)} symbolic tensor(s) (cnn.Input(...)), "
                             f"one per model input. Received: input_tensors={input_tensors!r}")
    tensors = {id(old): new for old, new in zip(model._inputs, new_inputs)}
    clones = {}
    for node in model._nodes:
        if node.is_input or all(id(t) in tensors for t in node.outputs):
            continue
        layer = node.operation
        if id(layer) not in clones:
            new = clone_function(layer)
            if not isinstance(new, Layer) or isinstance(new, InputLayer):
                raise TypeError(f"clone_function must return a layer; for layer '{layer.name}' it returned {new!r}")
            clones[id(layer)] = new
        args = _symbolic._map_structure(lambda t: tensors[id(t)], node.arguments)
        kwargs = dict(node.call_kwargs)
        out = call_function(clones[id(layer)], args, **kwargs) if call_function else clones[id(layer)](args, **kwargs)
        for old, new in zip(node.outputs, _symbolic.flatten(out)):
            tensors[id(old)] = new

    def mapped(structure):
        return _symbolic._map_structure(lambda t: tensors[id(t)], structure)

    inputs = mapped(model._inputs_struct) if input_tensors is None else input_tensors
    clone = Model(inputs, mapped(model._outputs_struct), name=model.name, trainable=model.trainable)
    return _compile_like(clone, model)
