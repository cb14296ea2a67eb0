"""Ejercicio 1 · La sigmoide y su derivada.

Completa cada TODO. Los tests del profesor comparan tu sigmoide con la de Keras y tu derivada con la
derivada numérica (diferencias finitas)."""
import numpy as np


def sigmoide(x):
    """La sigmoide, elemento a elemento: 1 / (1 + e^-x). `x` es un array de NumPy."""
    # TODO: calcula la sigmoide con np.exp (sin bucles: NumPy opera elemento a elemento)
    return np.zeros_like(x)


def derivada_sigmoide(x):
    """La derivada de la sigmoide en cada elemento de `x`."""
    # TODO: exprésala con sigmoide(x): s'(x) = s(x) · (1 - s(x))
    return np.zeros_like(x)
