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
    if not isinstance(model, Sequential):
        raise ValueError(f"Expected `model` argument to be a `Sequential` model instance. Received: model={model!r}")
    if call_function is not None:
        raise NotImplementedError("clone_model(call_function=...) needs the functional API, which cnn "
                                  "does not have yet")
    clone_function = clone_function or _clone_layer
    if not callable(clone_function):
        raise ValueError(f"Expected `clone_function` argument to be a callable. Received: "
                         f"clone_function={clone_function!r}")
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
