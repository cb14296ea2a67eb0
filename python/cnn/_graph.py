"""Graph: everything a plan can run, a topological list of layer nodes (the front builds it, the engine runs it).

A `Sequential` is the chain `Graph.chain(layers, input_shape)`; a functional or subclassed model gives a
flat Graph (nested models inlined by the front). The engine turns it into C records, one per node, each
with its `inputs` (the node's sources).
"""
from dataclasses import dataclass


@dataclass
class Node:
    """One call of a built layer. The same layer object may appear at several nodes (a shared layer:
    the same weights, gradients summed), each with its own mode."""

    layer: object
    sources: list       # ints: j >= 0 -> nodes[j]'s output; -1-k -> model input k
    training: object = None   # None: the mode of the pass (fit: training, predict: inference); True/False:
                              # the call's own (`layer(x, training=True)` in a functional model)


@dataclass
class Graph:
    """Model inputs, nodes in topological order, and which nodes are the model outputs."""

    inputs: list        # per-sample shape (tuple, no batch axis) of each model input, in model order
    input_names: list   # the Input layers' names (keys of a dict x)
    nodes: list         # topological order; each a Node(layer, sources)
    outputs: list       # index into nodes of each model output, in model output order
    output_names: list  # Keras output names (the output layers' names)

    @classmethod
    def chain(cls, layers, input_shape, input_name="input_layer"):
        """The Graph of a Sequential: each layer feeds the next. input_shape is the per-sample shape
        (a leading None batch axis is dropped)."""
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        layers = list(layers)
        nodes = [Node(layer, [i - 1]) for i, layer in enumerate(layers)]
        outputs = [len(nodes) - 1] if nodes else []
        names = [layers[-1].name] if layers else []
        return cls([shape], [input_name], nodes, outputs, names)

    def is_chain(self):
        """Whether this Graph is a plain chain (one input, node i fed by node i-1, the last node the one
        output, no layer used twice): the engine runs those on the Sequential path."""
        if len(self.inputs) != 1 or self.outputs != [len(self.nodes) - 1]:
            return False
        if len({id(node.layer) for node in self.nodes}) != len(self.nodes):
            return False
        if any(node.training is not None for node in self.nodes):
            return False   # fixed modes run on the graph path (its inference passes key their streams)
        return all(node.sources == [i - 1] for i, node in enumerate(self.nodes))

    def layers(self):
        """The distinct layers, in order of first use."""
        seen, out = set(), []
        for node in self.nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                out.append(node.layer)
        return out

    def validate(self):
        """Raises ValueError if a source is out of range or not earlier, or an output index is invalid."""
        for j, node in enumerate(self.nodes):
            if not node.sources:
                raise ValueError(f"Graph node {j} ({node.layer.name}) has no sources")
            for s in node.sources:
                if not isinstance(s, int) or s >= j or s < -len(self.inputs):
                    raise ValueError(f"Graph node {j} ({node.layer.name}) has source {s!r}: sources must "
                                     f"be an earlier node (0..{j - 1}) or a model input (-1..-{len(self.inputs)})")
        for o in self.outputs:
            if not isinstance(o, int) or not 0 <= o < len(self.nodes):
                raise ValueError(f"Graph output {o!r} is not a node index (0..{len(self.nodes) - 1})")
        if len(self.output_names) != len(self.outputs):
            raise ValueError(f"Graph has {len(self.outputs)} outputs but {len(self.output_names)} output names")
        if len(self.input_names) != len(self.inputs):
            raise ValueError(f"Graph has {len(self.inputs)} inputs but {len(self.input_names)} input names")
