"""assert_same_as_builtin: a student's NumPy activation or loss against the built-in one, on the same
inputs: the values, then the derivatives (the student's `grad`, or finite differences of their function)."""
import numpy as np

from cnn import _core, activations, losses
from cnn.testing import _targets
from cnn.testing.compare import _compare


def _is_activation(builtin):
    return (isinstance(builtin, str) and builtin in activations._registry.names()) or \
        builtin in activations._KIND or isinstance(builtin, activations._Configured)


def _elementwise_slope(f, x, h=1e-6):
    """Central differences of an element-wise function, all elements at once (float64)."""
    return (np.asarray(f(x + h), np.float64) - np.asarray(f(x - h), np.float64)) / (2 * h)


def _row_gradient(f, y, p, h=1e-6):
    """Each row's gradient of a per-row function, one column at a time (rows are independent)."""
    g = np.zeros_like(p)
    for j in range(p.shape[-1]):
        e = np.zeros_like(p)
        e[..., j] = h
        g[..., j] = (np.asarray(f(y, p + e), np.float64) - np.asarray(f(y, p - e), np.float64)) / (2 * h)
    return g


def assert_same_as_builtin(student, builtin, x=None, y=None, *, grad=None, rtol=1e-5, atol=1e-6, grad_rtol=1e-4,
                           seed=0, lang=None):
    """Asserts that a student's NumPy function computes what a built-in activation or loss does.

    An activation: `student(x)` against `cnn.activations.<builtin>(x)`, then its derivative (`grad(x)`,
    or central differences of `student`) against the built-in's. A loss: `student(y_true, y_pred)` (one
    value per row) against the built-in per-sample loss, then each row's gradient w.r.t. y_pred
    (`grad(y_true, y_pred)`, or central differences) against the C core's.

    Args:
        student: the student's function (NumPy; it receives float64 arrays).
        builtin: a name ("sigmoid", "mse", ...) or a `cnn.activations` / `cnn.losses` function or object.
        x: inputs (y_pred for a loss); random when None. y: the targets of a loss (random when None).
        grad: the student's derivative, if the exercise asks for one.
        rtol, atol: tolerance of the values (float32 rounding by default); grad_rtol: of the derivatives.
        seed: seeds the random inputs.
        lang: "es" or "en" (default: the locale).

    Raises:
        GradingError: with the differing elements side by side.
    """
    rng = np.random.default_rng(seed)
    name = getattr(student, "__name__", "student")
    call = lambda fn, *a: _targets._run(lambda f, b: f(*b), fn, a, getattr(fn, "__name__", name))  # noqa: E731
    if _is_activation(builtin):
        record = activations.c_record(builtin)
        if x is None:
            kinks = {0.0, 3.0, -3.0, record["threshold"]} | ({record["max_value"]} if np.isfinite(
                record["max_value"]) else set())
            x = _targets._away_from_kinks(rng.normal(0.0, 2.0, size=(4, 25)), kinks)
        x = np.asarray(x, np.float32).astype(np.float64)
        rows = np.ascontiguousarray(x.reshape(-1, x.shape[-1]), np.float32)
        want = _core.act_forward(record, rows)
        _compare(f"{name}(x) vs {record['kind']}(x)", want.reshape(x.shape), call(student, x), rtol, atol, lang)
        if record["kind"] == "softmax":
            return   # not element-wise: its values decide
        slope = _core.act_backward(record, np.ones_like(rows), rows, want).reshape(x.shape)
        got = call(grad, x) if grad is not None else _elementwise_slope(student, x)
        what = getattr(grad, "__name__", f"d{name}/dx")
        _compare(f"{what} vs {record['kind']}'", slope, got, grad_rtol, atol, lang)
        return
    loss = losses.resolve(builtin, np.shape(y) if y is not None else None, np.shape(x) if x is not None else None)
    record = loss.c_record()
    if record is None:
        raise ValueError(f"assert_same_as_builtin compares with a built-in activation or loss; {builtin!r} is neither")
    kind = getattr(record["kind"], "value", record["kind"])   # LossKind is a str enum: its short name
    if x is None:
        x, y0 = _targets._default_targets(kind, rng)
        y = y0 if y is None else y
    if y is None:
        raise ValueError("assert_same_as_builtin of a loss needs the targets y when x is given")
    p = np.asarray(x, np.float32).astype(np.float64)
    p2 = np.ascontiguousarray(p, np.float32)
    t = np.asarray(y, np.float64)
    t2 = np.ascontiguousarray(t.reshape(-1) if kind == "scce" else t.reshape(p.shape), np.float32)
    want = _core.loss_forward(record, p2, t2)
    _compare(f"{name}(y_true, y_pred) vs {kind}", want, call(student, t, p), rtol, atol, lang)
    gwant = _core.loss_backward(record, p2, t2, None, 1.0, "linear")
    got = call(grad, t, p) if grad is not None else _row_gradient(student, t, p)
    what = getattr(grad, "__name__", f"d{name}/dy_pred")
    _compare(f"{what} vs {kind}'", gwant, got, grad_rtol, atol, lang)
