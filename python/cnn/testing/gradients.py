"""check_gradients: an analytic gradient against central finite differences, robust in float32.

Two checks, as DESIGN.md §6 asks: random directions (kann's kad_check_grad: <g, v> against
(f(x + h v) - f(x - h v)) / 2h, which averages float32 noise over every element) and single elements
(tiny-dnn's random-index check, which names the element that is wrong), plus a guard that refuses to
pass on an all-zero gradient. The tolerance adds an estimate of the evaluation's rounding noise, so a
float32 function is not failed for its own rounding.
"""
import numpy as np

from cnn.testing import _messages as M
from cnn.testing import _targets


def _noise(dtype):
    return float(np.finfo(np.float32).eps) if dtype == np.float32 else float(np.finfo(np.float64).eps)


def _numeric(objective, x, v, h, g):
    """(f(x + h v) - f(x - h v)) / 2h, the analytic <g, v> along the same (rounded) step, and the
    rounding noise of the difference. The step is taken between the points the function really sees
    (x +- h v rounded to its input type), so float32 inputs cost no accuracy."""
    xp, xm = objective.cast(x + h * v), objective.cast(x - h * v)
    (fp, mp), (fm, mm) = objective(xp), objective(xm)
    step = np.asarray(xp, np.float64) - np.asarray(xm, np.float64)
    return (fp - fm) / (2 * h), float(np.sum(g * step)) / (2 * h), 16 * objective.eps * (mp + mm) / (2 * h)


def _check(objective, x, v, h, g, rtol, floor):
    """(numerical, analytic, passed, relative error). A step across a kink (relu's 0) is off by O(h):
    a failed check is retried with h / 8 and h / 64, where a kink's error shrinks and a wrong derivative's
    does not (the noise allowance grows as the step shrinks)."""
    for step in (h, h / 8, h / 64):
        num, ana, noise = _numeric(objective, x, v, step, g)
        size = max(abs(num), abs(ana), float(np.sum(np.abs(g * v))) if floor is None else 0.0)
        err = abs(num - ana)
        if err <= rtol * size + noise + (floor or 0.0):
            break
    return num, ana, err <= rtol * size + noise + (floor or 0.0), err / max(size, 1e-300)


def check_gradients(target, x=None, y=None, *, grad=None, seed=0, directions=4, elements=16, rtol=None,
                    allow_zero=False, what=None, lang=None):
    """Checks a gradient against finite differences; raises `GradingError` (an AssertionError) with
    the expected (numerical) and received (analytic) values side by side.

    `target` is one of:
      - a built-in activation (a name such as "tanh", or a `cnn.activations` function): its C backward;
      - a built-in loss (a name such as "mse", or a `cnn.losses` object): its C gradient w.r.t. y_pred,
        with `y` the targets;
      - your own NumPy function with its derivative `grad`: `f(x)` returning an array of x's shape
        (an activation: `grad(x)` gives the element-wise derivative), one value per row (a loss:
        called as `f(y, x)` and `grad(y, x)` when `y` is given; `grad` gives each row's gradient), or
        a scalar (`grad(x)` gives the full gradient);
      - a `cnn.layers` layer (its weights' gradient, inside a one-layer model with an MSE loss to the
        targets `y`, random when None) or a compiled `cnn.Sequential` model (the gradient of its loss on
        `(x, y)` w.r.t. its trainable weights, read from one SGD step; see `_targets.model_gradient`).

    Args:
        x: the inputs (y_pred for a loss); random when None for activations and losses.
        y: the targets for a loss, a layer or a model.
        grad: the derivative of your own function (see above).
        seed: seeds the random inputs, directions and elements.
        directions: random-direction checks. elements: single-element checks (0 for none).
        rtol: relative tolerance; default 1e-2 for float32 computations, 1e-5 for float64 ones.
        allow_zero: accept a gradient that is zero everywhere (e.g. a step function).
        what: the name used in messages (default: the target's name).
        lang: "es" or "en" (default: the locale, see `cnn.testing`).

    Returns:
        A dict with the largest relative error seen ("max_error") and the number of checks ("checks").
    """
    rng = np.random.default_rng(seed)
    objective, x = _targets.objective(target, x, y, grad, rng)
    what = what or objective.name
    g = np.asarray(objective.gradient(x), dtype=np.float64)
    if g.shape != x.shape:
        hint = M.say("transposed", lang) if g.ndim > 1 and g.shape == x.shape[::-1] else ""
        raise M.GradingError(M.say("grad_shape", lang, what=what, expected=x.shape, received=g.shape) + hint,
                             x.shape, g.shape)
    if not np.all(np.isfinite(g)):
        bad = ~np.isfinite(g)
        raise M.GradingError(M.say("grad_mismatch", lang, what=what, bad=int(bad.sum()), total=g.size) + "\n"
                             + M.array_table(np.zeros_like(g), g, bad, lang), None, g)
    if not allow_zero and not np.any(g):
        raise M.GradingError(M.say("grad_zero", lang, what=what), None, g)
    if rtol is None:
        rtol = 1e-2 if objective.eps > 1e-10 else 1e-5
    scale = max(1.0, float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))) if x.size else 1.0
    h = (4e-3 if objective.eps > 1e-10 else 1e-6) * scale
    gmax = float(np.max(np.abs(g)))
    rows, worst, checks = [], 0.0, 0
    for i in range(directions):
        v = rng.normal(size=x.shape)
        v /= max(float(np.sqrt(np.mean(v * v))), 1e-12)
        num, ana, ok, rel = _check(objective, x, v, h, g, rtol, None)
        worst, checks = max(worst, rel), checks + 1
        if not ok:
            rows.append((f"v{i}", num, ana, ana - num))
    picks = rng.choice(x.size, size=min(elements, x.size), replace=False) if elements else []
    for flat in picks:
        v = np.zeros(x.size)
        v[flat] = 1.0
        num, ana, ok, rel = _check(objective, x, v.reshape(x.shape), h, g, rtol, rtol * 1e-1 * gmax)
        worst, checks = max(worst, rel), checks + 1
        if not ok:
            idx = tuple(int(k) for k in np.unravel_index(flat, x.shape))
            rows.append((str(idx), num, ana, ana - num))
    rows.sort(key=lambda r: r[0].startswith("v"))   # named elements first: they say where it is wrong
    if rows:
        raise M.GradingError(M.say("grad_mismatch", lang, what=what, bad=len(rows), total=checks) + "\n"
                             + M.table(rows[:10], lang), [r[1] for r in rows], [r[2] for r in rows])
    return {"max_error": worst, "checks": checks}
