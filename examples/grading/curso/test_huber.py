"""Ejercicio 8 · La pérdida de Huber escrita con cnn.ops: sus valores como los de cnn.losses.huber, y
un entrenamiento con ella como con cnn.losses.Huber() desde la misma semilla (cnn.ops deriva la
función de la entrega: no hace falta escribir el gradiente)."""
import numpy as np
import pytest

import cnn
from cnn.testing import assert_close, assert_history_close

pytestmark = pytest.mark.cnn_budget(20)

rng = np.random.default_rng(2)
Y_TRUE, Y_PRED = rng.normal(size=(6, 4)), 2 * rng.normal(size=(6, 4))   # errores pequeños y grandes


def test_valores_como_huber_de_keras(entrega):
    error = np.abs(Y_PRED - Y_TRUE)
    pequeno = error <= 1.0
    recibido = np.asarray(entrega("huber").huber(Y_TRUE, Y_PRED))
    assert_close(recibido, cnn.losses.huber(Y_TRUE, Y_PRED), what="huber(y_true, y_pred)", mistakes=[
        ({"es": "la parte lineal es delta·|e| - delta²/2: falta restar delta²/2",
          "en": "the linear part is delta·|e| - delta²/2: delta²/2 is not subtracted"},
         np.mean(np.where(pequeno, 0.5 * error ** 2, error), axis=-1)),
        ({"es": "la parte cuadrática es e²/2: falta el 1/2", "en": "the quadratic part is e²/2: the 1/2 is missing"},
         np.mean(np.where(pequeno, error ** 2, error - 0.5), axis=-1)),
        ({"es": "sumas cada fila: Keras da la media (ops.mean(..., axis=-1))",
          "en": "each row is summed: Keras takes the mean (ops.mean(..., axis=-1))"},
         np.sum(np.where(pequeno, 0.5 * error ** 2, error - 0.5), axis=-1)),
        ({"es": "es el error cuadrático medio (el de la plantilla), no Huber",
          "en": "that is the mean squared error (the template's), not Huber"}, np.mean(error ** 2, axis=-1)),
    ])


def entrenar(perdida):
    cnn.utils.set_random_seed(4)
    x = np.random.default_rng(11).normal(size=(90, 4)).astype(np.float32)
    y = np.stack([x[:, 0] * 3 + 1, np.abs(x[:, 1]) * 4], axis=1)
    modelo = cnn.Sequential([cnn.Input(shape=(4,)), cnn.layers.Dense(8, activation="relu"), cnn.layers.Dense(2)])
    modelo.compile(optimizer=cnn.optimizers.Adam(0.02), loss=perdida)
    return modelo.fit(x, y, epochs=4, batch_size=16, validation_split=0.2, verbose=0)


def test_entrena_como_huber(entrega):
    esperado = entrenar(cnn.losses.Huber())
    recibido = entrenar(entrega("huber").huber)
    assert_history_close(recibido, esperado, rtol=1e-5)
