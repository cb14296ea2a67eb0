"""Ejercicio 7 · Un Adam propio, en NumPy (entrega con un error: sin corrección de sesgo)."""
import numpy as np

import cnn


class AdamPropio(cnn.optimizers.Optimizer):
    """Adam como en Keras 3: build crea m y v para cada peso; update_step da un paso a un peso."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adam_propio", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        super().build(var_list)
        self.m = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self.v = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.m[i], self.v[i]
        self.assign(m, self.beta_1 * m + (1 - self.beta_1) * gradient)
        self.assign(v, self.beta_2 * v + (1 - self.beta_2) * gradient ** 2)
        self.assign_sub(variable, learning_rate * m / (np.sqrt(v) + self.epsilon))   # el error: sin m̂ ni v̂
