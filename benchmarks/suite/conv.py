"""The convolutional issue's network, one epoch in each library (2 threads vs 1: the threads workload):

    Conv2D(32, 3, relu) -> MaxPooling2D -> Flatten -> Dense(10, softmax), Adam, sparse CE, batch 32,
    on the Fashion-MNIST training images (the shipped subset with --quick).
"""
import math
import statistics

import numpy as np

from .libs import TorchModel

CASE = "conv epoch"
# per sample: the convolution's products (26 x 26 x 32 outputs of 9 taps) forward and for its kernel
# gradient, the Dense layer's (5408 x 10) forward, kernel gradient and input gradient; x2 for mul+add
TRAIN_FLOPS = 2 * (2 * 26 * 26 * 32 * 9 + 3 * 13 * 13 * 32 * 10)


def build_keras_api(lib, seed=0):
    """cnn or Keras: the same code."""
    lib.utils.set_random_seed(seed)
    model = lib.Sequential([lib.Input((28, 28, 1)), lib.layers.Conv2D(32, 3, activation="relu"),
                            lib.layers.MaxPooling2D(), lib.layers.Flatten(),
                            lib.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(), loss="sparse_categorical_crossentropy")
    return model


def build_torch(torch, seed=0):
    nn = torch.nn
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(13 * 13 * 32, 10))
    return TorchModel(net, torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7), nn.CrossEntropyLoss(), False)


def conv(ctx, fmnist_data, row):
    (x, y), _, source = fmnist_data(ctx)
    x = x.reshape(-1, 28, 28, 1)
    steps = math.ceil(len(x) / 32)
    rows = []
    for name, lib in ctx.libs.items():
        ctx.log(f"{CASE}: {name}")
        if name == "torch":
            xin, build = np.ascontiguousarray(x.transpose(0, 3, 1, 2)), lambda: build_torch(lib.torch)
        else:
            xin, build = x, lambda: build_keras_api(lib.lib)
        lib.fit_epochs(build(), xin[:2048], y[:2048], 32, 1)   # warm-up
        epochs = ctx.reps(2, 1) if name != "keras" else 1     # Keras takes minutes per epoch
        times = lib.fit_epochs(build(), xin, y, 32, epochs)
        rows.append(row(ctx, CASE, name, statistics.median(times), "epoch", steps, len(x) * TRAIN_FLOPS, times,
                        note=source))
    return rows
