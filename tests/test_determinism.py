"""Same seed, same bits: across runs, processes, thread counts and instruction-set paths."""
import hashlib
import subprocess
import sys

import pytest

import cnn
from cnn import _core, layers
from cnn.datasets import load_red_wine

SCRIPT = """
import hashlib, sys, numpy as np, cnn
from cnn import layers
from cnn.datasets import load_red_wine
cnn.utils.set_random_seed(7)
(x, y), (xv, yv) = load_red_wine()
m = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(64, activation="relu"), layers.Dense(32, activation="tanh"),
                    layers.Dense(1)])
m.compile(optimizer="adam", loss="mae")
h = m.fit(x, y, validation_data=(xv, yv), batch_size=64, epochs=3, verbose=0)
print(hashlib.sha256(b"".join(w.tobytes() for w in m.get_weights())).hexdigest(), repr(h.history["val_loss"]))
"""


def train_once(threads=1, isa=-1, seed=3, dropout=False):
    _core.set_num_threads(threads)
    used = _core.set_isa(isa)
    try:
        cnn.utils.set_random_seed(seed)
        (x, y), (xv, yv) = load_red_wine()
        stack = [cnn.Input(shape=(11,)), layers.Dense(96, activation="relu")]
        if dropout:
            stack.append(layers.Dropout(0.3))
        stack += [layers.Dense(80, activation="relu"), layers.Dense(1)]
        model = cnn.Sequential(stack)
        model.compile(optimizer="adam", loss="mae")
        h = model.fit(x, y, validation_data=(xv, yv), batch_size=128, epochs=3, verbose=0)
        digest = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()
        return digest, h.history, used
    finally:
        _core.set_isa(-1)
        _core.set_num_threads(0)


def test_same_seed_same_bits():
    a, ha, _ = train_once()
    b, hb, _ = train_once()
    assert a == b and ha == hb
    c, _, _ = train_once(seed=4)
    assert c != a


def test_dropout_same_seed_same_history():
    a, ha, _ = train_once(dropout=True)
    b, hb, _ = train_once(dropout=True)
    assert a == b and ha == hb


def test_thread_count_does_not_change_bits():
    assert train_once(threads=1)[:2] == train_once(threads=2)[:2]


def test_instruction_set_paths_give_identical_bits():
    results = {}
    for isa in (0, 1, 2):
        digest, history, used = train_once(isa=isa)
        results[used] = (digest, history)
    assert len(results) >= 2 or pytest.skip("this CPU has a single instruction-set path")
    assert len({d for d, _ in results.values()}) == 1


def test_across_processes():
    outs = {subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(outs) == 1


def test_reseeding_between_fits_changes_the_dropout_stream():
    (x, y), _ = load_red_wine()
    model = cnn.Sequential([cnn.Input(shape=(11,)), layers.Dense(16, activation="relu"), layers.Dropout(0.5),
                            layers.Dense(1)])
    model.compile(optimizer=cnn.optimizers.SGD(0.0), loss="mae")   # weights never move: only the masks differ
    first = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False).history["loss"][0]
    model.optimizer.iterations = 0          # same step numbers: only the seed can change the masks
    cnn.utils.set_random_seed(12345)
    second = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False).history["loss"][0]
    assert first != second
