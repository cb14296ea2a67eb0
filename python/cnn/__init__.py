"""cnn: Keras-compatible neural networks trained by C kernels.

Change `from tensorflow import keras` to `import cnn as keras` (or `from cnn import layers, ...`)
and the course code runs, with the same maths, faster, and bit-for-bit reproducible from a seed.

Submodules load on first use (`cnn.layers`, `cnn.Sequential`, ...), so `import cnn` costs about a
millisecond; the first use brings in NumPy and the C core.
"""
import importlib

__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it
version = __version__

_SUBMODULES = ("activations", "backend", "callbacks", "constraints", "datasets", "initializers", "layers",
               "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving", "schedules",
               "testing", "utils")
_NAMES = {"Sequential": "cnn.models", "Model": "cnn.models", "Input": "cnn.layers"}

__all__ = ["Sequential", "Model", "Input", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"cnn.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
