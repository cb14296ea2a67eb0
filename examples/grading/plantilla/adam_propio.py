"""Ejercicio 7 · Un optimizador Adam propio, en NumPy, para model.compile.

Un optimizador de cnn escrito en Python, como en Keras 3: `build(var_list)` crea el estado de cada peso
con `add_variable_from_reference`, y `update_step(gradient, variable, learning_rate)` da un paso a un
peso (con `self.assign`, `self.assign_add` o `self.assign_sub`). `self.iterations` cuenta los pasos ya
dados (0 en el primero). Los tests comparan el primer paso y un entrenamiento con cnn.optimizers.Adam."""
import numpy as np  # noqa: F401  (lo necesitarás: np.sqrt)

import cnn


class AdamPropio(cnn.optimizers.Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adam_propio", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, var_list):
        super().build(var_list)
        # TODO: una m y una v (a cero, con la forma de cada peso) por peso:
        # self.m = [self.add_variable_from_reference(v, "momentum") for v in var_list], y lo mismo para v

    def update_step(self, gradient, variable, learning_rate):
        # TODO 1: la m y la v de este peso: i = self._get_variable_index(variable)
        # TODO 2: actualiza m y v (medias móviles de gradient y de gradient²) con self.assign
        # TODO 3: corrección de sesgo con t = self.iterations + 1, y
        #         self.assign_sub(variable, learning_rate · m̂ / (√v̂ + epsilon))
        pass
