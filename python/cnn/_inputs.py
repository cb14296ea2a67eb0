"""Data for models of several inputs and outputs (Keras's rules): x and y as one array (one input or
output), a list or tuple in model order, or a dict keyed by input or output name. The C plan takes one
float32 row per sample: the inputs flattened and concatenated (the targets likewise), converted once;
uint8 rows when every input is uint8 (images: the core converts them batch by batch)."""
import numpy as np

from cnn import _data


def per_name(value, names, what):
    """value as a list in the order of names: one item (when there is one name), a list/tuple of that
    length, or a dict holding exactly those names."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names), key=str)
        missing = [n for n in names if n not in value]
        if unknown or missing:
            raise ValueError(f"{what} is a dict with keys {sorted(value, key=str)}, but the model's {what} "
                             f"names are {list(names)}" + (f" (missing {missing})" if missing else ""))
        return [value[n] for n in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"{what} data must hold {len(names)} arrays (one per model {what}: {list(names)}), "
                             f"got {len(value)}")
        return list(value)
    if len(names) > 1:
        raise ValueError(f"the model has {len(names)} {what}s {list(names)}: pass a list or a dict of arrays, "
                         f"got {type(value).__name__}")
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if isinstance(value, list) and len(value) == 1 and not np.isscalar(value[0]) \
            and np.ndim(value[0]) >= 1 and _is_array(value[0]):
        value = value[0]
    return [value]


def _is_array(v):
    return isinstance(v, np.ndarray) or hasattr(v, "to_numpy")


def as_inputs(x, shapes, names, name="x"):
    """(n, total) float32, or uint8 when every input is: each input checked against its per-sample
    shape, flattened, concatenated."""
    if x is None:
        raise ValueError(f"{name} is required, got None")
    parts = per_name(x, names, "input")
    arrays = [_data.as_features(p, shape, f"{name}[{n!r}]" if len(names) > 1 else name)
              for p, shape, n in zip(parts, shapes, names)]
    counts = {len(a) for a in arrays}
    if len(counts) != 1:
        raise ValueError(f"the inputs of {name} have different numbers of samples: "
                         f"{dict(zip(names, (len(a) for a in arrays)))}")
    if len(arrays) == 1:
        return arrays[0].reshape(len(arrays[0]), -1)
    n = len(arrays[0])
    dtype = np.uint8 if all(a.dtype == np.uint8 for a in arrays) else np.float32
    return np.concatenate([a.reshape(n, -1) for a in arrays], axis=1, dtype=dtype)


def as_targets(y, n, outputs, names, name="y"):
    """(n, total) float32 targets of every output, each as its loss takes it (class ids when sparse).
    outputs: per output (output_shape with batch axis, sparse, broadcast)."""
    if y is None:
        raise ValueError(f"{name} is required to train or evaluate: the model needs targets")
    parts = per_name(y, names, "output")
    arrays = [_data.as_targets(p, n, shape, sparse, f"{name}[{o!r}]" if len(names) > 1 else name, broadcast)
              for p, (shape, sparse, broadcast), o in zip(parts, outputs, names)]
    if len(arrays) == 1:
        return arrays[0]
    return np.ascontiguousarray(np.concatenate(arrays, axis=1))


def target_shapes(y, names):
    """The shape of each output's targets as given (for resolving 'accuracy' and 'crossentropy')."""
    return [np.shape(p) for p in per_name(y, names, "output")]


def split_outputs(out, shapes):
    """Rows of concatenated outputs -> one array per output, shaped (n,) + its shape; a single output
    gives its array."""
    n = len(out)
    arrays, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(np.ascontiguousarray(out[:, at:at + size]).reshape((n,) + tuple(shape)))
        at += size
    return arrays[0] if len(arrays) == 1 else arrays
