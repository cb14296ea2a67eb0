"""The three libraries behind one small interface: build an MLP, train it, time its calls.

cnn and Keras share the Keras API (one adapter, two modules); PyTorch gets the idiomatic eager loop:
shuffled mini-batches, zero_grad, forward, loss, backward, step. Every library gets Adam with Keras's
defaults (lr 1e-3, epsilon 1e-7), the same data as float32 arrays, batch size and thread count.
"""
import os
from dataclasses import dataclass, field

from .timing import now

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is imported anywhere


@dataclass
class MLP:
    """A Dense network: input shape (flattened first when 2-D), (units, activation) per layer, a loss
    ('sce_logits', 'sce' for a softmax head, 'mae') and Keras metric names."""
    input_shape: tuple
    layers: list
    loss: str
    metrics: list = field(default_factory=list)

    def _sizes(self):
        n_in = 1
        for d in self.input_shape:
            n_in *= d
        sizes = [n_in] + [u for u, _ in self.layers]
        return list(zip(sizes[:-1], sizes[1:]))

    def forward_flops(self):
        """Multiply-adds of the Dense layers (x2), per sample; activations and the loss not counted."""
        return sum(2 * i * o for i, o in self._sizes())

    def train_flops(self):
        """Forward, weight gradients, and input gradients of every layer but the first, per sample."""
        pairs = self._sizes()
        return 2 * self.forward_flops() + sum(2 * i * o for i, o in pairs[1:])


def available(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


class KerasAPI:
    """cnn or Keras 3: the same calls on either module."""

    def __init__(self, name, threads):
        self.name = name
        if name == "cnn":
            import cnn
            self.lib = cnn
            cnn.utils.set_num_threads(threads)
        else:
            import keras
            self.lib = keras
            set_torch_threads(threads)

    def set_threads(self, threads):
        if self.name == "cnn":
            self.lib.utils.set_num_threads(threads)
        else:
            set_torch_threads(threads)

    def build(self, spec, seed=0):
        lib = self.lib
        lib.utils.set_random_seed(seed)
        layers = [lib.Input(shape=spec.input_shape)]
        if len(spec.input_shape) > 1:
            layers.append(lib.layers.Flatten())
        layers += [lib.layers.Dense(u, activation=a) for u, a in spec.layers]
        model = lib.Sequential(layers)
        loss = {"sce_logits": lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                "cce_logits": lib.losses.CategoricalCrossentropy(from_logits=True),
                "sce": "sparse_categorical_crossentropy", "mae": "mae"}[spec.loss]
        model.compile(optimizer=lib.optimizers.Adam(), loss=loss, metrics=list(spec.metrics) or None)
        return model

    def fit_epochs(self, model, x, y, batch, epochs):
        """Seconds of each epoch of one fit call (default shuffling, verbose=0)."""
        times = []

        class EpochTimer(self.lib.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t = now()

            def on_epoch_end(self, epoch, logs=None):
                times.append(now() - self.t)

        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[EpochTimer()])
        return times

    def fit_call(self, model, x, y, batch, epochs):
        return lambda: model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)

    def train_step(self, model, x, y):
        return lambda: model.train_on_batch(x, y)

    def predict(self, model, x):
        if self.name == "keras" and len(x) <= 32:
            return lambda: model(x)  # what Keras advises for small inputs: predict() costs ms
        return lambda: model.predict(x, verbose=0)

    def evaluate(self, model, x, y):
        return lambda: model.evaluate(x, y, verbose=0)


def set_torch_threads(threads):
    import torch
    torch.set_num_threads(threads)


@dataclass
class TorchModel:
    net: object        # torch.nn.Sequential
    opt: object        # torch.optim.Adam
    loss_fn: object
    regression: bool


class Torch:
    """PyTorch 2.x, CPU, eager: the loop a course would write."""
    name = "torch"

    def __init__(self, threads):
        import torch
        self.torch = torch
        set_torch_threads(threads)

    def set_threads(self, threads):
        set_torch_threads(threads)

    def build(self, spec, seed=0):
        torch, nn = self.torch, self.torch.nn
        torch.manual_seed(seed)
        mods = [nn.Flatten()] if len(spec.input_shape) > 1 else []
        acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
        for (n_in, n_out), (_, act) in zip(spec._sizes(), spec.layers):
            mods.append(nn.Linear(n_in, n_out))
            if act in acts:
                mods.append(acts[act]())
            # a softmax head is left out: CrossEntropyLoss takes the logits (idiomatic PyTorch)
        net = nn.Sequential(*mods)
        return TorchModel(net, torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7),
                          nn.L1Loss() if spec.loss == "mae" else nn.CrossEntropyLoss(), spec.loss == "mae")

    def _tensors(self, model, x, y):
        xt = self.torch.from_numpy(x)
        yt = self.torch.from_numpy(y.reshape(-1, 1) if model.regression else y.astype("int64"))
        return xt, yt

    def _step(self, model, xb, yb):
        model.opt.zero_grad()
        loss = model.loss_fn(model.net(xb), yb)
        loss.backward()
        model.opt.step()

    def fit_epochs(self, model, x, y, batch, epochs):
        xt, yt = self._tensors(model, x, y)
        n, times = len(xt), []
        for _ in range(epochs):
            t = now()
            if batch >= n:
                self._step(model, xt, yt)
            else:
                perm = self.torch.randperm(n)
                for i in range(0, n, batch):
                    idx = perm[i:i + batch]
                    self._step(model, xt[idx], yt[idx])
            times.append(now() - t)
        return times

    def fit_call(self, model, x, y, batch, epochs):
        return lambda: self.fit_epochs(model, x, y, batch, epochs)

    def train_step(self, model, x, y):
        xt, yt = self._tensors(model, x, y)
        return lambda: self._step(model, xt, yt)

    def predict(self, model, x):
        xt = self.torch.from_numpy(x)

        def call():
            with self.torch.no_grad():
                return model.net(xt)
        return call

    def evaluate(self, model, x, y, batch=32):
        xt, yt = self._tensors(model, x, y)

        def call():
            with self.torch.no_grad():
                total = 0.0
                for i in range(0, len(xt), batch):
                    total += float(model.loss_fn(model.net(xt[i:i + batch]), yt[i:i + batch])) * len(xt[i:i + batch])
            return total / len(xt)
        return call


def make(name, threads):
    return Torch(threads) if name == "torch" else KerasAPI(name, threads)
