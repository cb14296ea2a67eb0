"""fingerprint: a short, stable hash of a model's weights or a history's values, for exact-match
checks across machines (cnn trains bit-for-bit reproducibly from a seed, on any thread count)."""
import hashlib

import numpy as np


def _arrays(obj):
    """(label, float32 array) pairs in a fixed order."""
    history = getattr(obj, "history", None)
    if isinstance(history, dict):   # a History: its values, not the model it points to
        obj = history
    if isinstance(obj, dict):
        return [(str(k), np.asarray(obj[k], np.float32)) for k in sorted(obj)]
    if hasattr(obj, "get_weights"):
        return [(str(i), np.asarray(w, np.float32)) for i, w in enumerate(obj.get_weights())]
    if isinstance(obj, (list, tuple)):
        return [(str(i), np.asarray(w, np.float32)) for i, w in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return [("0", obj.astype(np.float32))]
    raise TypeError(f"fingerprint takes a model, a History, a dict of lists or a list of arrays, got "
                    f"{type(obj).__name__}")


def fingerprint(obj, length=16):
    """A hex digest of the float32 bytes of a model's weights (get_weights order, shapes included) or
    of a History's values (keys sorted); equal fingerprints mean bit-identical numbers.

    Args:
        obj: a model (anything with get_weights), a History, `history.history`, or a list of arrays.
        length: hex characters to keep (default 16: 64 bits).

    Example:

    >>> cnn.testing.fingerprint(model)   # doctest: +SKIP
    '3f9a0c51d2e7b884'
    """
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 64:
        raise ValueError(f"length must be an integer in 1..64, got {length!r}")
    digest = hashlib.sha256()
    for label, a in _arrays(obj):
        a = np.ascontiguousarray(a, dtype="<f4")   # little-endian on every machine
        if np.isnan(a).any():   # one NaN pattern: a NaN's sign bit can differ between instruction sets
            a = np.where(np.isnan(a), np.float32(np.nan), a).astype("<f4")
        digest.update(f"{label}:{a.shape};".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()[:length]
