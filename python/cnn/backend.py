"""cnn.backend: the few keras.backend functions course code calls."""


def clear_session(free_memory=True):
    """Resets layer auto-naming (dense, dense_1, ...) and frees dropped models, as
    keras.backend.clear_session (see cnn.utils.clear_session)."""
    from cnn.utils import clear_session as _clear
    _clear(free_memory)


def epsilon():
    return 1e-7


def floatx():
    return "float32"


def image_data_format():
    return "channels_last"


def backend():
    return "cnn"
