"""Ejercicio 8 · La pérdida de Huber con cnn.ops.

Escríbela como en Keras 3, con las operaciones de `ops` (abs, square, where, mean...): cnn la deriva
solo, así que no hace falta escribir el gradiente. Con `from keras import ops` el mismo fichero funciona
en Keras. Huber, para el error e = y_pred - y_true de cada elemento:
    e²/2                    si |e| <= delta
    delta·|e| - delta²/2    si |e| > delta
y la pérdida de cada fila es la media de sus elementos."""
from cnn import ops


def huber(y_true, y_pred, delta=1.0):
    # TODO: esto es el error cuadrático medio; cámbialo por Huber (ops.where elige elemento a elemento)
    return ops.mean(ops.square(y_pred - y_true), axis=-1)
