"""Solución de referencia del ejercicio (lo que entregaría un alumno que lo hace bien)."""
import numpy as np

import cnn


def sigmoide(x):
    """La función sigmoide, elemento a elemento."""
    return 1 / (1 + np.exp(-x))


def derivada_sigmoide(x):
    """La derivada de la sigmoide: s(x) (1 - s(x))."""
    s = sigmoide(x)
    return s * (1 - s)


def ecm(y_true, y_pred):
    """Error cuadrático medio de cada fila (como keras.losses.mean_squared_error)."""
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def gradiente_ecm(y_true, y_pred):
    """El gradiente del ECM de cada fila respecto de y_pred."""
    return 2 * (y_pred - y_true) / y_pred.shape[-1]


def densa_adelante(x, W, b):
    """La pasada hacia delante de una capa densa: x (filas, entradas), W (entradas, unidades), b (unidades)."""
    return x @ W + b


def densa_atras(x, W, dy):
    """La pasada hacia atrás: dado dy = dL/dsalida, devuelve (dL/dx, dL/dW, dL/db)."""
    return dy @ W.T, x.T @ dy, dy.sum(axis=0)


def modelo_vino():
    """Un modelo compilado para predecir la calidad del vino (11 variables) con pérdida MAE."""
    modelo = cnn.Sequential([
        cnn.Input(shape=(11,)),
        cnn.layers.Dense(64, activation="relu"),
        cnn.layers.Dense(64, activation="relu"),
        cnn.layers.Dense(1),
    ])
    modelo.compile(optimizer="adam", loss="mae")
    return modelo
