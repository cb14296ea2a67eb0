"""The course file tests/ops_course_losses.py runs unchanged under Keras 3 (`from keras import ops`, torch
backend, in /work/oracle-venv) and gives the values and gradients cnn.ops gives; ties included."""
import pathlib

import numpy as np

import keras_oracle  # tests/ is on sys.path
import ops_course_losses as course
from cnn import ops

COURSE_FILE = pathlib.Path(__file__).with_name("ops_course_losses.py")

# Runs in the oracle venv: the course file with its import line pointed at keras, torch autograd for
# the gradients, plus the tie cases written inline.
ACTIVATIONS = ["relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "softsign", "hard_sigmoid", "hard_silu",
               "log_sigmoid", "sigmoid", "tanh", "softplus", "softmax", "log_softmax"]
ORACLE_SCRIPT = r"""
import json, sys
import numpy as np, torch
from keras import ops
path, cases = sys.argv[1], json.load(sys.stdin)
ns = {}
exec(compile(open(path).read().replace("from cnn import ops", "from keras import ops"), path, "exec"), ns)
ties = {"abs": ops.abs, "relu": ops.relu, "clip": lambda x: ops.clip(x, 0.0, 1.0),
        "maximum": lambda x: ops.maximum(x, 0.0), "minimum": lambda x: ops.minimum(x, 0.0),
        "where": lambda x: ops.where(x >= 0, x, 0.0), "max": lambda x: ops.max(x, axis=-1)}
ties.update({name: getattr(ops, name) for name in OPS_ACTIVATIONS})
fns = {**ns["LOSSES"], **ns["ACTIVATIONS"], **ties}
out = {}
for name, (args, w) in cases.items():
    ts = [torch.tensor(np.array(a, np.float32)) for a in args]
    ts[-1].requires_grad_(True)
    value = fns[name](*ts)
    if value.requires_grad:
        value.backward(torch.tensor(np.array(w, np.float32)))
    grad = ts[-1].grad if ts[-1].grad is not None else torch.zeros_like(ts[-1])
    out[name] = [value.detach().numpy().tolist(), grad.numpy().tolist()]
print(json.dumps(out))
"""

TIES = {"abs": ops.abs, "relu": ops.relu, "clip": lambda x: ops.clip(x, 0.0, 1.0),
        "maximum": lambda x: ops.maximum(x, 0.0), "minimum": lambda x: ops.minimum(x, 0.0),
        "where": lambda x: ops.where(x >= 0, x, 0.0), "max": lambda x: ops.max(x, axis=-1),
        **{name: getattr(ops, name) for name in ACTIVATIONS}}


def _cases():
    rng = np.random.default_rng(3)
    n, c = 8, 3
    labels = (rng.uniform(size=(n, c)) > 0.5).astype(np.float32)
    onehot = np.eye(c, dtype=np.float32)[rng.integers(0, c, n)]
    regression = [rng.normal(size=(n, c)).astype(np.float32) for _ in range(2)]
    regression[1][0] = regression[0][0]              # an exact hit: the error's ties
    regression[1][1] = regression[0][1] + 1.0        # Huber's boundary (|error| == delta)
    probs = rng.uniform(0.05, 0.95, (n, c)).astype(np.float32)
    x = np.array([[-1.0, 0.0, 1.0, 2.0, 0.0, 2.0, -3.0, 3.0, 6.0, -0.5, 6.0]], np.float32)   # ties and kinks
    cases = {"mse": regression, "huber": regression, "log_cosh": regression,
             "weighted_binary_crossentropy": [labels, probs],
             "weighted_categorical_crossentropy": [onehot, probs / probs.sum(-1, keepdims=True)],
             "step": [x], "soft_relu": [x], **{name: [x] for name in TIES}}
    functions = {**course.LOSSES, **course.ACTIVATIONS, **TIES}
    out = {}
    for name, args in cases.items():
        value = functions[name](*args)
        w = rng.uniform(0.5, 1.5, np.shape(value)).astype(np.float32)
        out[name] = (functions[name], args, w)
    return out


@keras_oracle.needs_oracle
def test_course_file_gives_keras_values_and_gradients():
    cases = _cases()
    payload = {name: [[a.tolist() for a in args], w.tolist()] for name, (_, args, w) in cases.items()}
    script = ORACLE_SCRIPT.replace("OPS_ACTIVATIONS", repr(ACTIVATIONS))
    keras = keras_oracle.run(script, COURSE_FILE, payload=payload)
    for name, (fn, args, w) in cases.items():
        value, grads = ops.value_and_grad(fn, args, wrt=(len(args) - 1,), output_grad=w)
        assert value.dtype == np.float32 and grads[0].dtype == np.float32
        np.testing.assert_allclose(value, keras[name][0], rtol=2e-6, atol=1e-6, err_msg=f"{name} value")
        np.testing.assert_allclose(grads[0], keras[name][1], rtol=1e-5, atol=1e-6, err_msg=f"{name} gradient")


def test_course_losses_match_numpy_formulas_and_finite_differences():
    rng = np.random.default_rng(5)
    yt, yp = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    err = yp - yt
    np.testing.assert_allclose(course.mse(yt, yp), np.mean(err ** 2, -1))
    huber = np.where(np.abs(err) <= 1, 0.5 * err ** 2, np.abs(err) - 0.5)
    np.testing.assert_allclose(course.huber(yt, yp), huber.mean(-1))
    for name, fn in course.LOSSES.items():
        if "crossentropy" in name:
            yt_, yp_ = (rng.uniform(size=(6, 3)) > 0.5).astype(float), rng.uniform(0.1, 0.9, (6, 3))
        else:
            yt_, yp_ = yt, yp
        _, (g,) = ops.value_and_grad(fn, [yt_, yp_], wrt=(1,))
        eps, num = 1e-6, np.zeros_like(yp_)
        for idx in np.ndindex(yp_.shape):
            d = np.zeros_like(yp_)
            d[idx] = eps
            num[idx] = (np.sum(fn(yt_, yp_ + d)) - np.sum(fn(yt_, yp_ - d))) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8, err_msg=name)
