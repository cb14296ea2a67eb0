"""Ejercicio 6 · Una capa densa propia en NumPy, dentro de un modelo.

Una capa de cnn escrita en NumPy tiene tres partes: `build` crea sus pesos con `add_weight`, `call`
calcula la salida y `backward(grad_output)` rellena el gradiente de cada peso (`peso.grad = ...`) y
devuelve el gradiente de la entrada. En `fit`, las capas de cnn corren en C y la tuya en NumPy. Los
tests comprueban tu pasada hacia atrás y que un modelo con tu capa entrena igual que con Dense."""
import numpy as np

import cnn


class DensaNumPy(cnn.layers.Layer):
    """Como cnn.layers.Dense(unidades), sin activación."""

    def __init__(self, unidades, **kwargs):
        super().__init__(**kwargs)
        self.unidades = unidades

    def build(self, input_shape):
        # los pesos, con los inicializadores de Dense (así, con la misma semilla, empiezan igual)
        self.kernel = self.add_weight(shape=(input_shape[-1], self.unidades), initializer="glorot_uniform",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.unidades,), initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        # TODO: guarda `inputs` en self (hará falta en backward) y devuelve inputs @ kernel + bias
        return np.zeros((inputs.shape[0], self.unidades))

    def backward(self, grad_output):
        # TODO: self.kernel.grad = dL/dW (forma de W), self.bias.grad = dL/db (forma de b),
        # y devuelve dL/dentradas (forma de las entradas)
        self.kernel.grad = np.zeros(self.kernel.shape)
        self.bias.grad = np.zeros(self.bias.shape)
        return np.zeros((grad_output.shape[0], self.kernel.shape[0]))

    def get_config(self):
        return {**super().get_config(), "unidades": self.unidades}
