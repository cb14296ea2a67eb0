"""cnn.backend: the few keras.backend functions course code calls."""


def clear_session():
    """Resets layer auto-naming (dense, dense_1, ...), as keras.backend.clear_session."""
    from cnn.utils import clear_session as _clear
    _clear()


def epsilon():
    return 1e-7


def floatx():
    return "float32"


def image_data_format():
    return "channels_last"


def backend():
    return "cnn"
