"""Course losses and activations written as students write them for Keras 3. The only line that
differs under Keras is the import: tests/test_ops_keras.py runs this file with `from keras import ops`."""
from cnn import ops

EPSILON = 1e-7


def mse(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    error = y_pred - y_true
    small = ops.abs(error) <= delta
    squared = 0.5 * ops.square(error)
    linear = delta * ops.abs(error) - 0.5 * delta ** 2
    return ops.mean(ops.where(small, squared, linear), axis=-1)


def weighted_binary_crossentropy(y_true, y_pred, pos_weight=3.0):
    p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
    loss = -(pos_weight * y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(loss, axis=-1)


def weighted_categorical_crossentropy(y_true, y_pred):
    weights = ops.convert_to_tensor([1.0, 2.0, 0.5])
    p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    p = ops.clip(p, EPSILON, 1.0 - EPSILON)
    return -ops.sum(weights * y_true * ops.log(p), axis=-1)


def log_cosh(y_true, y_pred):
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(-2.0 * x) - ops.log(2.0), axis=-1)


def step(x):
    return ops.where(x >= 0, 1.0, 0.0)


def soft_relu(x):
    return ops.maximum(x, 0.0) + 0.1 * ops.minimum(x, 0.0) + ops.sigmoid(x) * ops.tanh(x)


LOSSES = {"mse": mse, "huber": huber, "weighted_binary_crossentropy": weighted_binary_crossentropy,
          "weighted_categorical_crossentropy": weighted_categorical_crossentropy, "log_cosh": log_cosh}
ACTIVATIONS = {"step": step, "soft_relu": soft_relu}
