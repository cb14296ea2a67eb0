"""Ejercicio 6 · Una capa densa propia en NumPy: su pasada hacia atrás, y dentro de un modelo el mismo
entrenamiento que cnn.layers.Dense desde la misma semilla."""
import numpy as np
import pytest

import cnn
from cnn.testing import assert_close, assert_history_close

pytestmark = pytest.mark.cnn_budget(20)

rng = np.random.default_rng(0)
X, DY = rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=(8, 3)).astype(np.float32)


def capa_construida(entrega):
    capa = entrega("capa_densa").DensaNumPy(3)
    capa(X)   # la construye (build) con la forma de X
    return capa, [w.numpy().astype(np.float64) for w in capa.trainable_weights]


def test_hacia_delante(entrega):
    capa, (W, b) = capa_construida(entrega)
    assert_close(capa.call(X), X @ W + b, what="call(x)", rtol=1e-5, atol=1e-5)


def test_hacia_atras(entrega):
    capa, (W, b) = capa_construida(entrega)
    capa.call(X, training=True)
    dx = capa.backward(DY)
    kernel, bias = capa.trainable_weights
    assert_close(kernel.grad, X.T @ DY, what="kernel.grad (dL/dW)", rtol=1e-5, atol=1e-5, mistakes=[
        ({"es": "es la traspuesta: dL/dW = entradas.T @ grad_output, con la forma de W",
          "en": "it is the transpose: dL/dW = inputs.T @ grad_output, shaped as W"}, DY.T @ X)])
    assert_close(bias.grad, DY.sum(axis=0), what="bias.grad (dL/db)", rtol=1e-5, atol=1e-5, mistakes=[
        ({"es": "sumas por columnas de más o de menos: dL/db = grad_output.sum(axis=0)",
          "en": "summed over the wrong axis: dL/db = grad_output.sum(axis=0)"}, DY.sum())])
    assert_close(dx, DY @ W.T, what="lo que devuelve backward (dL/dx)", rtol=1e-5, atol=1e-5)


def entrenar(capa):
    cnn.utils.set_random_seed(3)
    x = np.random.default_rng(1).normal(size=(96, 5)).astype(np.float32)
    y = np.stack([x[:, 0] - 2 * x[:, 1], x[:, 2] * x[:, 3]], axis=1)
    modelo = cnn.Sequential([cnn.Input(shape=(5,)), cnn.layers.Dense(8, activation="relu"), capa,
                             cnn.layers.Dense(2)])
    modelo.compile(optimizer="adam", loss="mse")
    return modelo.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)


def test_en_un_modelo_entrena_como_dense(entrega):
    esperado = entrenar(cnn.layers.Dense(6))
    recibido = entrenar(entrega("capa_densa").DensaNumPy(6))
    assert_history_close(recibido, esperado, rtol=1e-4)
