"""Ejercicio 2 · La pasada hacia atrás de una capa densa, en NumPy.

Una capa densa calcula salida = x @ W + b, con x de forma (filas, entradas), W (entradas, unidades) y
b (unidades). Hacia atrás recibe dy = dL/dsalida, de forma (filas, unidades), y debe devolver las
derivadas de la pérdida respecto de x, W y b: cada una con la forma de lo que deriva."""
import numpy as np


def densa_adelante(x, W, b):
    """La salida de la capa."""
    # TODO: el producto de matrices de x por W, más el sesgo b
    return np.zeros((x.shape[0], W.shape[1]))


def densa_atras(x, W, dy):
    """Devuelve (dL/dx, dL/dW, dL/db)."""
    # TODO: dL/dx tiene la forma de x, dL/dW la de W y dL/db la de b. Pista: mira las formas y busca
    # el producto de matrices que da cada una (a veces hace falta trasponer con .T).
    dx = np.zeros_like(x)
    dW = np.zeros_like(W)
    db = np.zeros(W.shape[1])
    return dx, dW, db
