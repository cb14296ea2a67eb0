"""The learning-rate playground reproduces the classic exercise (bowl-shaped loss, one step at a time)."""
import math
import subprocess
import sys

import pytest

from cnn.playground import LearningRatePlayground


def steps_to_minimum(learning_rate):
    p = LearningRatePlayground(learning_rate=learning_rate)
    taken = p.run(max_steps=1000)
    return p, taken


def test_exercise_rates_many_steps_few_steps_divergence():
    slow, slow_steps = steps_to_minimum(0.03)
    fast, fast_steps = steps_to_minimum(0.1)
    wild, _ = steps_to_minimum(1.0)
    assert slow.converged and fast.converged
    assert slow_steps == 41                     # 0.03: many steps (the exercise's answer: 40)
    assert fast_steps == 11                     # 0.1: a few steps (the exercise's answer: 11)
    assert wild.diverged and not wild.converged # 1: every step lands further away, on alternating sides
    gaps = [abs(w - wild.minimum) for w in wild.path]
    assert all(b > a for a, b in zip(gaps, gaps[1:]))
    signs = [math.copysign(1, w - wild.minimum) for w in wild.path]
    assert all(a != b for a, b in zip(signs, signs[1:]))


def test_goldilocks_rate_between_0_2_and_0_3():
    rates = [round(0.01 * i, 2) for i in range(1, 50)]
    steps = {rate: steps_to_minimum(rate)[1] for rate in rates}
    best = min(steps, key=steps.get)
    assert 0.2 < best < 0.3 and steps[best] <= 4


def test_single_step_is_gradient_descent_and_loss_falls():
    p = LearningRatePlayground(learning_rate=0.03, start=-4.0, minimum=1.0, curvature=8.0)
    assert p.loss(1.0) == 0 and p.gradient(-4.0) == -40.0
    w = p.step()
    assert w == pytest.approx(-4.0 + 0.03 * 40.0)
    assert p.steps == 1 and p.path == [-4.0, w]
    assert p.loss(w) < p.loss(-4.0)


def test_set_learning_rate_keeps_weight_and_reset_restarts():
    p = LearningRatePlayground(learning_rate=0.03)
    p.step()
    p.step()
    where = p.weight
    p.set_learning_rate(0.1)
    assert p.weight == where and p.learning_rate == 0.1
    p.reset()
    assert p.weight == p.start and p.steps == 0 and p.path == [p.start]
    assert "tasa 0.1 · paso 0" in p.status()


def test_run_stops_at_max_steps():
    p = LearningRatePlayground(learning_rate=1e-4)
    assert p.run(max_steps=5) == 5 and not p.converged and not p.diverged


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": 0}, "learning_rate must be a positive finite number, got 0"),
    ({"learning_rate": float("nan")}, "learning_rate .* got nan"),
    ({"learning_rate": "0.1"}, "learning_rate .* got '0.1'"),
    ({"curvature": -1}, "curvature .* got -1"),
    ({"start": float("inf")}, "start must be a finite number, got inf"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LearningRatePlayground(**kwargs)
    with pytest.raises(ValueError, match="max_steps .* got -1"):
        LearningRatePlayground().run(max_steps=-1)


def test_plot_draws_the_bowl_and_the_path():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    p = LearningRatePlayground(learning_rate=0.1)
    p.run()
    ax = p.plot()
    curve, path = ax.get_lines()
    assert len(curve.get_xdata()) == 200 and min(curve.get_ydata()) < 0.01
    assert list(path.get_xdata()) == p.path
    assert "mínimo alcanzado" in ax.get_title()
    plt.close("all")


def test_import_cnn_does_not_import_playground_or_plotting():
    code = ("import sys, cnn, cnn.datasets; "
            "print(sorted(m for m in ('cnn.playground', 'matplotlib', 'pandas', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_widget_buttons_drive_the_plain_class():
    pytest.importorskip("ipywidgets")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    p = LearningRatePlayground(learning_rate=0.03)
    box = p.widget()
    controls = box.children[0].children
    rate, (set_rate, step, reset) = controls[0], controls[1:]
    assert [b.description for b in (set_rate, step, reset)] == \
        ["Fijar tasa de aprendizaje", "Ejecutar un paso", "Reiniciar"]
    step.click()
    step.click()
    assert p.steps == 2
    rate.value = 0.1
    set_rate.click()
    assert p.learning_rate == 0.1 and p.steps == 2
    reset.click()
    assert p.steps == 0 and p.weight == p.start
    rate.value = 1.0
    set_rate.click()
    for _ in range(10):
        step.click()
    assert p.diverged and p.steps < 10    # no more steps once it has run away
    import matplotlib.pyplot as plt
    plt.close("all")
