"""Side-by-side training timings: cnn vs PyTorch (and Keras 3 on torch) in the same run.

    python benchmarks/bench_training.py            # everything that is installed
    python benchmarks/bench_training.py --quick    # fewer repeats

Each figure is the minimum wall time over repeats (after a warm-up), one thread for every library.
Ratios are what matter: these machines are noisy.
"""
import argparse
import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402


def best_of(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def import_time(code, repeats=5):
    """Seconds to run `code` (an import) in a fresh interpreter, minus the interpreter's own start-up."""
    def run(source):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", source], check=True)
        return time.perf_counter() - t
    base = min(run("pass") for _ in range(repeats))
    return min(run(code) for _ in range(repeats)) - base


# ---------------------------------------------------------------- iris 4-8-9-3, full batch, Adam
def iris_data():
    from cnn.datasets import load_iris
    x, y = load_iris()
    x = (x - x.mean(0)) / x.std(0)
    return x.astype(np.float32), y


def cnn_iris(epochs):
    import cnn
    from cnn import layers
    x, y = iris_data()
    cnn.utils.set_num_threads(1)
    cnn.utils.set_random_seed(0)
    model = cnn.Sequential([cnn.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                            layers.Dense(9, activation="relu"), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.fit(x, y, batch_size=150, epochs=epochs, verbose=0, shuffle=False)


def torch_iris(epochs):
    import torch
    torch.set_num_threads(1)
    x, y = iris_data()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 9), torch.nn.ReLU(),
                                torch.nn.Linear(9, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train():
        for _ in range(epochs):
            opt.zero_grad()
            loss = loss_fn(model(xt), yt)
            loss.backward()
            opt.step()
    return train


def keras_iris(epochs):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    x, y = iris_data()
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(9, activation="relu"), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.fit(x, y, batch_size=150, epochs=epochs, verbose=0, shuffle=False)


# ---------------------------------------------------------------- red wine 11-512x3-1, batch 256, Adam, MAE
def wine_data():
    from cnn.datasets import load_red_wine
    return load_red_wine()


def cnn_wine(epochs, threads=1):
    import cnn
    from cnn import layers
    (x, y), (xv, yv) = wine_data()
    cnn.utils.set_num_threads(threads)
    model = cnn.Sequential([cnn.Input(shape=(11,))] + [layers.Dense(512, activation="relu") for _ in range(3)]
                           + [layers.Dense(1)])
    model.compile(optimizer="adam", loss="mae")
    return lambda: model.fit(x, y, validation_data=(xv, yv), batch_size=256, epochs=epochs, verbose=0)


def torch_wine(epochs):
    import torch
    torch.set_num_threads(1)
    (x, y), (xv, yv) = wine_data()
    xt, yt, xvt, yvt = (torch.from_numpy(a) for a in (x, y.reshape(-1, 1), xv, yv.reshape(-1, 1)))
    layers = [torch.nn.Linear(11, 512), torch.nn.ReLU()]
    for _ in range(2):
        layers += [torch.nn.Linear(512, 512), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(512, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.L1Loss()

    def train():
        for _ in range(epochs):
            perm = torch.randperm(len(xt))
            for i in range(0, len(xt), 256):
                idx = perm[i:i + 256]
                opt.zero_grad()
                loss = loss_fn(model(xt[idx]), yt[idx])
                loss.backward()
                opt.step()
            with torch.no_grad():
                loss_fn(model(xvt), yvt)
    return train


def keras_wine(epochs):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    (x, y), (xv, yv) = wine_data()
    model = keras.Sequential([keras.Input(shape=(11,))] + [keras.layers.Dense(512, activation="relu")
                                                           for _ in range(3)] + [keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mae")
    return lambda: model.fit(x, y, validation_data=(xv, yv), batch_size=256, epochs=epochs, verbose=0)


def available(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def row(name, seconds, base=None):
    ratio = f"{seconds / base:8.1f}x" if base else "        "
    print(f"  {name:<34} {seconds * 1e3:10.2f} ms {ratio}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    have_torch, have_keras = available("torch"), available("keras")

    print("import time (fresh interpreter, start-up subtracted):")
    row("import cnn", import_time("import cnn"))
    row("import cnn; cnn.Sequential (loads NumPy)", import_time("import cnn; cnn.Sequential; cnn.layers"))
    row("import numpy", import_time("import numpy"))
    if have_torch:
        row("import torch", import_time("import torch"))

    print("iris 4-8-9-3, full batch (150), Adam, 100 epochs, 1 thread:")
    t_cnn = best_of(cnn_iris(100), repeats)
    row("cnn fit(epochs=100)", t_cnn)
    if have_torch:
        row("PyTorch loop (same steps)", best_of(torch_iris(100), repeats), t_cnn)
    if have_keras:
        row("Keras 3 (torch) fit(epochs=100)", best_of(keras_iris(100), 2), t_cnn)

    print("red wine 11-512x3-1, batch 256, Adam, MAE, 5 epochs incl. validation, 1 thread:")
    t_cnn = best_of(cnn_wine(5), max(2, repeats // 2))
    row("cnn fit(epochs=5)", t_cnn)
    row("cnn fit(epochs=5), 2 threads", best_of(cnn_wine(5, threads=2), max(2, repeats // 2)), t_cnn)
    if have_torch:
        row("PyTorch loop (same steps)", best_of(torch_wine(5), max(2, repeats // 2)), t_cnn)
    if have_keras:
        row("Keras 3 (torch) fit(epochs=5)", best_of(keras_wine(5), 2), t_cnn)
    print("(ratio column: that library's time / cnn's time, higher is better for cnn)")


if __name__ == "__main__":
    main()
