"""cnn: Keras-compatible neural networks trained by C kernels.

Change `from tensorflow import keras` to `import cnn as keras` (or `from cnn import layers, ...`)
and the course code runs, with the same maths, faster, and bit-for-bit reproducible from a seed.
"""
from cnn import activations, callbacks, constraints, initializers, layers, losses, metrics, optimizers
from cnn import regularizers, utils
from cnn.layers import Input
from cnn.models import Sequential

__version__ = "0.1.0"
version = __version__

__all__ = ["Sequential", "Input", "layers", "activations", "callbacks", "constraints", "initializers",
           "losses", "metrics", "models", "optimizers", "regularizers", "utils", "datasets", "saving", "backend"]


def __getattr__(name):
    # submodules that pull in more code load on first use, keeping `import cnn` fast
    import importlib
    if name in ("models", "datasets", "saving", "schedules", "backend"):
        return importlib.import_module(f"cnn.{name}")
    raise AttributeError(f"module 'cnn' has no attribute {name!r}")
