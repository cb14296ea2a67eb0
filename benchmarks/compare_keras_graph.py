"""The graph engine against Keras 3 (torch backend): a two-input, two-output model with every merge kind,
a shared layer, per-output losses and loss weights, trained from equal weights with Adam.

Prints, for each of several train_on_batch steps, the total and per-output losses of both, then the
largest weight and prediction differences. The cnn side builds its Graph by hand (the engine's
contract, cnn._graph.Graph); compare_keras_functional.py compares the public cnn.Model front.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE KERAS_BACKEND=torch PYTHONPATH=<build> \\
        /work/oracle-venv/bin/python benchmarks/compare_keras_graph.py
"""
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    import keras
except ImportError:
    print("Keras 3 is not installed: nothing to compare")
    sys.exit(0)

import cnn
from cnn._graph import Graph, Node
from cnn._graph_model import GraphTraining

STEPS = 6


class HandGraphModel(GraphTraining, cnn.Sequential):
    def __init__(self, graph):
        super().__init__()
        self._hand = graph
        self._layers = graph.layers()
        self.built = True
        self._pack_weights()

    def _graph(self):
        return self._hand


def keras_model():
    K = keras.layers
    a, b = keras.Input((6,), name="a"), keras.Input((4,), name="b")
    h1 = K.Dense(8, activation="relu", name="h1")(a)
    h2 = K.Dense(8, activation="tanh", name="h2")(b)
    shared = K.Dense(8, activation="sigmoid", name="shared")
    s1, s2 = shared(h1), shared(h2)
    add = K.Add(name="add")([h1, h2, s1])
    mul = K.Multiply(name="mul")([h1, s2])
    sub = K.Subtract(name="sub")([add, mul])
    mx = K.Maximum(name="max")([h1, h2])
    mn = K.Minimum(name="min")([s1, s2])
    av = K.Average(name="avg")([mx, mn])
    dot = K.Dot(axes=1, normalize=True, name="dot")([h1, h2])
    cat = K.Concatenate(name="cat")([sub, av, dot])
    cls = K.Dense(3, activation="softmax", name="cls")(cat)
    reg = K.Dense(2, name="reg")(cat)
    return keras.Model([a, b], [cls, reg])


def cnn_model(km):
    """The same graph, node by node, with the Keras weights."""
    L = cnn.layers

    def dense(name, units, act, n_in):
        layer = L.Dense(units, activation=act, name=name)
        layer._build_for((None, n_in))
        layer.set_weights(km.get_layer(name).get_weights())
        return layer

    def merge(layer, *widths):
        layer._build_for([(None, w) for w in widths])
        return layer

    h1, h2 = dense("h1", 8, "relu", 6), dense("h2", 8, "tanh", 4)
    shared = dense("shared", 8, "sigmoid", 8)
    cls, reg = dense("cls", 3, "softmax", 17), dense("reg", 2, None, 17)
    nodes = [Node(h1, [-1]), Node(h2, [-2]), Node(shared, [0]), Node(shared, [1]),        # 0-3
             Node(merge(L.Add(), 8, 8, 8), [0, 1, 2]), Node(merge(L.Multiply(), 8, 8), [0, 3]),   # 4, 5
             Node(merge(L.Subtract(), 8, 8), [4, 5]), Node(merge(L.Maximum(), 8, 8), [0, 1]),     # 6, 7
             Node(merge(L.Minimum(), 8, 8), [2, 3]), Node(merge(L.Average(), 8, 8), [7, 8]),      # 8, 9
             Node(merge(L.Dot(axes=1, normalize=True), 8, 8), [0, 1]),                           # 10
             Node(merge(L.Concatenate(), 8, 8, 1), [6, 9, 10]),                                  # 11
             Node(cls, [11]), Node(reg, [11])]                                                   # 12, 13
    return HandGraphModel(Graph([(6,), (4,)], ["a", "b"], nodes, [12, 13], ["cls", "reg"]))


def main():
    keras.utils.set_random_seed(0)
    km = keras_model()
    cm = cnn_model(km)
    compile_args = dict(loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                        loss_weights={"cls": 1.0, "reg": 0.3}, metrics={"cls": ["accuracy"]})
    km.compile(optimizer=keras.optimizers.Adam(1e-2), **compile_args)
    cm.compile(optimizer=cnn.optimizers.Adam(1e-2), **compile_args)
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((32, 6)).astype("f"), rng.standard_normal((32, 4)).astype("f")]
    y = [rng.integers(0, 3, 32), rng.standard_normal((32, 2)).astype("f")]
    print("step  keras loss / cls_loss / reg_loss        cnn loss / cls_loss / reg_loss")
    worst = 0.0
    for step in range(STEPS):
        k = km.train_on_batch(x, y, return_dict=True)
        c = cm.train_on_batch(x, y, return_dict=True)
        kv = [k["loss"], k["cls_loss"], k["reg_loss"]]
        cv = [c["loss"], c["cls_loss"], c["reg_loss"]]
        worst = max(worst, max(abs(a - b) / max(abs(a), 1e-6) for a, b in zip(kv, cv)))
        print(f"{step:4d}  " + " / ".join(f"{v:.7f}" for v in kv) + "    " + " / ".join(f"{v:.7f}" for v in cv))
    mine = {layer.name: layer for layer in cm._layers}
    wdiff = max(float(np.max(np.abs(np.asarray(km.get_layer(n).get_weights()[i]) - mine[n].get_weights()[i])))
                for n in ["h1", "h2", "shared", "cls", "reg"] for i in range(2))
    kp, cp = km.predict(x, verbose=0), cm.predict(x, verbose=0)
    pdiff = max(float(np.max(np.abs(np.asarray(a) - b))) for a, b in zip(kp, cp))
    print(f"largest relative loss difference over {STEPS} steps: {worst:.2e}")
    print(f"largest weight difference after {STEPS} Adam steps: {wdiff:.2e}; "
          f"largest prediction difference: {pdiff:.2e}")
    ok = worst < 1e-4 and wdiff < 1e-4 and pdiff < 1e-4
    print("MATCH (float32 rounding)" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
