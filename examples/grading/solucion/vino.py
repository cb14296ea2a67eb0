"""Ejercicio 4 · Un modelo para la calidad del vino tinto con MAE de validación por debajo de 0.10
(solución de referencia)."""
import cnn

EPOCAS = 40   # el test entrena con estas épocas y este tamaño de lote
LOTE = 64


def modelo_vino():
    """El modelo compilado: 11 variables de entrada, una salida (la calidad, escalada a [0, 1])."""
    modelo = cnn.Sequential([
        cnn.Input(shape=(11,)),
        cnn.layers.Dense(64, activation="relu"),
        cnn.layers.Dense(64, activation="relu"),
        cnn.layers.Dense(1),
    ])
    modelo.compile(optimizer="adam", loss="mae")
    return modelo
