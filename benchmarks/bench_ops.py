"""What recording a cnn.ops loss costs: a Huber loss written with cnn.ops, its eager value on NumPy
arrays beside `ops.value_and_grad` (value + gradient with respect to y_pred), per batch shape, and the
`autograd` package on the same function when it is importable (it is not a dependency):

    PYTHONPATH=<folder with cnn>[:<folder with autograd>] python benchmarks/bench_ops.py [--calls 300]

Each figure is the minimum over 5 repeats of the process CPU time of `calls` calls, per call.
"""
import argparse
import time

import numpy as np

from cnn import ops


def huber(y_true, y_pred, delta=1.0, np_=ops):
    error = y_pred - y_true
    small = np_.abs(error) <= delta
    return np_.mean(np_.where(small, 0.5 * np_.square(error), delta * np_.abs(error) - 0.5 * delta ** 2), axis=-1)


def per_call_us(fn, calls):
    best = float("inf")
    for _ in range(5):
        t = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, time.process_time() - t)
    return best / calls * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        autograd = None
    for shape in [(32, 1), (256, 10), (4096, 10)]:
        rng = np.random.default_rng(0)
        y_true, y_pred = (rng.normal(size=shape).astype(np.float32) for _ in range(2))
        w = np.full(shape[0], 1 / shape[0], np.float32)
        line = (f"huber {shape}: eager {per_call_us(lambda: huber(y_true, y_pred), args.calls):.0f} us, "
                f"value_and_grad {per_call_us(lambda: ops.value_and_grad(huber, [y_true, y_pred], (1,), output_grad=w), args.calls):.0f} us")  # noqa: E501
        if autograd is not None:
            grad = autograd.value_and_grad(lambda p: anp.sum(huber(y_true, p, np_=anp) * w))
            line += f", autograd {per_call_us(lambda: grad(y_pred), args.calls):.0f} us"
        print(line)


if __name__ == "__main__":
    main()
