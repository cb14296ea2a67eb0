"""Reading weights files: HDF5 (Keras's model.weights.h5) and cnn's npz fallback.

Both readers check an array's header (dtype, shape) against what the model expects before reading
its data, follow hard links only, and never unpickle."""
import io
import zipfile

import numpy as np
from numpy.lib import format as npy_format

from cnn.saving._common import ZIP_ERRORS, require_h5py


class BadArray(ValueError):
    """An array whose header does not fit the model (raised before any data is read)."""


def check_array_header(what, path, got_shape, dtype, shape, kinds):
    if dtype.hasobject or dtype.kind not in kinds or dtype.itemsize > 8:
        raise BadArray(f"{what}: '{path}' holds {dtype} values; expected "
                       f"{'floats' if kinds == 'f' else 'numbers'}")
    if tuple(got_shape) != tuple(shape):
        raise BadArray(f"{what}: '{path}' has shape {tuple(got_shape)}, the model expects {tuple(shape)}")


def _size(shape):
    size = 1
    for d in shape:
        size *= int(d)
    return size


class H5Reader:
    """Reads datasets by path from HDF5 bytes, checking links, layout, shape and dtype first."""

    _ERRORS = (KeyError, OSError, RuntimeError, TypeError, AttributeError, OverflowError)  # h5py, corrupt files

    def __init__(self, data, what):
        h5py = require_h5py(f"Loading {what}")
        self._h5py = h5py
        self.what = what
        try:
            self.f = h5py.File(io.BytesIO(data), "r")
        except (ValueError,) + self._ERRORS as e:
            raise ValueError(f"{what} is not a readable HDF5 file: {e}") from None

    def _node(self, path):
        """The object at path through hard links only, or None when absent."""
        h5py, node = self._h5py, self.f
        try:
            for part in path.split("/"):
                if not isinstance(node, h5py.Group) or part not in node:
                    return None
                link = node.get(part, getlink=True)
                if not isinstance(link, h5py.HardLink):
                    raise ValueError(f"{self.what}: '{path}' is a {type(link).__name__}; links are not allowed")
                node = node[part]
        except self._ERRORS as e:
            raise ValueError(f"{self.what}: cannot read '{path}': {e}") from None
        return node

    def keys(self, path):
        group = self._node(path)
        if group is None:
            return None
        if not isinstance(group, self._h5py.Group):
            raise ValueError(f"{self.what}: '{path}' should be a group")
        try:
            return set(group.keys())
        except self._ERRORS as e:
            raise ValueError(f"{self.what}: cannot list '{path}': {e}") from None

    def stored_floats(self, path, limit):
        """How many numbers the datasets directly in path/<group>/vars hold, from their headers alone
        (at most `limit` groups are looked at)."""
        groups = self.keys(path) or set()
        if len(groups) > limit:
            raise ValueError(f"{self.what}: '{path}' holds {len(groups)} groups; not a model's weights")
        total = 0
        for name in groups:
            for key in self.keys(f"{path}/{name}/vars") or ():
                ds = self._node(f"{path}/{name}/vars/{key}")
                if isinstance(ds, self._h5py.Dataset):
                    total += _size(ds.shape or ())
        return total

    def get(self, path, shape, kinds="f"):
        ds = self._node(path)
        if not isinstance(ds, self._h5py.Dataset):
            raise ValueError(f"{self.what}: '{path}' is missing or not a dataset")
        try:
            if ds.external or ds.is_virtual:
                raise ValueError(f"{self.what}: '{path}' points outside the file; not allowed")
            check_array_header(self.what, path, ds.shape, ds.dtype, shape, kinds)
            return np.asarray(ds[()])
        except self._ERRORS as e:
            raise ValueError(f"{self.what}: cannot read '{path}': {e}") from None

    def close(self):
        self.f.close()


class NpzReader:
    """Reads the arrays of our npz weights without np.load: headers checked, never pickle."""

    def __init__(self, data, what):
        self.what = what
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            self.names = set(self.zf.namelist())
        except (ValueError,) + ZIP_ERRORS as e:
            raise ValueError(f"{what} is not a readable npz file: {e}") from None

    def has_group(self, path):
        return any(n.startswith(path + "/") for n in self.names)

    def keys(self, path):
        prefix = path + "/"
        found = {n[len(prefix):-4] for n in self.names if n.startswith(prefix) and n.endswith(".npy")}
        found = {k for k in found if "/" not in k}
        return found if found or self.has_group(path) else None

    def _header(self, f):
        version = npy_format.read_magic(f)
        read = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        return read(f)

    def stored_floats(self, path, limit):
        """How many numbers the arrays under path/<group>/vars/ declare, from their headers alone."""
        from cnn.saving.members import check_expansion
        prefix, total = path + "/", 0
        names = [n for n in self.names if n.startswith(prefix) and n.endswith(".npy")]
        if len(names) > 4 * limit:
            raise ValueError(f"{self.what}: '{path}' holds {len(names)} arrays; not a model's weights")
        for name in names:
            info = self.zf.getinfo(name)
            check_expansion(info, self.what)
            try:
                with self.zf.open(info) as f:
                    total += _size(self._header(f)[0])
            except (ValueError,) + ZIP_ERRORS as e:
                raise ValueError(f"{self.what}: cannot read '{name}': {e}") from None
        return total

    def get(self, path, shape, kinds="f"):
        from cnn.saving.members import check_expansion
        name = path + ".npy"
        if name not in self.names:
            raise ValueError(f"{self.what}: '{path}' is missing")
        info = self.zf.getinfo(name)
        check_expansion(info, self.what)
        try:
            with self.zf.open(info) as f:
                got_shape, fortran, dtype = self._header(f)
                check_array_header(self.what, path, got_shape, dtype, shape, kinds)
                count = int(np.prod(got_shape))
                raw = f.read(count * dtype.itemsize)
        except BadArray:
            raise
        except (ValueError,) + ZIP_ERRORS as e:
            raise ValueError(f"{self.what}: cannot read '{path}': {e}") from None
        if len(raw) != count * dtype.itemsize:
            raise ValueError(f"{self.what}: '{path}' is truncated")
        out = np.frombuffer(raw, dtype=dtype, count=count)
        return out.reshape(got_shape, order="F" if fortran else "C")

    def close(self):
        self.zf.close()
