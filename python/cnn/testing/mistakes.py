"""A teacher's own checks with the student's words: `assert_close` (an array against the expected one,
naming the classic mistake the received value matches) and `expect` (a condition with its message)."""
import numpy as np

from cnn.testing import _messages as M
from cnn.testing.compare import _compare

_LIKELY = {"es": "\nTu resultado coincide con el de un error típico: {hint}",
           "en": "\nYour result matches a typical mistake: {hint}"}


def _text(message, lang):
    """A message given as one string, or as {"es": ..., "en": ...} (the student's language is picked)."""
    if isinstance(message, dict):
        if not message:
            raise ValueError("a message dict needs an 'es' or 'en' entry, got {}")
        return message.get(M.language(lang)) or next(iter(message.values()))
    if not isinstance(message, str):
        raise TypeError(f"a message is a str or a dict {{'es': ..., 'en': ...}}, got {type(message).__name__}")
    return message


def _matches(received, value, rtol, atol):
    received, value = np.asarray(received, np.float64), np.asarray(value, np.float64)
    return received.shape == value.shape and bool(np.all(np.abs(received - value) <= atol + rtol * np.abs(value)))


def assert_close(received, expected, *, what=None, rtol=1e-5, atol=1e-6, mistakes=None, lang=None):
    """Asserts that a student's array equals the expected one within rtol/atol; on failure, the differing
    elements side by side and, when the received value is what a known mistake gives, that mistake named.

    Args:
        received: the student's result. expected: the right one (e.g. from the built-in component).
        what: the name used in the message ("W after step 3"; default "result").
        mistakes: (hint, value) pairs (or a dict {hint: value}): the value each typical mistake gives on
            the same inputs, and the hint to show when the student's matches it (a str, or
            {"es": ..., "en": ...}).
        lang: "es" or "en" (default: the locale, see `cnn.testing`).

    Raises:
        GradingError: the values side by side, then the matched mistake's hint if any.
    """
    what = what or {"es": "resultado", "en": "result"}[M.language(lang)]
    try:
        _compare(what, expected, received, rtol, atol, lang)
    except M.GradingError as error:
        pairs = mistakes.items() if isinstance(mistakes, dict) else (mistakes or ())
        for hint, value in pairs:
            if _matches(received, value, rtol, atol):
                detail = _LIKELY[M.language(lang)].format(hint=_text(hint, lang))
                raise M.GradingError(str(error) + detail, error.expected, error.received) from None
        raise


def expect(condition, message, *, expected=None, received=None, lang=None):
    """A teacher's own check: raises `GradingError` with `message` (a str or {"es": ..., "en": ...}) when
    `condition` is false, so the grader shows the message alone, as for the built-in checks."""
    if not condition:
        raise M.GradingError(_text(message, lang), expected, received)
