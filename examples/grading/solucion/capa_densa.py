"""Ejercicio 6 · Una capa densa propia en NumPy, dentro de un modelo (solución de referencia)."""
import cnn


class DensaNumPy(cnn.layers.Layer):
    """Como cnn.layers.Dense(unidades), sin activación: hacia delante y hacia atrás en NumPy."""

    def __init__(self, unidades, **kwargs):
        super().__init__(**kwargs)
        self.unidades = unidades

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.unidades), initializer="glorot_uniform",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.unidades,), initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        self.entradas = inputs   # hacen falta hacia atrás
        return inputs @ self.kernel + self.bias

    def backward(self, grad_output):
        self.kernel.grad = self.entradas.T @ grad_output
        self.bias.grad = grad_output.sum(axis=0)
        return grad_output @ self.kernel.T

    def get_config(self):
        return {**super().get_config(), "unidades": self.unidades}
