"""Checks and converts what users pass to fit/evaluate/predict into private float32 arrays (uint8
images excepted: the core reads them as they are)."""
import warnings

import numpy as np

_F32_MAX = float(np.finfo(np.float32).max)


def _numeric(a, name):
    if a.dtype == object or a.dtype.kind in "USVMm":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype} (encode text labels as integers "
                        "first, e.g. with a dict or pandas .map)")
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real numbers, got complex dtype {a.dtype}")


def _finite(a, name):
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f"{name} contains NaN or infinity (first at index {tuple(int(i) for i in bad)}); "
                         "clean or impute the data first")


def _from_pandas(x):
    """pandas objects as float arrays: nullable columns (Float64, Int64, boolean) give NaN for <NA>,
    so the NaN check below names the problem instead of a dtype error."""
    to_numpy = getattr(x, "to_numpy", None)
    if to_numpy is None or type(x).__module__.split(".")[0] != "pandas":
        return x
    dtypes = [x.dtype] if hasattr(x, "dtype") else list(getattr(x, "dtypes", []))
    if dtypes and all(getattr(d, "kind", "O") in "biuf" for d in dtypes):
        return to_numpy(dtype=np.float64, na_value=np.nan)
    return x


def as_array(x, name):
    """Any array-like (lists, pandas, uint8 images) as a validated NumPy array, not yet converted."""
    if x is None:
        raise ValueError(f"{name} is required, got None")
    if isinstance(x, dict):
        raise TypeError(f"{name} must be an array, got a dict (models with named inputs are not supported)")
    if isinstance(x, (set, frozenset)) or (hasattr(x, "__next__") and not hasattr(x, "__len__")):
        raise TypeError(f"{name} must be an array, got a {type(x).__name__} (an iterator or generator "
                        "has no length: pass the arrays themselves, e.g. np.array(list(gen)))")
    x = _from_pandas(x)
    try:
        a = np.asarray(x)
    except ValueError as e:
        raise ValueError(f"{name} could not be read as an array ({e}); rows of different lengths?") from None
    _numeric(a, name)
    if a.ndim == 0:
        raise ValueError(f"{name} must have a batch axis, got a scalar")
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    return a


def as_features(x, input_shape, name="x"):
    """Private float32 C-contiguous copy of x, shaped (n,) + input_shape (input_shape may be None).
    uint8 data (images) stays uint8, copied only when not C-contiguous: the core converts it batch by
    batch, exactly, so fit never holds a float copy of a data set four times its size."""
    a = as_array(x, name)
    if input_shape is not None:
        want = tuple(input_shape)
        if a.ndim == 1 and want == (1,):
            a = a.reshape(-1, 1)
        if tuple(a.shape[1:]) != want:
            raise ValueError(f"{name} has shape {a.shape}, but the model expects (n, {', '.join(map(str, want))})")
    elif a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.dtype == np.uint8:   # always finite; only read, never written
        return np.ascontiguousarray(a)
    out = np.array(a, dtype=np.float32, order="C", copy=True)
    _finite(out, name)
    return out


def as_targets(y, n, output_shape, sparse, name="y", broadcast=False):
    """y as float32 (n, per-sample size): class ids (one per output row) when sparse, any one value per
    sample when sparse == "values" (a loss written in Python reads them). With broadcast, one target per
    sample serves every output (Keras's rank fix, then broadcasting)."""
    a = as_array(y, name)
    if a.shape[0] != n:
        raise ValueError(f"x and {name} have different numbers of samples: {n} and {a.shape[0]}")
    out_size = int(np.prod(output_shape[1:]))
    if sparse:
        classes = output_shape[-1]
        per = out_size // classes
        if a.size != n * per:
            what = "the loss was set up for" if sparse == "values" else "sparse categorical crossentropy needs"
            raise ValueError(f"{name} has shape {a.shape}, but {what} one "
                             f"integer class id per sample, shape ({n},) or ({n}, 1); for one-hot labels use "
                             "loss='categorical_crossentropy'")
        ids = a.reshape(n, per)
        _finite(ids.astype(np.float64), name)
        if sparse == "values":
            return np.array(ids, dtype=np.float32, order="C")
        if np.any(ids != np.round(ids)) or ids.min() < 0 or ids.max() >= classes:
            bad = ids[(ids != np.round(ids)) | (ids < 0) | (ids >= classes)].ravel()[0]
            raise ValueError(f"{name} holds class id {float(bad):g}, but the model outputs {classes} classes "
                             f"(ids must be integers 0..{classes - 1})")
        return np.array(ids, dtype=np.float32, order="C")
    if a.size == n and out_size > 1 and broadcast:  # Keras broadcasts one target per sample
        a = np.repeat(a.reshape(n, 1), out_size, axis=1)
    if a.size != n * out_size:
        hint = ""
        if a.size == n and out_size > 1:
            hint = (" For integer class labels use loss='sparse_categorical_crossentropy', or one-hot "
                    "encode them with cnn.utils.to_categorical.")
        raise ValueError(f"{name} has shape {a.shape}, but the model outputs shape "
                         f"{(None,) + tuple(output_shape[1:])}.{hint}")
    out = np.array(a.reshape(n, out_size), dtype=np.float32, order="C", copy=True)
    _finite(out, name)
    return out


def as_sample_weight(sw, n, name="sample_weight"):
    if sw is None:
        return None
    a = as_array(sw, name).astype(np.float64)
    if a.ndim > 1:
        a = a.reshape(a.shape[0], -1)[:, 0] if a.shape[1:] == (1,) else None
        if a is None:
            raise ValueError(f"{name} must be 1-D (one weight per sample)")
    if a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} entries for {n} samples")
    _finite(a, name)
    if np.any(a < 0):
        raise ValueError(f"{name} must be >= 0, got {float(a[a < 0][0]):g}")
    if np.any(a > _F32_MAX):
        raise ValueError(f"{name} holds {float(a.max()):g}, larger than float32 can hold ({_F32_MAX:.4g})")
    return np.ascontiguousarray(a, dtype=np.float32)


def class_weights_to_sample_weights(class_weight, y):
    """Keras's rule: labels by argmax (one-hot) or squeeze, rounded; missing classes weigh 1."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class: weight}}, got {type(class_weight).__name__}")
    labels = y.argmax(axis=1) if y.ndim > 1 and y.shape[1] > 1 else np.round(y.reshape(len(y), -1)[:, 0])
    out = np.ones(len(y), dtype=np.float32)
    for cls, w in class_weight.items():
        if isinstance(cls, bool) or not isinstance(cls, (int, np.integer, float, np.floating)) \
                or cls != int(cls):
            raise ValueError(f"class_weight keys must be integer class ids, got {cls!r}")
        if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)) \
                or not 0 <= w <= _F32_MAX:
            raise ValueError(f"class_weight[{cls!r}] must be a finite number >= 0, got {w!r}")
        out[labels == int(cls)] = float(w)
    return out


def split_validation(arrays, validation_split):
    """Keras's validation_split: the LAST part of the data, taken before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    n = len(arrays[0])
    split_at = int(np.floor(n * (1 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves no data on one side of the split "
                         f"(n={n})")
    return [None if a is None else a[:split_at] for a in arrays], \
           [None if a is None else a[split_at:] for a in arrays]


def warn_if_one_class(y_val, sparse):
    """The Keras trap: validation_split on data sorted by class gives a one-class validation set."""
    if y_val is None or len(y_val) < 2:
        return
    if sparse or y_val.shape[1] == 1 or np.all(y_val == y_val[:, :1]):   # ids, maybe repeated per output
        labels = np.round(y_val[:, 0])
        if not np.all(labels == y_val[:, 0]):
            return
    else:
        labels = y_val.argmax(axis=1)
    if np.unique(labels).size == 1:
        warnings.warn(f"validation_split took the last {len(y_val)} samples, and they all have the same "
                      "label: validation metrics will mislead. Keras takes the tail BEFORE shuffling; "
                      "shuffle your data first (e.g. df.sample(frac=1, random_state=0)).", UserWarning,
                      stacklevel=4)
