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


@pytest.mark.cnn_budget(30)
def test_el_modelo_del_vino_aprende():
    (x, y), (x_val, y_val) = reference_data("wine")
    modelo = entrega.modelo_vino()
    assert_learns(modelo, x, y, metric="val_loss", below=0.11, validation_data=(x_val, y_val),
                  epochs=100, batch_size=64, time_limit=20)
    assert np.isfinite(modelo.predict(x_val[:5], verbose=0)).all()
