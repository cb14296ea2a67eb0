"""Plantilla del ejercicio: completa cada TODO. Los tests de test_ejercicio.py dicen qué falla."""
import numpy as np

import cnn


def sigmoide(x):
    """La función sigmoide, elemento a elemento."""
    return 1 / (1 + np.exp(x))   # TODO: revisa el signo


def derivada_sigmoide(x):
    """La derivada de la sigmoide."""
    return sigmoide(x)   # TODO: falta un factor


def ecm(y_true, y_pred):
    """Error cuadrático medio de cada fila."""
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def gradiente_ecm(y_true, y_pred):
    """El gradiente del ECM de cada fila respecto de y_pred."""
    return y_pred - y_true   # TODO: ¿y el 2 / n?


def densa_adelante(x, W, b):
    """La pasada hacia delante de una capa densa: x (filas, entradas), W (entradas, unidades), b (unidades)."""
    return x @ W + b


def densa_atras(x, W, dy):
    """La pasada hacia atrás: dado dy = dL/dsalida, devuelve (dL/dx, dL/dW, dL/db)."""
    return dy @ W.T, dy.T @ x, dy.sum(axis=0)   # TODO: revisa dL/dW


def modelo_vino():
    """Un modelo compilado para predecir la calidad del vino con pérdida MAE."""
    modelo = cnn.Sequential([cnn.Input(shape=(11,)), cnn.layers.Dense(1)])   # TODO: capas ocultas
    modelo.compile(optimizer=cnn.optimizers.SGD(learning_rate=1e-4), loss="mae")
    return modelo
