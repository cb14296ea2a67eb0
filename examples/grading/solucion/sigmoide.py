"""Ejercicio 1 · La sigmoide y su derivada (solución de referencia)."""
import numpy as np


def sigmoide(x):
    """La sigmoide, elemento a elemento: 1 / (1 + e^-x)."""
    return 1 / (1 + np.exp(-x))


def derivada_sigmoide(x):
    """Su derivada: s(x) · (1 - s(x))."""
    s = sigmoide(x)
    return s * (1 - s)
