"""A private model class for the engine's tests: its `_graph()` returns a Graph built by hand (the
public cnn.Model(inputs, outputs) front is another module's)."""
import cnn
from cnn._graph import Graph, Node
from cnn._graph_model import GraphTraining


class HandGraphModel(GraphTraining, cnn.Sequential):
    """A Sequential whose structure is a hand-made Graph of built layers."""

    def __init__(self, graph, name=None):
        super().__init__(name=name)
        self._hand_graph = graph
        self._layers = graph.layers()
        self.built = True
        self._pack_weights()

    def _graph(self):
        return self._hand_graph

    @property
    def input_shape(self):
        shapes = [(None,) + tuple(s) for s in self._hand_graph.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = self._output_shapes()
        return shapes[0] if len(shapes) == 1 else shapes


def build(layer, *shapes):
    """Builds a layer for per-sample input shapes (several: a merge layer) and returns it."""
    full = [(None,) + tuple(s) for s in shapes]
    layer._build_for(full if len(full) > 1 else full[0])
    return layer


def graph(inputs, nodes, outputs, input_names=None, output_names=None):
    """Graph from [(layer, sources), ...]; names default to in0, in1, ... and the output layers' names."""
    nodes = [Node(layer, list(sources)) for layer, sources in nodes]
    return Graph([tuple(s) for s in inputs], input_names or [f"in{k}" for k in range(len(inputs))], nodes,
                 list(outputs), output_names or [nodes[j].layer.name for j in outputs])
