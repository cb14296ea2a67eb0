"""Symbolic tensors and the node history of the functional API (Keras's KerasTensor and Node).

`cnn.Input(shape)` returns a `KerasTensor`: a shape with a None batch axis, a dtype, a name and
`_history = (layer, node_index, tensor_index)`, the call that produced it. Calling a layer on
symbolic tensors builds the layer for their shape and records a `Node` (the layer, its input
tensors, its output tensors) in `layer._inbound_nodes`; `map_graph` walks that history from a
model's outputs back to its inputs, in Keras's order. No number is ever computed here.

    x = cnn.Input((4,)); y = layers.Dense(2)(x)
    y._history.operation                      # the Dense layer
    y._history.operation._inbound_nodes[0]    # Node(Dense, inputs [x], outputs [y])
"""
import collections
import weakref

KerasHistory = collections.namedtuple("KerasHistory", ["operation", "node_index", "tensor_index"])

_tensor_count = [0]
_sequentials = weakref.WeakSet()   # built Sequentials: their symbolic graph is made on first use


def _tensor_name():
    n = _tensor_count[0]
    _tensor_count[0] += 1
    return "keras_tensor" if n == 0 else f"keras_tensor_{n}"


class KerasTensor:
    """A symbolic tensor: what a layer returns when called on `cnn.Input(...)` or on another one.

    It has a `shape` (the batch axis is None), a `dtype` and a `name`, and no values: it describes
    a model being built, `cnn.Model(inputs, outputs)` turns the calls into a graph.
    """

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name or _tensor_name()
        self._history = history
        self.sparse = self.ragged = False

    @property
    def _keras_history(self):   # Keras's spelling
        return self._history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged={self.ragged}, name={self.name}>")

    # Values do not exist while the model is being described: say so instead of failing later.
    def __iter__(self):
        raise NotImplementedError("Iterating over a symbolic KerasTensor is not supported.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean: it has no value while the "
                        "model is being built (Python `if`/`while` on a tensor's value cannot be traced).")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"A symbolic KerasTensor ({self.name}, shape {self.shape}) cannot be converted to a "
                        "NumPy array: it has no value while the model is being built. Use cnn layers on "
                        "symbolic tensors, or call the model on arrays to get numbers.")

    def numpy(self):
        return self.__array__()

    def __len__(self):
        raise TypeError(f"A symbolic KerasTensor has no length (shape {self.shape}; the batch axis is unknown)")

    # Arithmetic between symbolic tensors records the matching merge layer, as Keras's ops do.
    def _merge(self, other, cls_name, swap=False):
        from cnn.layers import merging
        if not isinstance(other, KerasTensor):
            raise TypeError(f"Only symbolic tensors can be combined with a symbolic tensor here (with "
                            f"cnn.layers.{cls_name}); got {type(other).__name__}")
        pair = [other, self] if swap else [self, other]
        return getattr(merging, cls_name)()(pair)

    def __add__(self, other):
        return self._merge(other, "Add")

    def __radd__(self, other):
        return self._merge(other, "Add", swap=True)

    def __sub__(self, other):
        return self._merge(other, "Subtract")

    def __rsub__(self, other):
        return self._merge(other, "Subtract", swap=True)

    def __mul__(self, other):
        return self._merge(other, "Multiply")

    def __rmul__(self, other):
        return self._merge(other, "Multiply", swap=True)

    __hash__ = object.__hash__   # tensors are dict keys by identity, never compared by value


class Node:
    """One call of an operation (a layer or model) on symbolic tensors.

    Attributes:
        operation: the layer or model called.
        arguments: the inputs as passed (a tensor, or a list/tuple/dict of them).
        input_tensors: the input tensors, flattened in order.
        outputs: the output tensors, flattened in order (`output_tensors` is the same list).
        call_kwargs: keyword arguments of the call (e.g. `training`).
    """

    def __init__(self, operation, arguments=None, outputs=(), call_kwargs=None):
        self.operation = operation
        self.arguments = arguments
        self.input_tensors = flatten(arguments) if arguments is not None else []
        self.outputs = list(outputs)
        self.call_kwargs = dict(call_kwargs or {})
        nodes = inbound_nodes(operation)
        nodes.append(self)
        for i, t in enumerate(self.outputs):
            t._history = KerasHistory(operation, len(nodes) - 1, i)
        for t in self.input_tensors:
            outbound_nodes(t._history.operation).append(self)

    @property
    def output_tensors(self):
        return self.outputs

    @property
    def is_input(self):
        return not self.input_tensors

    @property
    def parent_nodes(self):
        return [inbound_nodes(t._history.operation)[t._history.node_index] for t in self.input_tensors]

    def __repr__(self):
        return f"<Node operation={getattr(self.operation, 'name', self.operation)}, inputs={len(self.input_tensors)}>"


def inbound_nodes(operation):
    """The nodes where `operation` was called (created on first use: layers saved before they existed)."""
    nodes = operation.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(operation, "_inbound_nodes", nodes)
    return nodes


def outbound_nodes(operation):
    nodes = operation.__dict__.get("_outbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(operation, "_outbound_nodes", nodes)
    return nodes


def flatten(structure):
    """The leaves of a tensor, a list/tuple of them or a dict of them (dict values by sorted key, as
    Keras's tree.flatten)."""
    if isinstance(structure, dict):
        return [t for k in sorted(structure) for t in flatten(structure[k])]
    if isinstance(structure, (list, tuple)):
        return [t for v in structure for t in flatten(v)]
    return [structure]


def is_symbolic(x):
    """Whether x is a symbolic tensor or a list/tuple/dict holding one."""
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, dict):
        return any(is_symbolic(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(is_symbolic(v) for v in x)
    return False


def _map_structure(fn, structure):
    if isinstance(structure, dict):
        return {k: _map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_structure(fn, v) for v in structure)
    return fn(structure)


def input_tensor(layer, dtype="float32"):
    """The symbolic tensor an InputLayer outputs (its node has no inputs)."""
    tensor = KerasTensor(layer.shape, dtype=dtype, name=layer.name)
    Node(layer, None, [tensor])
    return tensor


def call(operation, inputs, call_kwargs=None):
    """`operation(inputs)` on symbolic tensors: builds it for their shapes, returns the output tensor(s).

    The operation computes its output shapes with `_symbolic_output_shapes(input_shapes)` when it has
    one (models: a structure of shapes), else `_build_for(shape)` (layers; a list of shapes for merge
    layers called on a list).
    """
    leaves = flatten(inputs)
    if not _takes_several(operation) and isinstance(inputs, (list, tuple, dict)):
        if len(leaves) != 1:
            raise ValueError(f'Layer "{operation.name}" expects 1 input(s), but it received {len(leaves)} input '
                             f"tensors. Inputs received: {inputs}"[:1000])
        inputs = leaves[0]
    for t in leaves:
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Layer '{operation.name}' was called on a mix of symbolic tensors and "
                            f"{type(t).__name__}; call it on symbolic tensors only (cnn.Input(...) and what "
                            "layers return), or on arrays only.")
    shapes = _map_structure(lambda t: t.shape, inputs)
    if hasattr(operation, "_symbolic_output_shapes"):
        out_shapes = operation._symbolic_output_shapes(shapes)
    else:
        out_shapes = build_for(operation, shapes)
    outputs = _map_shapes(KerasTensor, _as_shape_structure(out_shapes))   # cnn computes in float32
    Node(operation, inputs, flatten(outputs), call_kwargs)
    return outputs


def _takes_several(operation):
    """Merge layers take a list of tensors, models a structure of them; other layers one tensor."""
    from cnn.layers.merging import _Merge
    return isinstance(operation, _Merge) or hasattr(operation, "_symbolic_output_shapes") \
        or hasattr(operation, "_saving_layers")


def _as_shape_structure(shapes):
    """A shape (tuple of ints/None) stays a leaf; a list of shapes becomes a list of leaves."""
    if isinstance(shapes, dict):
        return {k: _as_shape_structure(v) for k, v in shapes.items()}
    if isinstance(shapes, list) or (isinstance(shapes, tuple) and shapes and isinstance(shapes[0], (tuple, list))):
        return [_as_shape_structure(s) for s in shapes]
    return _Shape(shapes)


class _Shape(tuple):
    """A shape marked as a leaf for _map_structure's callers (a tuple of dims is not a structure)."""


def flatten_shapes(shapes):
    """The shapes of a structure of shapes (a shape is a tuple of ints/None), in flatten's order."""
    out = []

    def walk(structure):
        if isinstance(structure, _Shape):
            out.append(tuple(structure))
        elif isinstance(structure, dict):
            for k in sorted(structure):
                walk(structure[k])
        else:
            for v in structure:
                walk(v)
    walk(_as_shape_structure(shapes))
    return out


def _map_shapes(fn, structure):
    if isinstance(structure, _Shape):
        return fn(tuple(structure))
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    return [_map_shapes(fn, s) for s in structure]


def build_for(layer, shapes):
    """Builds a layer for symbolic input shapes and returns its output shape, with Keras's message when
    a built layer is called on a last axis it was not built for."""
    built = getattr(layer, "input_shape", None)
    if (layer.built and isinstance(shapes, tuple) and built is not None and isinstance(built, tuple)
            and built and not isinstance(built[0], tuple) and len(built) == len(shapes)
            and built[-1] != shapes[-1]):
        raise ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected axis -1 of '
                         f"input shape to have value {built[-1]}, but received input with shape {shapes}")
    if isinstance(shapes, list):
        shapes = [tuple(s) for s in shapes]
    return layer._build_for(shapes)


def map_graph(inputs, outputs):
    """Keras's functional.map_graph: the nodes from `inputs` to `outputs` in topological order, the
    operations in Keras's `model.layers` order (by decreasing depth, then traversal order), and the
    nodes by depth ({depth: [node]}, 0 at the outputs).

    Raises ValueError for a graph not connected to the inputs, a cycle, or two layers with one name.
    """
    nodes, indices = _build_map(inputs, outputs)
    in_graph = set(nodes)
    node_depth, op_depth = {}, {}
    for node in reversed(nodes):
        depth = max(node_depth.setdefault(node, 0), op_depth.get(node.operation, 0))
        op_depth[node.operation] = depth
        node_depth[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in inputs:   # inputs no output uses are still the model's (Keras keeps them)
        op = t._history.operation
        node = inbound_nodes(op)[t._history.node_index]
        if op not in op_depth and node.is_input:
            op_depth[op], indices[op], node_depth[node] = 0, -1, 0
            nodes.insert(0, node)
    by_depth = collections.defaultdict(list)
    for op, depth in op_depth.items():
        by_depth[depth].append(op)
    operations = []
    for depth in sorted(by_depth, reverse=True):
        operations.extend(sorted(by_depth[depth], key=lambda op: indices[op]))
    computable = set(inputs)
    done = []
    nodes_by_depth = collections.defaultdict(list)
    for node, depth in node_depth.items():
        nodes_by_depth[depth].append(node)
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            for t in node.input_tensors:
                if t not in computable:
                    raise ValueError(f"Graph disconnected: cannot find parent for tensor {t} at layer "
                                     f"'{node.operation.name}'. The following previous layers were accessed "
                                     f"without issue: {done}")
                done.append(node.operation.name)
            computable.update(node.outputs)
    names = [op.name for op in operations]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All operation '
                             "names should be unique.")
    return nodes, operations, dict(nodes_by_depth)


def _build_map(inputs, outputs):
    finished, in_progress, ordered, indices = set(), set(), [], {}
    input_ids = {id(t) for t in inputs}

    def visit(tensor, path):
        op, node_index, _ = tensor._history
        node = inbound_nodes(op)[node_index]
        if node in finished:
            return
        if node.is_input and id(tensor) not in input_ids:     # an Input the model was not given
            raise ValueError(f"Output with path `{path}` is not connected to `inputs`")
        if not node.is_input and id(tensor) in input_ids:   # an intermediate tensor used as a model input
            finished.add(node)
            return
        if node in in_progress:
            raise ValueError(f"Tensor {tensor} from layer '{op.name}' is part of a cycle.")
        indices.setdefault(op, len(indices))
        in_progress.add(node)
        for t in node.input_tensors:
            visit(t, path)
        finished.add(node)
        in_progress.remove(node)
        ordered.append(node)

    for k, t in enumerate(outputs):
        visit(t, "" if len(outputs) == 1 else str(k))
    return ordered, indices


def node_attribute(layer, attr, what):
    """layer.input / layer.output: the first call's tensor(s), Keras 3's rule and errors."""
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if not nodes:   # a layer of a built Sequential: its graph is made now (Keras makes it at build)
        for model in list(_sequentials):
            if any(other is layer for other in model._layers):
                model._symbolic_io()
                nodes = layer.__dict__.get("_inbound_nodes") or []
                break
    if not nodes:
        raise AttributeError(f"The layer {layer.name} has never been called and thus has no defined {what}.")
    values = getattr(nodes[0], attr)
    return values[0] if len(values) == 1 else values


def check_tensor(x, what):
    if not isinstance(x, KerasTensor):
        raise TypeError(f"{what} must be symbolic tensors (cnn.Input(...) or what layers return when called on "
                        f"one); got {type(x).__name__}: {x!r}"[:300])
    return x

