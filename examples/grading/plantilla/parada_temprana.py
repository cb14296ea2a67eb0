"""Ejercicio 5 · Parada temprana.

El test entrena un modelo del vino hasta 300 épocas con tu callback y comprueba que para antes y que
el modelo termina con los pesos de su mejor época."""
import cnn  # noqa: F401  (lo necesitarás)


def parada_temprana():
    """Devuelve un callback cnn.callbacks.EarlyStopping que vigile la pérdida de validación."""
    # TODO: elige monitor, min_delta y patience, y recupera los mejores pesos al terminar
    return None
