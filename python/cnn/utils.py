"""cnn.utils: seeding, threads, one-hot encoding (keras.utils)."""
import os
import random

import numpy as np

from cnn import _core


def _initial_seed():
    """The CNN_SEED environment variable fixes the default seed of a whole run (for graders such as
    otter-grader and nbgrader, which seed only NumPy and `random`); without it, a random seed."""
    value = os.environ.get("CNN_SEED", "").strip()
    if not value:
        return int.from_bytes(os.urandom(4), "little")
    if not value.isdigit():
        raise ValueError(f"the environment variable CNN_SEED must be an integer >= 0, got {value!r}")
    return int(value)


# generation: how many times the seed was set, so per-call random streams restart after each seeding
_state = {"seed": _initial_seed(), "draws": 0, "generation": 0}


def set_random_seed(seed):
    """Seeds everything cnn draws (initial weights, shuffling, dropout), plus Python's and NumPy's
    global generators as Keras does. The same seed gives bit-identical training."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r} of type {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    seed = int(seed)
    _state["seed"] = seed
    _state["draws"] = 0
    _state["generation"] += 1
    random.seed(seed)
    np.random.seed(seed % 2**32)


def _global_seed():
    return _state["seed"]


def _draw_key():
    """A fresh initializer stream for a draw that names no key: the n-th draw since the last seed."""
    _state["draws"] += 1
    return _core.rng_key(_state["seed"], _core.enums["rng"]["init"], 2**32 + _state["draws"], 0)


def _layer_key(position, index):
    """The stream of weight `index` of the layer at `position` in its model: build order does not matter."""
    return _core.rng_key(_state["seed"], _core.enums["rng"]["init"], position, index)


def set_num_threads(n):
    """Worker threads of the C core (0: every core this process may use). Results do not depend on it."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"the number of threads must be an integer >= 0, got {n!r}")
    _core.set_num_threads(int(n))


def get_num_threads():
    return _core.get_num_threads()


def to_categorical(x, num_classes=None):
    """One-hot encodes integer class labels (float64, like Keras 3). A trailing axis of 1 is dropped."""
    y = np.asarray(x)
    if y.size and not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
        raise TypeError(f"to_categorical needs integer class labels, got dtype {y.dtype}")
    if y.size and np.issubdtype(y.dtype, np.floating) and not np.all(np.mod(y, 1) == 0):
        raise ValueError("to_categorical needs whole-number class labels, got fractional values")
    y = y.astype(np.int64)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"class labels must be >= 0, got {y.min()}")
    top = int(y.max()) + 1 if y.size else 0
    if num_classes is None:
        num_classes = top
    elif num_classes < top:
        raise ValueError(f"num_classes={num_classes} but the labels go up to {top - 1}")
    out = np.zeros(y.shape + (int(num_classes),), dtype=np.float64)
    np.put_along_axis(out, y[..., None], 1.0, axis=-1)
    return out


def normalize(x, axis=-1, order=2):
    """L-p normalises x along axis (keras.utils.normalize)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def plot_model(model, to_file=None, show_shapes=False, show_dtype=False, show_layer_names=False, rankdir="TB",
               expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model's layers as boxes joined by arrows, with matplotlib alone (no Graphviz needed).

    A Sequential is a chain; a functional model is drawn by ranks (each layer one rank below the
    deepest layer feeding it), its InputLayers at the top.

    Args:
        model: a `cnn.Sequential` or functional `cnn.Model`.
        to_file: path of the image to write (e.g. "model.png"; the extension picks the format), or
            `None` (the default) to write nothing.
        show_shapes: write each layer's input and output shapes.
        show_dtype: write the layers' dtype (float32).
        show_layer_names: write each layer's name before its class.
        rankdir: "TB" (top to bottom, the default) or "LR" (left to right).
        expand_nested: accepted for Keras compatibility (a nested model is drawn as one box).
        dpi: the image's resolution (default 200).
        show_layer_activations: write the activation of layers that have one.
        show_trainable: write whether each layer is trainable.
        **kwargs: Keras's `splines=` is accepted and ignored.

    Returns:
        The `matplotlib.figure.Figure` (a notebook shows it inline).
    """
    from cnn._plot import plot_model as plot
    return plot(model, to_file, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
                show_layer_activations, show_trainable, **kwargs)


def clear_session(free_memory=True):
    """Resets layer auto-naming (dense, dense_1, ...) like keras.utils.clear_session, and with
    free_memory (the default, as Keras 3) runs the garbage collector: a dropped model and its History
    refer to each other, so their weights and buffers go at the collector's next full pass, which a
    loop building model after model reaches late."""
    from cnn.layers.base import _reset_names
    _reset_names()
    if free_memory:
        import gc
        gc.collect()


def __getattr__(name):
    # keras.utils.PyDataset (and tf.keras's Sequence): loaded on first use
    if name in ("PyDataset", "Sequence"):
        from cnn._batches import PyDataset
        return PyDataset
    raise AttributeError(f"module 'cnn.utils' has no attribute {name!r}")
