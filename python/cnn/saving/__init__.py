"""Saving and loading models in Keras 3's formats: `.keras` zips and `.weights.h5` files.

- archive.py: the `.keras` zip (metadata.json, config.json, model.weights.h5) and `.weights.h5`
  files; the public save/load functions.
- members.py: reading zip members within bounds (names, expansion caps, chunked reads).
- config.py / compile_config.py: the config registry (model <-> config.json, class allow-lists).
- weights.py / readers.py: the variables <-> the weights file (HDF5, or npz without h5py).
- pickling.py: pickle and deepcopy state.

Loading never runs code from the file: JSON and plain numeric arrays only (no pickle, no eval),
classes come from allow-lists (or the caller's custom_objects), every malformed or hostile input
ends in a ValueError that says what is wrong, and a small file loads or is refused in bounded time
and memory (the limits are in _common.py).
"""
from cnn.saving._common import have_h5py as _have_h5py  # noqa: F401 (archive.py looks it up here)
from cnn.saving.archive import load_model, load_weights, save_model, save_weights
from cnn.saving.compile_config import compile_from_config
from cnn.saving.config import model_config, sequential_from_config
from cnn.saving.pickling import model_deepcopy, model_getstate, model_setstate
from cnn.saving.readers import H5Reader as _H5Reader  # noqa: F401 (the readers, for tests and tools)
from cnn.saving.readers import NpzReader as _NpzReader  # noqa: F401
from cnn.saving.registration import get_registered_name, get_registered_object, register_keras_serializable

_warned_npz = [False]

__all__ = ["compile_from_config", "get_registered_name", "get_registered_object", "load_model", "load_weights",
           "model_config", "model_deepcopy", "model_getstate", "model_setstate", "register_keras_serializable",
           "save_model", "save_weights", "sequential_from_config"]
