"""Ejercicio 3 · Las actualizaciones de momento y de Adam, en NumPy.

Cada función da un paso: recibe los pesos `w`, su gradiente `g` y el estado del optimizador, y
devuelve los pesos nuevos y el estado nuevo. Los tests entrenan una regresión lineal con tus pasos y
con los optimizadores de cnn (iguales a los de Keras) y comparan los pesos tras cada paso."""
import numpy as np  # noqa: F401  (lo necesitarás: np.sqrt)


def paso_momento(w, g, velocidad, lr=0.01, momento=0.9):
    """SGD con momento (como keras.optimizers.SGD(momentum=...)). Devuelve (w_nuevo, velocidad_nueva)."""
    # TODO: la velocidad nueva es momento · velocidad - lr · g, y los pesos avanzan con la velocidad
    return w, velocidad


def paso_adam(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam, paso número t (el primero es t = 1). Devuelve (w_nuevo, m_nuevo, v_nuevo)."""
    # TODO 1: medias móviles: m = beta_1 · m + (1 - beta_1) · g, y v igual con g al cuadrado y beta_2
    # TODO 2: corrección de sesgo: m̂ = m / (1 - beta_1^t), v̂ = v / (1 - beta_2^t)
    # TODO 3: w nuevo = w - lr · m̂ / (√v̂ + epsilon)   (np.sqrt)
    return w, m, v
