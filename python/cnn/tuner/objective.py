"""Objective: the history key a search optimises and its direction (keras_tuner.Objective)."""

_MIN_WORDS = ("loss", "error", "crossentropy", "hinge", "mae", "mse", "mape", "msle", "logcosh", "divergence")
_MAX_WORDS = ("acc", "auc", "precision", "recall", "r2", "f1", "iou")


class Objective:
    """Objective("val_loss", direction="min"): `name` is a key of the fit history."""

    def __init__(self, name, direction):
        if not isinstance(name, str) or not name:
            raise ValueError(f"Objective name must be a non-empty string, got {name!r}")
        if direction not in ("min", "max"):
            raise ValueError(f"Objective direction must be 'min' or 'max', got {direction!r}")
        self.name, self.direction = name, direction

    def better(self, a, b):
        """Whether score `a` beats `b` (None loses to anything)."""
        if b is None:
            return a is not None
        return a is not None and (a < b if self.direction == "min" else a > b)

    def best_of(self, values):
        return min(values) if self.direction == "min" else max(values)

    def sort_key(self, score):
        """Sorts best first; trials without a score last."""
        if score is None:
            return (1, 0.0)
        return (0, score if self.direction == "min" else -score)

    def __eq__(self, other):
        return isinstance(other, Objective) and (self.name, self.direction) == (other.name, other.direction)

    def __repr__(self):
        return f'Objective(name="{self.name}", direction="{self.direction}")'


def infer_direction(name):
    base = name[4:] if name.startswith("val_") else name
    if base.endswith(_MIN_WORDS) or base in _MIN_WORDS:
        return "min"
    if any(w in base for w in _MAX_WORDS):
        return "max"
    raise ValueError(f"could not infer the direction of objective {name!r}: pass "
                     f"cnn.tuner.Objective({name!r}, direction='min' or 'max')")


def to_objective(objective):
    """A string, an Objective, or None (val_loss, as KerasTuner's default)."""
    if objective is None:
        return Objective("val_loss", "min")
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        return Objective(objective, infer_direction(objective))
    raise TypeError(f"objective must be a history key or an Objective, got {objective!r}")
