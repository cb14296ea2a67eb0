"""Ejercicio 2 · La pasada hacia atrás de una capa densa (NumPy), comparada con la capa Dense de cnn
hacia delante y con diferencias finitas hacia atrás."""
import numpy as np
import pytest

import cnn
from cnn.testing import assert_close, check_gradients

pytestmark = pytest.mark.cnn_budget(10)

rng = np.random.default_rng(0)
X, W, B = rng.normal(size=(8, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
DY = rng.normal(size=(8, 3))   # dL/dsalida, es decir L = sum(DY * salida)


def test_adelante_como_la_capa_dense(entrega):
    capa = cnn.layers.Dense(3)
    capa.build((None, 4))
    capa.set_weights([W, B])
    esperado = np.asarray(capa(X.astype(np.float32)))
    assert_close(entrega("densa").densa_adelante(X, W, B), esperado, what="densa_adelante(x, W, b)",
                 rtol=1e-5, atol=1e-5)


def test_atras_dW(entrega):
    e = entrega("densa")
    check_gradients(lambda W_: np.sum(DY * e.densa_adelante(X, W_, B)), W,
                    grad=lambda W_: e.densa_atras(X, W_, DY)[1], what="dL/dW")   # dice si está traspuesta


def test_atras_dx(entrega):
    e = entrega("densa")
    check_gradients(lambda x_: np.sum(DY * e.densa_adelante(x_, W, B)), X,
                    grad=lambda x_: e.densa_atras(x_, W, DY)[0], what="dL/dx")


def test_atras_db(entrega):
    e = entrega("densa")
    check_gradients(lambda b_: np.sum(DY * e.densa_adelante(X, W, b_)), B,
                    grad=lambda b_: e.densa_atras(X, W, DY)[2], what="dL/db")
