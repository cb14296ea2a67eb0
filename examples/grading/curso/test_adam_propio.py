"""Ejercicio 7 · Un Adam propio (cnn.optimizers.Optimizer con update_step en NumPy): el primer paso y
un entrenamiento entero, como los de cnn.optimizers.Adam desde la misma semilla."""
import numpy as np
import pytest

import cnn
from cnn.testing import assert_close, assert_history_close

pytestmark = pytest.mark.cnn_budget(20)

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-7
rng = np.random.default_rng(1)
X, Y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 2)).astype(np.float32)


def un_paso(optimizador):
    """Los pesos antes, su gradiente (MSE de una regresión lineal, en NumPy) y los pesos tras un paso."""
    cnn.utils.set_random_seed(0)
    modelo = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(2)])
    modelo.compile(optimizer=optimizador, loss="mse")
    W, b = [w.astype(np.float64) for w in modelo.get_weights()]
    error = X @ W + b - Y
    gradientes = [2 * X.T @ error / error.size, 2 * error.sum(axis=0) / error.size]
    modelo.train_on_batch(X, Y)
    return [W, b], gradientes, modelo.get_weights()


def test_el_primer_paso_como_adam(entrega):
    antes, gradientes, esperados = un_paso(cnn.optimizers.Adam(LR))
    _, _, recibidos = un_paso(entrega("adam_propio").AdamPropio(learning_rate=LR))
    for nombre, w, g, esperado, recibido in zip(("kernel", "bias"), antes, gradientes, esperados, recibidos):
        m, v = (1 - B1) * g, (1 - B2) * g ** 2   # tras el primer paso, desde cero
        assert_close(recibido, esperado, what=f"{nombre} tras el primer paso", rtol=1e-4, atol=1e-5, mistakes=[
            ({"es": "los pesos no cambian: update_step no actualiza la variable (self.assign_sub)",
              "en": "the weights do not change: update_step does not update the variable (self.assign_sub)"}, w),
            ({"es": "falta la corrección de sesgo: m̂ = m / (1 - β1^t) y v̂ = v / (1 - β2^t), con t = iterations + 1",
              "en": "the bias correction is missing: m̂ = m / (1 - β1^t) and v̂ = v / (1 - β2^t), "
                    "with t = iterations + 1"}, w - LR * m / (np.sqrt(v) + EPS)),
            ({"es": "falta la raíz cuadrada: se divide por √v̂, no por v̂",
              "en": "the square root is missing: divide by √v̂, not by v̂"}, w - LR * g / (g ** 2 + EPS)),
        ])


def entrenar(optimizador):
    cnn.utils.set_random_seed(7)
    x = np.random.default_rng(5).normal(size=(80, 4)).astype(np.float32)
    y = x @ np.random.default_rng(6).normal(size=(4, 3)).astype(np.float32)
    modelo = cnn.Sequential([cnn.Input(shape=(4,)), cnn.layers.Dense(6, activation="tanh"), cnn.layers.Dense(3)])
    modelo.compile(optimizer=optimizador, loss="mse")
    return modelo.fit(x, y, epochs=5, batch_size=16, verbose=0)


def test_entrena_como_adam(entrega):
    esperado = entrenar(cnn.optimizers.Adam(LR))
    recibido = entrenar(entrega("adam_propio").AdamPropio(learning_rate=LR))
    assert_history_close(recibido, esperado, rtol=1e-4)
