"""Ejercicio 1 · La sigmoide y su derivada."""
import numpy as np
import pytest

from cnn.testing import assert_close, assert_same_as_builtin, check_gradients

pytestmark = pytest.mark.cnn_budget(10)   # segundos por test: un bucle infinito suspende, no cuelga


def test_sigmoide_como_la_de_keras(entrega):
    assert_same_as_builtin(entrega("sigmoide").sigmoide, "sigmoid")


def test_derivada_de_la_sigmoide(entrega):
    e = entrega("sigmoide")
    check_gradients(e.sigmoide, grad=e.derivada_sigmoide)   # "la derivada no coincide con la numérica"


def test_derivada_sin_olvidar_factores(entrega):
    """Con la sigmoide de referencia, para nombrar los errores típicos de la derivada."""
    e = entrega("sigmoide")
    x = np.linspace(-6, 6, 25)
    s = 1 / (1 + np.exp(-x))
    assert_close(e.derivada_sigmoide(x), s * (1 - s), what="derivada_sigmoide(x)", mistakes=[
        ({"es": "devuelves s(x): falta el factor (1 - s(x))",
          "en": "you return s(x): the factor (1 - s(x)) is missing"}, s),
        ({"es": "s(x)·(1 + s(x)): el signo del segundo factor es al revés",
          "en": "s(x)·(1 + s(x)): the second factor's sign is flipped"}, s * (1 + s)),
        ({"es": "x·(1 - x): aplicas la fórmula a x en lugar de a s(x)",
          "en": "x·(1 - x): the formula is applied to x instead of s(x)"}, x * (1 - x)),
    ])
