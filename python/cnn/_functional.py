"""cnn.Model(inputs, outputs): the functional model (Keras's Functional), and the flat Graph the C engine
runs for any model (nested models inlined, see cnn._graph)."""
from cnn import _symbolic
from cnn._graph_model import GraphTraining
from cnn.layers.base import _unique_name
from cnn.layers.core import InputLayer
from cnn.models import Model


def _structure(value, what):
    """inputs/outputs as given (a tensor, a list/tuple, or a dict by name), every leaf checked."""
    leaves = _symbolic.flatten(value)
    if not leaves:
        raise ValueError(f"`{what}` must hold at least one symbolic tensor; got {value!r}")
    for t in leaves:
        if not isinstance(t, _symbolic.KerasTensor):
            raise ValueError(f"All `{what}` values must be KerasTensors (cnn.Input(...) or what layers return "
                             f"when called on one). Received: {what}={value!r} including invalid value {t!r} of "
                             f"type {type(t)}"[:600])
    return value, leaves


class Functional(GraphTraining, Model):
    """A model described by calls of layers on symbolic tensors: `cnn.Model(inputs, outputs)`.

    Several inputs and outputs (lists, or dicts by name), layers called several times (shared
    weights) and models used as layers are allowed; `model.layers` lists the InputLayers too, as
    in Keras. Training runs the whole graph in the C core (cnn._graph_model: per-output losses,
    loss weights and metrics; x and y as lists in model order or dicts by name).
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        kwargs.pop("dtype", None)   # Keras's model dtype policy: cnn computes in float32
        if kwargs:
            raise TypeError(f"Model() got unexpected keyword arguments: {sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")
        self._init_model(name or _unique_name("functional"), True if trainable is None else trainable)
        _structure(inputs, "inputs")
        _structure(outputs, "outputs")
        inputs, outputs = _from_intermediate(inputs, outputs)
        self._inputs_struct, self._inputs = _structure(inputs, "inputs")
        self._outputs_struct, self._outputs = _structure(outputs, "outputs")
        nodes, operations, self._nodes_by_depth = _symbolic.map_graph(self._inputs, self._outputs)
        self._nodes = nodes                      # every node of the graph, topological
        self._operations = operations            # Keras's model.layers order, InputLayers included
        self._layers = [op for op in operations if not isinstance(op, InputLayer)]
        if isinstance(inputs, dict):
            self._input_names = sorted(inputs)
        else:
            self._input_names = [t._history.operation.name for t in self._inputs]
        # Keras: output_names are the output layers' names; data and compile dicts use the dict's keys
        self.output_names = [t._history.operation.name for t in self._outputs]
        self._output_keys = sorted(outputs) if isinstance(outputs, dict) else self.output_names
        self.built = True
        self._pack_weights()
        if not self._trainable:
            self.trainable = False

    # ------------------------------------------------------------------ structure
    @property
    def layers(self):
        return list(self._operations)

    @layers.setter
    def layers(self, _):
        raise AttributeError("`Model.layers` attribute is reserved and should not be used. Please use another name.")

    @property
    def inputs(self):
        return list(self._inputs)

    @property
    def outputs(self):
        return list(self._outputs)

    @property
    def input(self):
        return self._inputs_struct if not isinstance(self._inputs_struct, tuple) else list(self._inputs_struct)

    @property
    def output(self):
        return self._outputs_struct if not isinstance(self._outputs_struct, tuple) else list(self._outputs_struct)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _saving_layers(self):
        return self.layers

    def build(self, input_shape=None):
        """A functional model is built when made; build() only checks the shape, as Keras."""

    def _symbolic_output_shapes(self, input_shapes):
        """Called on symbolic tensors: the output shapes (one, or a list) after checking the inputs'."""
        given = _symbolic.flatten_shapes(input_shapes)
        if len(given) != len(self._inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self._inputs)} input(s), but it received '
                             f"{len(given)} input tensors.")
        for k, (shape, t) in enumerate(zip(given, self._inputs)):
            if tuple(shape)[1:] != t.shape[1:]:
                raise ValueError(f'Input {k} of layer "{self.name}" is incompatible with the layer: expected '
                                 f"shape={t.shape}, found shape={tuple(shape)}")
        if isinstance(self._outputs_struct, dict):      # a dict model returns a dict of tensors, as in Keras
            return {k: self._outputs_struct[k].shape for k in self._output_keys}
        shapes = [t.shape for t in self._outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _build_for(self, input_shape):
        return self._symbolic_output_shapes(input_shape)

    def _graph(self):
        return flat_graph(self._inputs, self._outputs, self._nodes, self._input_names, self._output_keys)

    def __call__(self, inputs, training=None, **kwargs):
        """On symbolic tensors: records the model as a layer of a bigger model (its weights shared).
        On arrays: `model(x)`, the outputs as one batch (as `predict_on_batch`)."""
        if _symbolic.is_symbolic(inputs):
            return Model.__call__(self, inputs, training=training, **kwargs)
        if kwargs:
            raise TypeError(f"Model() call got unexpected keyword arguments: {sorted(kwargs)}")
        return GraphTraining.__call__(self, inputs, training=False if training is None else training)

    def _shape_outputs(self, out, n):
        """predict's result in the structure of the model's outputs: one array, a list, or a dict."""
        arrays = GraphTraining._shape_outputs(self, out, n)
        if isinstance(self._outputs_struct, dict):
            return dict(zip(self._output_keys, arrays))
        return arrays

    # ------------------------------------------------------------------ display and config
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a table of the layers, their output shapes, parameter counts and, for a model that is
        not a chain, what each layer is connected to (Keras 3's layout).

        Args:
            line_length: total width of the table (default 88, or 108 with the "Connected to" column;
                less on a narrow terminal, as Keras).
            positions: the columns' right edges as fractions of line_length.
            print_fn: called with the table's text instead of printing it.
            expand_nested: also list the layers of nested models, indented ("└ "), as Keras.
            show_trainable: add Keras's "Trainable" column (Y, N, or - for a layer without weights).
            layer_range: two name patterns (regular expressions): list only the layers from the first
                match of one to the last match of the other, as Keras.
        """
        from cnn._functional_summary import print_functional_summary
        print_functional_summary(self, line_length, positions, print_fn, expand_nested, show_trainable,
                                 layer_range)

    def get_config(self):
        from cnn.saving.functional import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from cnn.saving.functional import functional_from_config
        return functional_from_config(config, custom_objects, cls=cls)

    def __repr__(self):
        return f"<Functional name={self.name}, built={self.built}>"


def _is_input_tensor(t):
    return _symbolic.inbound_nodes(t._history.operation)[t._history.node_index].is_input


def _from_intermediate(inputs, outputs):
    """Keras's clone_graph_nodes: a model whose inputs are intermediate tensors (a sub-model of another
    graph) gets a new Input for each ("<tensor name>CLONE") and the calls between are recorded again
    on it (the same layers, so the same weights)."""
    leaves = _symbolic.flatten(inputs)
    if all(_is_input_tensor(t) for t in leaves):
        return inputs, outputs
    from cnn.layers.core import Input
    tensors = {id(t): t if _is_input_tensor(t) else Input(batch_shape=t.shape, dtype=t.dtype, name=f"{t.name}CLONE")
               for t in leaves}
    nodes, _ = _symbolic._build_map(leaves, _symbolic.flatten(outputs))
    for node in nodes:
        if node.is_input or all(id(t) in tensors for t in node.outputs):
            continue
        args = _symbolic._map_structure(lambda t: tensors[id(t)], node.arguments)
        new = _symbolic.call(node.operation, args, node.call_kwargs)
        for old, t in zip(node.outputs, _symbolic.flatten(new)):
            tensors[id(old)] = t

    def mapped(structure):
        return _symbolic._map_structure(lambda t: tensors.get(id(t), t), structure)
    return mapped(inputs), mapped(outputs)


# ---------------------------------------------------------------------- the flat Graph

def _emit(operation, sources, nodes, training=None):
    """Appends one call to the flat node list; a model is inlined, its calls taking the mode of the call
    on the model (training=True/False) unless they fix their own, as Keras propagates `training`.
    Returns the refs of its outputs."""
    from cnn._graph import Node
    if isinstance(operation, Model):
        inner = operation._graph()
        base = len(nodes)

        def ref(s):
            return sources[-1 - s] if s < 0 else base + s
        for node in inner.nodes:
            mode = training if node.training is None else node.training
            nodes.append(Node(node.layer, [ref(s) for s in node.sources], mode))
        return [base + o for o in inner.outputs]
    nodes.append(Node(operation, list(sources), training))
    return [len(nodes) - 1]


def _call_mode(node):
    """The `training` a call fixed (True/False), or None (the mode of the pass)."""
    training = node.call_kwargs.get("training")
    return training if isinstance(training, bool) else None


def _passthrough(tensor):
    """A built no-op layer (C kind reshape: its output is its input) for a model input that is also an
    output; it has no weights and is not one of the model's layers."""
    from cnn.layers.reshaping import Reshape
    layer = Reshape(tuple(tensor.shape[1:]), name=tensor.name)
    _symbolic.build_for(layer, tuple(tensor.shape))
    return layer


def flat_graph(inputs, outputs, model_nodes, input_names, output_names):
    """The Graph of a functional model: its nodes in topological order, nested models inlined."""
    from cnn._graph import Graph, Node
    refs = {id(t): -1 - k for k, t in enumerate(inputs)}
    nodes = []
    for node in model_nodes:
        if node.is_input or all(id(t) in refs for t in node.outputs):
            continue
        sources = [refs[id(t)] for t in node.input_tensors]
        for t, r in zip(node.outputs, _emit(node.operation, sources, nodes, _call_mode(node))):
            refs[id(t)] = r
    out = []
    for t in outputs:
        r = refs[id(t)]
        if r < 0:   # an output that is a model input: the engine reads outputs from nodes, so a no-op one
            nodes.append(Node(_passthrough(t), [r]))
            r = len(nodes) - 1
        out.append(r)
    return Graph([tuple(t.shape[1:]) for t in inputs], list(input_names), nodes, out, list(output_names))


def chain_graph(model):
    """The Graph of a Sequential holding models: each layer (or inlined model) feeds the next."""
    from cnn._graph import Graph
    nodes, ref = [], -1
    for layer in model._layers:
        ref = _emit(layer, [ref], nodes)[0]
    return Graph([tuple(model._input.shape[1:])], [model._input.name], nodes, [ref], [model._layers[-1].name])
