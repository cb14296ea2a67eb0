"""The learning-rate playground: the classic exercise on a bowl-shaped loss curve.

    from cnn.playground import LearningRatePlayground
    p = LearningRatePlayground(learning_rate=0.03)
    p.step()          # "execute single step"
    p.run()           # steps until the minimum is reached or the weight runs away
    p.reset()         # back to the start
    p.show()          # buttons in Jupyter when ipywidgets is installed, else a static plot

The loss is curvature/2 * (w - minimum)^2: gradient descent multiplies the distance to the minimum
by (1 - learning_rate * curvature) at each step. The defaults reproduce the published answers of
the classic exercise: a rate of 0.03 needs 41 steps (the exercise says 40), 0.1 needs 11 (11), 1
jumps across the bowl further at every step (diverges), and the "Goldilocks" rate lies between 0.2
and 0.3 (here 0.25, one step). `import cnn` does not import this module, nor matplotlib or ipywidgets.
"""
import math

__all__ = ["LearningRatePlayground"]


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


class LearningRatePlayground:
    """Gradient descent on one weight, one step at a time.

    Args:
        learning_rate: the step size (the exercise's "set learning rate").
        start: the initial weight.
        minimum: the weight where the loss is lowest (0 there).
        curvature: the second derivative of the loss (how steep the bowl is).
        tolerance: the minimum counts as reached when |w - minimum| <= tolerance.
    """

    def __init__(self, learning_rate=0.03, start=-4.0, minimum=1.0, curvature=4.0, tolerance=0.03):
        self.learning_rate = _positive("learning_rate", learning_rate)
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not math.isfinite(start):
            raise ValueError(f"start must be a finite number, got {start!r}")
        if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not math.isfinite(minimum):
            raise ValueError(f"minimum must be a finite number, got {minimum!r}")
        self.start, self.minimum = float(start), float(minimum)
        self.curvature = _positive("curvature", curvature)
        self.tolerance = _positive("tolerance", tolerance)
        self.reset()

    def loss(self, w):
        return 0.5 * self.curvature * (w - self.minimum) ** 2

    def gradient(self, w):
        return self.curvature * (w - self.minimum)

    def set_learning_rate(self, learning_rate):
        """Changes the step size; the weight stays where it is (press reset to start again)."""
        self.learning_rate = _positive("learning_rate", learning_rate)

    def reset(self):
        """Back to the starting weight, with no steps taken."""
        self.weight = self.start
        self.path = [self.start]

    @property
    def steps(self):
        return len(self.path) - 1

    @property
    def converged(self):
        return abs(self.weight - self.minimum) <= self.tolerance

    @property
    def diverged(self):
        """The weight is 100 times further from the minimum than where it started (or overflowed)."""
        gap = abs(self.weight - self.minimum)
        return not math.isfinite(gap) or gap > 100 * max(abs(self.start - self.minimum), self.tolerance)

    def step(self):
        """One gradient-descent step: w <- w - learning_rate * dL/dw. Returns the new weight."""
        self.weight = self.weight - self.learning_rate * self.gradient(self.weight)
        self.path.append(self.weight)
        return self.weight

    def run(self, max_steps=1000):
        """Steps until the minimum is reached, the weight diverges, or max_steps; returns the steps taken."""
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
            raise ValueError(f"max_steps must be a non-negative int, got {max_steps!r}")
        taken = 0
        while taken < max_steps and not self.converged and not self.diverged:
            self.step()
            taken += 1
        return taken

    def status(self):
        """One line for the student, in Spanish."""
        head = (f"tasa {self.learning_rate:g} · paso {self.steps} · w = {self.weight:.4g} · "
                f"pérdida {self.loss(self.weight):.4g}")
        if self.converged:
            return head + " · ¡mínimo alcanzado!"
        if self.diverged:
            return head + " · diverge: cada paso se aleja más del mínimo"
        return head

    def plot(self, ax=None):
        """Draws the loss curve and the path taken (needs matplotlib). Returns the axes."""
        import matplotlib.pyplot as plt
        import numpy as np

        if ax is None:
            ax = plt.subplots(figsize=(6, 3.5))[1]
        reach = max(abs(self.start - self.minimum) * 1.3, 1e-3)
        w = np.linspace(self.minimum - reach, self.minimum + reach, 200)
        ax.plot(w, self.loss(w), color="0.6")
        shown = [p for p in self.path if abs(p - self.minimum) <= reach]
        ax.plot(shown, [self.loss(p) for p in shown], "o-", color="tab:red", markersize=4)
        ax.set_xlabel("peso w")
        ax.set_ylabel("pérdida")
        ax.set_title(self.status(), fontsize=9)
        return ax

    def show(self):
        """In Jupyter with ipywidgets: the exercise's buttons. Without ipywidgets: a static plot."""
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            import matplotlib.pyplot as plt

            print(self.status())
            print("(instala ipywidgets para tener los botones: pip install ipywidgets)")
            self.plot()
            plt.show()
            return
        from IPython.display import display

        display(self.widget())

    def widget(self):
        """The exercise's controls as an ipywidgets box (needs ipywidgets): a rate box and the
        buttons "Fijar tasa de aprendizaje", "Ejecutar un paso", "Reiniciar", above the plot."""
        import ipywidgets as widgets
        import matplotlib.pyplot as plt

        rate = widgets.BoundedFloatText(value=self.learning_rate, min=1e-6, max=10.0, step=0.01,
                                        description="Tasa:")
        buttons = [widgets.Button(description=d) for d in
                   ("Fijar tasa de aprendizaje", "Ejecutar un paso", "Reiniciar")]
        out = widgets.Output()

        def redraw():
            with out:
                out.clear_output(wait=True)
                self.plot()
                plt.show()

        def on_set(_):
            self.set_learning_rate(rate.value)
            redraw()

        def on_step(_):
            if not self.diverged:
                self.step()
            redraw()

        def on_reset(_):
            self.reset()
            redraw()

        for button, handler in zip(buttons, (on_set, on_step, on_reset)):
            button.on_click(handler)
        redraw()
        return widgets.VBox([widgets.HBox([rate, *buttons]), out])
