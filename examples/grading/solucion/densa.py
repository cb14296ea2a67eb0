"""Ejercicio 2 · La pasada hacia atrás de una capa densa, en NumPy (solución de referencia)."""


def densa_adelante(x, W, b):
    """La salida de la capa: x (filas, entradas) · W (entradas, unidades) + b (unidades)."""
    return x @ W + b


def densa_atras(x, W, dy):
    """Dado dy = dL/dsalida (filas, unidades), devuelve (dL/dx, dL/dW, dL/db), cada uno con la forma
    de x, W y b."""
    dx = dy @ W.T
    dW = x.T @ dy
    db = dy.sum(axis=0)
    return dx, dW, db
