"""assert_weights_equal and assert_history_close: two models' weights, two training histories."""
import numpy as np

from cnn.testing import _messages as M


def _weights(obj):
    if hasattr(obj, "get_weights"):
        names = [getattr(w, "path", None) or getattr(w, "name", str(i)) for i, w in enumerate(obj.weights)]
        return names, obj.get_weights()
    arrays = [np.asarray(a) for a in obj]
    return [str(i) for i in range(len(arrays))], arrays


def _compare(what, expected, received, rtol, atol, lang):
    expected = np.asarray(expected, np.float64)
    received = np.asarray(received, np.float64)
    if expected.shape != received.shape:
        raise M.GradingError(M.say("shape_differs", lang, what=what, expected=expected.shape,
                                   received=received.shape), expected.shape, received.shape)
    bad = ~(np.abs(received - expected) <= atol + rtol * np.abs(expected))
    bad &= ~(np.isnan(expected) & np.isnan(received))
    bad &= ~(received == expected)   # infinities
    if bad.any():
        raise M.GradingError(M.say("values_differ", lang, what=what, bad=int(bad.sum()), total=bad.size,
                                   rtol=rtol, atol=atol) + "\n" + M.array_table(expected, received, bad, lang),
                             expected, received)


def assert_weights_equal(received, expected, rtol=0.0, atol=0.0, lang=None):
    """Asserts that two models (or lists of arrays) hold the same weights: exactly by default, as two
    runs from one seed do in cnn; pass rtol/atol to allow float32 rounding.

    Raises `GradingError` naming the weight and showing the differing elements side by side."""
    names, got = _weights(received)
    _, want = _weights(expected)
    if len(got) != len(want):
        raise M.GradingError(M.say("count_differs", lang, what="weights", expected=len(want), received=len(got)),
                             len(want), len(got))
    for name, g, w in zip(names, got, want):
        _compare(name, w, g, rtol, atol, lang)


def _history(h):
    h = getattr(h, "history", h)
    if not isinstance(h, dict):
        raise TypeError(f"expected a History or its .history dict, got {type(h).__name__}")
    return h


def assert_history_close(received, expected, rtol=1e-6, atol=0.0, keys=None, lang=None):
    """Asserts that two training histories (History objects or their `.history` dicts) have the same
    keys, the same number of epochs and values within rtol/atol (default: float32 rounding).

    Args:
        keys: the keys to compare (default: all, and the key sets must match).
    """
    got, want = _history(received), _history(expected)
    if keys is None:
        if sorted(got) != sorted(want):
            raise M.GradingError(M.say("keys_differ", lang, expected=sorted(want), received=sorted(got)),
                                 sorted(want), sorted(got))
        keys = sorted(want)
    for key in keys:
        if key not in want or key not in got:
            raise M.GradingError(M.say("keys_differ", lang, expected=sorted(want), received=sorted(got)),
                                 sorted(want), sorted(got))
        if len(got[key]) != len(want[key]):
            raise M.GradingError(M.say("epochs_differ", lang, key=key, expected=len(want[key]),
                                       received=len(got[key])), len(want[key]), len(got[key]))
        _compare(f"history[{key!r}]", want[key], got[key], rtol, atol, lang)
