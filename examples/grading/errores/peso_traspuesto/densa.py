"""Ejercicio 2 · La pasada hacia atrás de una capa densa, en NumPy (entrega con un error: dL/dW traspuesta)."""


def densa_adelante(x, W, b):
    """La salida de la capa: x (filas, entradas) · W (entradas, unidades) + b (unidades)."""
    return x @ W + b


def densa_atras(x, W, dy):
    """Dado dy = dL/dsalida (filas, unidades), devuelve (dL/dx, dL/dW, dL/db), cada uno con la forma
    de x, W y b."""
    dx = dy @ W.T
    dW = dy.T @ x   # el error: la traspuesta de dL/dW
    db = dy.sum(axis=0)
    return dx, dW, db
