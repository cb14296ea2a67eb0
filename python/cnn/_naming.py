"""One naming rule for the whole package: Keras's snake case of a class name."""
import re

_NOT_WORD = re.compile(r"\W+")
_BEFORE_CAPITALISED_WORD = re.compile(r"(.)([A-Z][a-z]+)")
_LOWER_THEN_UPPER = re.compile(r"([a-z])([A-Z])")


def to_snake_case(name):
    """Keras's rule (keras.src.utils.naming): drop non-word characters, put an underscore before
    each capitalised word and between a lower-case letter and a capital, then lower-case.
    Conv2D -> conv2d, ReLU -> re_lu, BatchNormalization -> batch_normalization."""
    name = _NOT_WORD.sub("", name)
    name = _BEFORE_CAPITALISED_WORD.sub(r"\1_\2", name)
    return _LOWER_THEN_UPPER.sub(r"\1_\2", name).lower()
