"""Tests del profesor. Corrigen el módulo que nombra la variable de entorno ENTREGA (por defecto,
`solucion`): ENTREGA=plantilla pytest docs/grading_example"""
import importlib
import os

import numpy as np
import pytest

from cnn.testing import assert_learns, assert_same_as_builtin, check_gradients, reference_data

entrega = importlib.import_module(os.environ.get("ENTREGA", "solucion"))


def test_sigmoide_igual_que_keras():
    assert_same_as_builtin(entrega.sigmoide, "sigmoid")


def test_derivada_de_la_sigmoide():
    check_gradients(entrega.sigmoide, grad=entrega.derivada_sigmoide)


def test_ecm_y_su_gradiente():
    assert_same_as_builtin(entrega.ecm, "mse", grad=entrega.gradiente_ecm)


def test_pasada_atras_de_la_capa_densa():
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(8, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    dy = rng.normal(size=(8, 3))   # dL/dsalida: L = sum(dy * salida)
    check_gradients(lambda W_: np.sum(dy * entrega.densa_adelante(x, W_, b)), W,
                    grad=lambda W_: entrega.densa_atras(x, W_, dy)[1], what="dL/dW")
    check_gradients(lambda x_: np.sum(dy * entrega.densa_adelante(x_, W, b)), x,
                    grad=lambda x_: entrega.densa_atras(x_, W, dy)[0], what="dL/dx")
    check_gradients(lambda b_: np.sum(dy * entrega.densa_adelante(x, W, b_)), b,
                    grad=lambda b_: entrega.densa_atras(x, W, dy)[2], what="dL/db")


@pytest.mark.cnn_budget(30)
def test_el_modelo_del_vino_aprende():
    (x, y), (x_val, y_val) = reference_data("wine")
    modelo = entrega.modelo_vino()
    assert_learns(modelo, x, y, metric="val_loss", below=0.11, validation_data=(x_val, y_val),
                  epochs=100, batch_size=64, time_limit=20)
    assert np.isfinite(modelo.predict(x_val[:5], verbose=0)).all()
