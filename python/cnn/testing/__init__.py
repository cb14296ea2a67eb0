"""cnn.testing: the grader's toolbox. Checks whose failures a student understands, in Spanish or
English (the `lang` argument, else the CNN_LANG environment variable, else the locale), with the
expected and received values side by side.

    check_gradients(target, x, y, grad=...)      numeric vs analytic gradients (activation, loss, your
                                                 NumPy function, a layer or a whole model)
    assert_same_as_builtin(student, "sigmoid")   a student's NumPy activation or loss vs the built-in one:
                                                 values and gradients on the same inputs
    assert_history_close(h1, h2)                 two training histories, epoch by epoch
    assert_weights_equal(m1, m2)                 two models' weights (exactly, by default)
    assert_learns(model, x, y, below=0.1, ...)   a model reaches a band within a time budget
    assert_close(received, expected, mistakes=)  an array, naming the typical mistake it matches
    expect(condition, {"es": ..., "en": ...})    a teacher's own check, with its message
    fingerprint(model_or_history)                a short hash for exact-match checks across machines
    reference_model(name), reference_data(name)  the course's models and data splits

`python -m cnn.testing.grade SUBMISSIONS --tests TESTS` grades a folder of submissions in parallel
processes into a CSV of scores (examples/grading/ is a whole course graded this way).

Failures raise `GradingError`, an AssertionError. The pytest plugin (`cnn.testing.plugin`, registered
as a pytest11 entry point) seeds and isolates every test and adds the `cnn_budget(seconds)` marker.
Submodules load on first use: importing this package (as pytest does for the plugin) costs nothing.
"""
import importlib

_NAMES = {
    "check_gradients": "cnn.testing.gradients",
    "assert_same_as_builtin": "cnn.testing.builtin",
    "assert_history_close": "cnn.testing.compare",
    "assert_weights_equal": "cnn.testing.compare",
    "assert_learns": "cnn.testing.learns",
    "assert_close": "cnn.testing.mistakes",
    "expect": "cnn.testing.mistakes",
    "fingerprint": "cnn.testing.hashing",
    "reference_model": "cnn.testing.reference",
    "reference_data": "cnn.testing.reference",
    "REFERENCE_MODELS": "cnn.testing.reference",
    "GradingError": "cnn.testing._messages",
    "language": "cnn.testing._messages",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cnn.testing' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
