"""The `.keras` archive (a zip of metadata.json, config.json and model.weights.h5) and the
`.weights.h5` file: cnn's save_model, load_model, save_weights and load_weights.

Without h5py the weights go into model.weights.npz instead (cnn reads it; Keras does not)."""
import datetime
import io
import json
import os
import warnings
import zipfile

from cnn.saving import _common as C
from cnn.saving.config import model_config, model_from_file_config
from cnn.saving.members import expansion_limit, open_zip, read_member, safe_names
from cnn.saving.readers import H5Reader, NpzReader
from cnn.saving.weights import collect_state, h5_bytes, load_state, npz_bytes


def _package():
    # _have_h5py and _warned_npz are looked up on cnn.saving, where tests force the npz fallback
    from cnn import saving
    return saving


def _cnn_version():
    import cnn
    return getattr(cnn, "__version__", "?")


def archive_bytes(model, weights_format):
    config_json = C.dumps(model_config(model))
    metadata = C.dumps({"keras_version": C.KERAS_FORMAT_VERSION, "saved_by": f"cnn {_cnn_version()}",
                        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    arrays, attrs = collect_state(model)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(C.METADATA, metadata)
        zf.writestr(C.CONFIG, config_json)
        if weights_format == "h5":
            zf.writestr(C.WEIGHTS_H5, h5_bytes(arrays, attrs))
        else:
            zf.writestr(C.WEIGHTS_NPZ, npz_bytes(arrays))
    return buf.getvalue()


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """model.save(filepath): a `.keras` zip (Keras 3 layout)."""
    include_optimizer = kwargs.pop("include_optimizer", True)  # accepted as Keras does; .keras keeps it
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    del include_optimizer
    to_file_object = C.is_file_object(filepath, "write")
    path = None if to_file_object else os.fspath(filepath)
    if save_format is not None:
        if path is not None and not path.endswith((".keras", ".h5", ".hdf5")):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument "
                             "and pass a file path with either `.keras` or `.h5` extension."
                             f"Received: save_format={save_format}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3. We recommend removing this "
                      "argument as it can be inferred from the file path. "
                      f"Received: save_format={save_format}", UserWarning, stacklevel=3)
    if zipped is False:
        raise ValueError("zipped=False (a model folder) is not supported by cnn; save to a .keras file")
    if path is not None and path.endswith((".h5", ".hdf5")):
        raise ValueError(f"cnn does not write the legacy HDF5 model format ({path}); save to a `.keras` file "
                         "(Keras 3's format, which Keras 3 loads), e.g. model.save('model.keras'), or use "
                         "model.save_weights('model.weights.h5') for the weights alone.")
    if path is not None and not path.endswith(".keras"):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for "
                         "the native Keras format (recommended) or a `.h5` extension. Use "
                         "`model.export(filepath)` if you want to export a SavedModel for use with "
                         f"TFLite/TFServing/etc. Received: filepath={path}.")
    if not model.built:
        warnings.warn("You are saving a model that has not yet been built. It might not contain any weights "
                      "yet. Consider building the model first by calling it on some data.", UserWarning,
                      stacklevel=3)
    package = _package()
    weights_format = "h5" if package._have_h5py() else "npz"
    if weights_format == "npz" and not package._warned_npz[0]:
        package._warned_npz[0] = True
        warnings.warn("h5py is not installed, so the weights are stored as model.weights.npz inside the "
                      ".keras file: cnn loads it, Keras needs the HDF5 form. For files Keras can load, "
                      f"install the extra: {C.H5_EXTRA}", UserWarning, stacklevel=3)
    data = archive_bytes(model, weights_format)
    if to_file_object:
        filepath.write(data)
        return
    if not overwrite and not C.ask_overwrite(path):
        return
    C.write_atomically(path, data)


def _weights_member(members, what):
    if C.WEIGHTS_H5 in members:
        C.require_h5py(f"Loading {what} (its weights are HDF5)")
        return H5Reader, members[C.WEIGHTS_H5]
    if C.WEIGHTS_NPZ in members:
        return NpzReader, members[C.WEIGHTS_NPZ]
    raise ValueError(f"{what} has neither {C.WEIGHTS_H5} nor {C.WEIGHTS_NPZ}: no weights to load")


def _source_size(source):
    if isinstance(source, str):
        return os.path.getsize(source)
    position = source.tell()
    size = source.seek(0, io.SEEK_END)
    source.seek(position)
    return size


def _max_params(reader, info, archive_size):
    """At most how many weights the file can fill: what the member can hold (float16 is the narrowest
    dtype accepted; the member may not expand past its cap), and what its layer arrays declare in
    their headers. Small models are built whatever the headers say, so that each array's own fault
    (shape, dtype) is reported."""
    stored = min(info.compress_size, archive_size)
    by_size = min(info.file_size, max(C.EXPAND_FLOOR, C.EXPAND_RATIO * stored), expansion_limit(info)) // 2
    return min(by_size, max(reader.stored_floats("layers", C.MAX_LAYERS), C.SMALL_MODEL))


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """cnn.models.load_model: a Sequential from a `.keras` file (ours or Keras 3's)."""
    del safe_mode   # cnn never deserializes code, whatever the flag says
    if C.is_file_object(filepath, "read"):
        source, what = filepath, "The file object"
    else:
        path = os.fspath(filepath)
        what = path
        if path.endswith((".h5", ".hdf5")):
            raise ValueError(f"{path}: cnn does not read the legacy HDF5 model format; load it in Keras and "
                             "save it again as .keras, or build the model in code and use "
                             "model.load_weights(...)")
        if not path.endswith(".keras"):
            raise ValueError(f"File format not supported: filepath={path}. cnn loads `.keras` files (Keras 3's "
                             "format).")
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}. Please ensure the file is an accessible "
                             "`.keras` zip file.")
        source = path
    with open_zip(source, what) as zf:
        members = safe_names(zf, what)
        if C.CONFIG not in members:
            raise ValueError(f"{what} has no config.json: it is not a .keras model file")
        text = read_member(zf, members[C.CONFIG], what, C.MAX_CONFIG_BYTES)
        try:
            config = json.loads(text)
        except (ValueError, RecursionError) as e:   # bad UTF-8 or JSON, absurdly long numbers
            raise ValueError(f"{what}: config.json is not valid JSON: {e}") from None
        del text
        reader_cls, info = _weights_member(members, what)
        reader = reader_cls(read_member(zf, info, what), f"{what} (weights)")
    try:
        max_params = _max_params(reader, info, _source_size(source))
        model = model_from_file_config(config, custom_objects, compile, what, max_params)
        load_state(model, reader)
    finally:
        reader.close()
    return model


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """model.save_weights(path): `.weights.h5` with the layers' and the optimizer's variables."""
    path = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError("max_shard_size (sharded weights) is not supported by cnn")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not model.built:
        raise ValueError("You are saving a model that has not yet been built. Try building the model first by "
                         "calling it on some data or by using `build()`.")
    C.require_h5py("model.save_weights (the .weights.h5 format is HDF5)")
    arrays, attrs = collect_state(model)
    data = h5_bytes(arrays, attrs)
    if not overwrite and not C.ask_overwrite(path):
        return
    C.write_atomically(path, data)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """model.load_weights(path) from `.weights.h5` or `.keras` (layers, and the optimizer when compiled)."""
    if kwargs.pop("by_name", None):
        raise ValueError("`by_name` only supports loading legacy '.h5' or '.hdf5' files, which cnn does not "
                         "read")
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    if not model.built:
        raise ValueError("You are loading weights into a model that has not yet been built. Try building the "
                         "model first by calling it on some data or by using `build()`.")
    if path.endswith(".keras"):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}")
        with open_zip(path, path) as zf:
            reader_cls, info = _weights_member(safe_names(zf, path), path)
            data = read_member(zf, info, path)
        reader = reader_cls(data, f"{path} (weights)")
    elif path.endswith(".weights.h5"):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path}")
        C.require_h5py("model.load_weights (the .weights.h5 format is HDF5)")
        with open(path, "rb") as f:
            reader = H5Reader(f.read(), path)
    elif path.endswith((".h5", ".hdf5")):
        raise ValueError(f"{path}: cnn does not read legacy HDF5 weight files; Keras 3 names weight files "
                         "`.weights.h5`")
    else:
        raise ValueError(f"File format not supported: filepath={path}. Keras 3 only supports V3 `.keras` files "
                         "and `.weights.h5` files.")
    try:
        model._pack_weights()
        load_state(model, reader, skip_mismatch)
    finally:
        reader.close()
