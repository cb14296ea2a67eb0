"""`optimizer.learning_rate`: a float32 number that is also Keras's learning-rate variable.

It is an `np.float32` (so arithmetic, `float()`, formatting and comparisons work as on a number,
as course code expects) holding the rate at the moment it was read, with the variable methods of
Keras (`assign`, `assign_add`, `assign_sub`, `numpy`, `value`) that act on its optimizer: after
`lr.assign(0.01)`, `optimizer.learning_rate` and `lr.numpy()` give 0.01 (a NumPy scalar cannot
change, so `float(lr)` keeps the value read).
"""
import numpy as np


class LearningRate(np.float32):
    def __new__(cls, value, optimizer):
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    @property
    def name(self):
        return "learning_rate"

    @property
    def path(self):
        return f"{self._optimizer.name}/learning_rate"

    @property
    def trainable(self):
        return False

    def numpy(self):
        """The optimizer's current rate, as a NumPy float32."""
        return np.float32(self._optimizer.learning_rate)

    @property
    def value(self):
        return self.numpy()

    def assign(self, value):
        """Sets the optimizer's rate (as `optimizer.learning_rate = value`); returns the new rate."""
        self._optimizer.learning_rate = value
        return self._optimizer.learning_rate

    def assign_add(self, delta):
        return self.assign(float(self.numpy()) + float(delta))

    def assign_sub(self, delta):
        return self.assign(float(self.numpy()) - float(delta))

    # pickles and copies as the plain number, without its optimizer
    def __reduce__(self):
        return np.float32, (float(self),)

    def __copy__(self):
        return np.float32(self)

    def __deepcopy__(self, memo):
        return np.float32(self)
