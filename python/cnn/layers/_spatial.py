"""Window arithmetic shared by the convolution and pooling layers (channels_last, as Keras/TF)."""


def tuple_arg(value, n, name):
    """An int or a sequence of n positive ints, as a tuple of n ints (Keras's kernel_size/strides rule)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer or a tuple of {n} integers, got {value!r}")
    if isinstance(value, int) or hasattr(value, "__index__") and not hasattr(value, "__len__"):
        value = (int(value),) * n
    try:
        value = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer or a tuple of {n} integers, got {value!r}") from None
    if len(value) != n or any(isinstance(v, bool) or not hasattr(v, "__index__") for v in value):
        raise ValueError(f"{name} must be an integer or a tuple of {n} integers, got {value!r}")
    if any(int(v) <= 0 for v in value):
        raise ValueError(f"{name} must hold positive integers, got {value!r}")
    return tuple(int(v) for v in value)


def padding_arg(value, allowed=("valid", "same")):
    if not isinstance(value, str) or value.lower() not in allowed:
        raise ValueError(f"padding must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")
    return value.lower()


def data_format_arg(value):
    if value not in (None, "channels_last"):
        raise ValueError(f"data_format={value!r} is not supported: cnn runs channels_last images "
                         "(batch, height, width, channels); transpose the data once with np.moveaxis")
    return "channels_last"


def window(size, k, stride, dilation, padding):
    """(output size, padding before) of one axis."""
    eff = (k - 1) * dilation + 1
    if padding == "valid":
        if size < eff:
            return 0, 0
        return (size - eff) // stride + 1, 0
    if padding == "causal":
        return (size - 1) // stride + 1, eff - 1
    out = (size + stride - 1) // stride
    return out, max((out - 1) * stride + eff - size, 0) // 2


def check_rank(layer, input_shape, rank, axes):
    """Keras's incompatible-input error, plus what to do (a missing channel axis, most often)."""
    if len(input_shape) == rank:
        return
    hint = ""
    if len(input_shape) == rank - 1:
        hint = (f" The channel axis is missing: grayscale images need one, e.g. x[..., None] "
                f"(or np.expand_dims(x, -1)) to get shape {tuple(input_shape) + (1,)}.")
    raise ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected ndim={rank}, '
                     f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}. "
                     f"{type(layer).__name__} takes inputs of shape {axes}.{hint}")
