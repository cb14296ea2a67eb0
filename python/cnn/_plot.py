"""cnn.utils.plot_model: the layers drawn with matplotlib alone (no Graphviz, no pydot): a chain for a
Sequential, ranks of boxes joined by arrows for a functional model (several inputs, branches, merges)."""
import os

_BOX_W, _BOX_H, _GAP = 3.6, 0.62, 0.42   # inches: box width, height of one text line, space between boxes


def _shape_text(shape):
    if shape and isinstance(shape[0], (list, tuple)):    # a merge layer's inputs
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _label(layer, input_shape, output_shape, options):
    """The lines of one box, as Keras's plot_model writes them."""
    kind = type(layer).__name__
    lines = [f"{layer.name} ({kind})" if options["show_layer_names"] else kind]
    if options["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        from cnn import activations
        lines.append(f"Activation: {activations.serialize(layer.activation)}")
    if options["show_shapes"]:
        if input_shape is not None:
            lines.append(f"Input shape: {_shape_text(input_shape)}")
        if output_shape is not None:
            lines.append(f"Output shape: {_shape_text(output_shape)}")
    extra = []
    if options["show_dtype"]:
        extra.append("float32")
    if options["show_trainable"]:
        extra.append(f"Trainable: {'Y' if layer.trainable else 'N'}")
    if extra:
        lines.append(" · ".join(extra))
    return lines


def _boxes(model, options):
    """(labels, rank of each box, arrows as (from box, to box)): a chain for a Sequential."""
    if hasattr(model, "_nodes"):
        return _graph_boxes(model, options)
    boxes = []
    if model._input is not None:
        inp = model._input
        boxes.append(_label(inp, None, inp.shape, options))
    for layer in model.layers:
        built = model.built and layer.built
        boxes.append(_label(layer, layer.input_shape if built else None, layer.output_shape if built else None,
                            options))
    return boxes, list(range(len(boxes))), [(i, i + 1) for i in range(len(boxes) - 1)]


def _graph_boxes(model, options):
    """A functional model: one box per layer (InputLayers too), ranked by their longest path from an input."""
    from cnn.layers.core import InputLayer
    layers = model.layers
    index = {id(layer): i for i, layer in enumerate(layers)}
    rank, arrows = [0] * len(layers), []
    for node in model._nodes:                      # topological: a layer's sources are ranked first
        if node.is_input or id(node.operation) not in index:
            continue
        j = index[id(node.operation)]
        for t in node.input_tensors:
            i = index.get(id(t._history.operation))
            if i is not None:
                arrows.append((i, j))
                rank[j] = max(rank[j], rank[i] + 1)
    boxes = []
    for layer in layers:
        if isinstance(layer, InputLayer):
            boxes.append(_label(layer, None, layer.shape, options))
        else:
            boxes.append(_label(layer, layer.input_shape, layer.output_shape, options))
    return boxes, rank, sorted(set(arrows))


def plot_model(model, to_file=None, show_shapes=False, show_dtype=False, show_layer_names=False, rankdir="TB",
               expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False, **kwargs):
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from cnn.models import Model
    if not isinstance(model, Model):
        raise TypeError(f"plot_model needs a cnn model, got {type(model).__name__}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' (top to bottom) or 'LR' (left to right), got {rankdir!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or dpi <= 0:
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    if to_file is not None and not isinstance(to_file, (str, os.PathLike)):
        raise TypeError(f"to_file must be a file path or None, got {to_file!r}")
    kwargs.pop("splines", None)   # Graphviz's edge style: nothing to do here
    if kwargs:
        raise TypeError(f"plot_model() got unexpected keyword arguments: {sorted(kwargs)}")
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype, "show_layer_names": show_layer_names,
               "show_layer_activations": show_layer_activations, "show_trainable": show_trainable}
    boxes, ranks, arrows = _boxes(model, options)
    if not boxes:
        raise ValueError("plot_model: the model has no layers to draw")
    heights = [0.3 + 0.28 * len(lines) for lines in boxes]
    box_h = max(heights)
    vertical = rankdir == "TB"
    n = max(ranks) + 1
    columns = {}
    slot = [columns.setdefault(r, []).append(i) or len(columns[r]) - 1 for i, r in enumerate(ranks)]
    m = max(len(v) for v in columns.values())
    width = m * (_BOX_W + _GAP) + 0.4 - _GAP if vertical else n * (_BOX_W + _GAP) + 0.4 - _GAP
    height = n * (box_h + _GAP) + 0.4 - _GAP if vertical else m * (box_h + _GAP) + 0.4 - _GAP
    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    centres = []
    for i, lines in enumerate(boxes):
        r, k = ranks[i], slot[i] - (len(columns[ranks[i]]) - 1) / 2   # boxes of one rank centred side by side
        if vertical:
            cx, cy = width / 2 + k * (_BOX_W + _GAP), height - 0.2 - box_h / 2 - r * (box_h + _GAP)
        else:
            cx, cy = 0.2 + _BOX_W / 2 + r * (_BOX_W + _GAP), height / 2 - k * (box_h + _GAP)
        centres.append((cx, cy))
        ax.add_patch(FancyBboxPatch((cx - _BOX_W / 2, cy - box_h / 2), _BOX_W, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.08", facecolor="#f4f6fb",
                                    edgecolor="#4a5a78", linewidth=1.2))
        ax.text(cx, cy + 0.14 * (len(lines) - 1), lines[0], ha="center", va="center", fontsize=9,
                fontweight="bold")
        for k, line in enumerate(lines[1:], start=1):
            ax.text(cx, cy + 0.14 * (len(lines) - 1) - 0.28 * k, line, ha="center", va="center", fontsize=8)
    for (x0, y0), (x1, y1) in ((centres[i], centres[j]) for i, j in arrows):
        if vertical:
            start, end = (x0, y0 - box_h / 2), (x1, y1 + box_h / 2)
        else:
            start, end = (x0 + _BOX_W / 2, y0), (x1 - _BOX_W / 2, y1)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#4a5a78"))
    if to_file is not None:
        fig.savefig(os.fspath(to_file), dpi=dpi)
    return fig
