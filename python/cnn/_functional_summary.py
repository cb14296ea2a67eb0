"""summary() of a functional model: Keras 3's table, with the "Connected to" column when the model is
not a chain (several inputs, a branch, a merge or a shared layer), as keras.utils.summary_utils."""
import re

import numpy as np

from cnn import _core, _symbolic
from cnn.summary import print_summary


def _sequential_like(model):
    """Keras's rule: one node per depth, each with at most one input, and no layer called twice."""
    nodes = []
    for group in model._nodes_by_depth.values():
        if len(group) > 1 or (len(group) == 1 and len(group[0].input_tensors) > 1):
            return False
        nodes += group
    for layer in model.layers:
        if sum(node in nodes for node in _symbolic.inbound_nodes(layer)) > 1:
            return False
    return True


def _shape_text(layer):
    """The output shape(s) of the layer's last call, as Keras formats them."""
    nodes = _symbolic.inbound_nodes(layer)
    if not nodes:
        return layer.output_shape
    shapes = ["(" + ", ".join(str(d) for d in t.shape) + ")" for t in nodes[-1].outputs]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _connections(layer, relevant):
    links = [f"{t._history.operation.name}[{t._history.node_index}][{t._history.tensor_index}]"
             for node in _symbolic.inbound_nodes(layer) if node in relevant for t in node.input_tensors]
    return ", ".join(links) or "-"


def layer_bounds(layers, layer_range):
    """Keras's layer_range: [first, last + 1] of the layers whose names match the two patterns."""
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list or tuple of length 2. Received: layer_range = {layer_range}")
    if not all(isinstance(p, str) for p in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def trainable_mark(layer):
    """show_trainable's cell: Y or N for a layer with weights, - without (Keras)."""
    return ("Y" if layer.trainable else "N") if layer.weights else "-"


def nested_rows(layer, level, connected, relevant, show_trainable=False):
    """expand_nested: the rows of a nested model's layers, named "   " * level + "└ " + name, as Keras."""
    if not hasattr(layer, "_saving_layers"):
        return []
    rows = []
    for inner in layer.layers:
        row = ("   " * level + "└ " + inner.name, type(inner).__name__, _shape_text(inner), inner.count_params())
        row += (_connections(inner, relevant),) if connected else ()
        rows.append(row + ((trainable_mark(inner),) if show_trainable else ()))
        rows += nested_rows(inner, level + 1, connected, relevant, show_trainable)
    return rows


def print_functional_summary(model, line_length, positions, print_fn, expand_nested=False, show_trainable=False,
                             layer_range=None):
    connected = not _sequential_like(model)
    relevant = {node for group in model._nodes_by_depth.values() for node in group}
    rows = []
    first, last = layer_bounds(model.layers, layer_range)
    for layer in model.layers[first:last]:
        row = (layer.name, type(layer).__name__, _shape_text(layer), layer.count_params())
        row += (_connections(layer, relevant),) if connected else ()
        rows.append(row + ((trainable_mark(layer),) if show_trainable else ()))
        if expand_nested:
            rows += nested_rows(layer, 1, connected, relevant, show_trainable)
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_weights))
    frozen = int(sum(np.prod(v.shape) for v in model.non_trainable_weights))
    opt_count = None
    if model.compiled and model._slots is not None and model.optimizer is not None:
        opt_count = int(_core.opt_slot_count(model.optimizer._c_record()) * model._n_trainable) + 2
    print_summary(model.name, rows, trainable, frozen, optimizer_count=opt_count, line_length=line_length,
                  print_fn=print_fn, positions=positions, show_trainable=show_trainable)
