"""One rate at the best threshold under a constraint on another (Keras 3's SensitivitySpecificityBase):
PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity. Their state
is the confusion counts at num_thresholds evenly spaced thresholds."""
import numpy as np

from cnn.metrics._base import f32
from cnn.metrics._confusion import _Confusion


def _rate(a, b):
    """a / (a + b) in float32 as Keras (0 where a + b is 0), so comparisons with the target agree."""
    a, b = np.float32(a), np.float32(b)
    s = a + b
    return np.where(s == 0, np.float32(0), a / np.where(s == 0, np.float32(1), s))


class _AtBase(_Confusion):
    _target = None          # the constrained rate's argument name

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(f"Argument `{self._target}` must be in the range [0, 1]. Received: "
                             f"{self._target}={value!r}")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                or num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds!r}")
        setattr(self, self._target, value)
        self.value = value
        self.num_thresholds = int(num_thresholds)
        self.class_id = class_id
        if num_thresholds == 1:
            self._setup([0.5], False, False)
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._setup([0.0] + inner + [1.0], True, False)
        super().__init__(name, dtype)

    def result_from_state(self, state, cols):
        tp, fp, tn, fn = (c[:, 0] for c in self.counts(state, cols))
        constrained, dependent = self._rates(tp, fp, tn, fn)
        feasible = constrained >= np.float32(self.value)
        return f32(np.max(np.where(feasible, dependent, np.float32(0)), initial=np.float32(0)))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._target: self.value}


class SensitivityAtSpecificity(_AtBase):
    """The best sensitivity (recall) where specificity >= the given value."""
    _target = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def _rates(self, tp, fp, tn, fn):
        return _rate(tn, fp), _rate(tp, fn)


class SpecificityAtSensitivity(_AtBase):
    """The best specificity where sensitivity (recall) >= the given value."""
    _target = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def _rates(self, tp, fp, tn, fn):
        return _rate(tp, fn), _rate(tn, fp)


class PrecisionAtRecall(_AtBase):
    """The best precision where recall >= the given value."""
    _target = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def _rates(self, tp, fp, tn, fn):
        return _rate(tp, fn), _rate(tp, fp)


class RecallAtPrecision(_AtBase):
    """The best recall where precision >= the given value."""
    _target = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def _rates(self, tp, fp, tn, fn):
        return _rate(tp, fp), _rate(tp, fn)
