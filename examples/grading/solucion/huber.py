"""Ejercicio 8 · La pérdida de Huber con cnn.ops (solución de referencia).

Con `from keras import ops` en lugar de `from cnn import ops`, el mismo fichero funciona en Keras 3."""
from cnn import ops


def huber(y_true, y_pred, delta=1.0):
    """Cuadrática para errores pequeños (|e| <= delta), lineal para los grandes; la media de cada fila."""
    error = y_pred - y_true
    pequeno = ops.abs(error) <= delta
    cuadratica = 0.5 * ops.square(error)
    lineal = delta * ops.abs(error) - 0.5 * delta ** 2
    return ops.mean(ops.where(pequeno, cuadratica, lineal), axis=-1)
