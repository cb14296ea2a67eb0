"""Ejercicio 3 · Momento y Adam en NumPy, paso a paso contra los optimizadores de cnn: los dos
entrenan la misma regresión lineal desde los mismos pesos y deben dar los mismos pesos en cada paso."""
import numpy as np
import pytest

import cnn
from cnn.testing import assert_close

pytestmark = pytest.mark.cnn_budget(10)

PASOS = 10
SIN_CAMBIO = {"es": "los pesos no cambian: falta aplicar la actualización",
              "en": "the weights do not change: the update is not applied"}


def trayectoria(optimizador):
    """[(pesos antes, gradientes, pesos después)] de cada paso de train_on_batch con el optimizador de
    cnn, en una regresión lineal Dense(2) de 3 variables con pérdida MSE (su gradiente, en NumPy)."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    modelo = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(2)])
    modelo.compile(optimizer=optimizador, loss="mse")
    pasos = []
    for _ in range(PASOS):
        antes = [w.astype(np.float64) for w in modelo.get_weights()]
        error = x @ antes[0] + antes[1] - y
        gradientes = [2 * x.T @ error / error.size, 2 * error.sum(axis=0) / error.size]
        modelo.train_on_batch(x, y)
        pasos.append((antes, gradientes, modelo.get_weights()))
    return pasos


def test_momento_como_sgd_de_keras(entrega):
    paso = entrega("optimizadores").paso_momento
    pasos = trayectoria(cnn.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    pesos = pasos[0][0]
    velocidades = [np.zeros_like(w) for w in pesos]
    for t, (_, gradientes, esperados) in enumerate(pasos, start=1):
        nuevos = []
        for i, nombre in enumerate(("W", "b")):
            w, g, vel = pesos[i], gradientes[i], velocidades[i]
            w_nuevo, velocidades[i] = paso(w, g, vel, lr=0.1, momento=0.9)
            assert_close(w_nuevo, esperados[i], what=f"{nombre} tras el paso {t}", rtol=1e-4, atol=1e-5, mistakes=[
                (SIN_CAMBIO, w),
                ({"es": "w - lr·g: la velocidad no interviene (es SGD sin momento)",
                  "en": "w - lr·g: the velocity plays no part (that is SGD without momentum)"}, w - 0.1 * g),
                ({"es": "velocidad = momento·velocidad + lr·g: el signo del gradiente es al revés",
                  "en": "velocity = momentum·velocity + lr·g: the gradient's sign is flipped"},
                 w + 0.9 * vel + 0.1 * g),
            ])
            nuevos.append(w_nuevo)
        pesos = nuevos


def _variantes_de_adam(w, g, m, v, t, lr, b1=0.9, b2=0.999, eps=1e-7):
    """Los errores típicos de Adam, calculados con las mismas entradas."""
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g ** 2
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return [
        (SIN_CAMBIO, w),
        ({"es": "falta la corrección de sesgo: m̂ = m / (1 - β1^t) y v̂ = v / (1 - β2^t)",
          "en": "the bias correction is missing: m̂ = m / (1 - β1^t) and v̂ = v / (1 - β2^t)"},
         w - lr * m / (np.sqrt(v) + eps)),
        ({"es": "solo corriges el sesgo de m: falta v̂ = v / (1 - β2^t)",
          "en": "only m's bias is corrected: v̂ = v / (1 - β2^t) is missing"},
         w - lr * m_hat / (np.sqrt(v) + eps)),
        ({"es": "falta la raíz cuadrada: se divide por √v̂, no por v̂",
          "en": "the square root is missing: divide by √v̂, not by v̂"}, w - lr * m_hat / (v_hat + eps)),
    ]


def test_adam_como_el_de_keras(entrega):
    paso = entrega("optimizadores").paso_adam
    pasos = trayectoria(cnn.optimizers.Adam(learning_rate=0.01))
    pesos = pasos[0][0]
    ms, vs = [np.zeros_like(w) for w in pesos], [np.zeros_like(w) for w in pesos]
    for t, (_, gradientes, esperados) in enumerate(pasos, start=1):
        nuevos = []
        for i, nombre in enumerate(("W", "b")):
            w, g, m, v = pesos[i], gradientes[i], ms[i], vs[i]
            w_nuevo, ms[i], vs[i] = paso(w, g, m, v, t, lr=0.01)
            assert_close(w_nuevo, esperados[i], what=f"{nombre} tras el paso {t}", rtol=1e-4, atol=1e-5,
                         mistakes=_variantes_de_adam(w, g, m, v, t, 0.01))
            nuevos.append(w_nuevo)
        pesos = nuevos
