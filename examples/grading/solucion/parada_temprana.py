"""Ejercicio 5 · Parada temprana (solución de referencia)."""
import cnn


def parada_temprana():
    """Un callback que para cuando la pérdida de validación deja de mejorar (al menos 0.001 en 5
    épocas) y recupera los pesos de la mejor época."""
    return cnn.callbacks.EarlyStopping(monitor="val_loss", min_delta=0.001, patience=5,
                                       restore_best_weights=True)
