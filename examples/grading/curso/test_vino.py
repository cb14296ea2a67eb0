"""Ejercicio 4 · El modelo del vino: MAE de validación por debajo de 0.10, entrenando como dice la
entrega (EPOCAS, LOTE) y dentro de un tiempo máximo."""
import numpy as np
import pytest

from cnn.testing import expect, reference_data

LIMITE = 0.10


@pytest.mark.cnn_budget(30)
def test_el_modelo_del_vino_baja_de_010(entrega):
    e = entrega("vino")
    (x, y), (x_val, y_val) = reference_data("wine")   # los datos y el reparto de la lección
    modelo = e.modelo_vino()
    historial = modelo.fit(x, y, validation_data=(x_val, y_val), epochs=e.EPOCAS, batch_size=e.LOTE,
                           time_limit=10, verbose=0)   # para a los 10 s y conserva lo aprendido
    mae = float(np.mean(np.abs(modelo.predict(x_val, verbose=0).reshape(-1) - y_val)))
    expect(mae < LIMITE, {
        "es": f"El MAE de validación es {mae:.4f}; debe bajar de {LIMITE:.2f}. Entrenó {len(historial.epoch)} "
              f"épocas (motivo de parada: {historial.stop_reason}). ¿Más capacidad (capas ocultas con relu), "
              "otro optimizador o más épocas?",
        "en": f"The validation MAE is {mae:.4f}; it must be below {LIMITE:.2f}. It trained {len(historial.epoch)} "
              f"epochs (stop reason: {historial.stop_reason}). More capacity (hidden relu layers), another "
              "optimizer or more epochs?"}, expected=f"< {LIMITE}", received=mae)
