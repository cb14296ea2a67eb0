"""Ejercicio 3 · Las actualizaciones de momento y de Adam, en NumPy (solución de referencia).

Cada función da un paso: recibe los pesos `w`, su gradiente `g` y el estado del optimizador, y
devuelve los pesos nuevos y el estado nuevo (las mismas fórmulas que keras.optimizers.SGD y Adam)."""
import numpy as np


def paso_momento(w, g, velocidad, lr=0.01, momento=0.9):
    """SGD con momento: la velocidad acumula los gradientes con memoria `momento`."""
    velocidad = momento * velocidad - lr * g
    return w + velocidad, velocidad


def paso_adam(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam, paso número t (empieza en 1): medias móviles del gradiente (m) y de su cuadrado (v), con
    corrección de sesgo."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v
