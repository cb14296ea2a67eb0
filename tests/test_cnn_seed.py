"""CNN_SEED fixes cnn's default seed for a whole run (graders that seed only NumPy and random)."""
import os
import subprocess
import sys

PROGRAM = """
import numpy as np, cnn
from cnn.testing import fingerprint
model = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(4), cnn.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.ones((8, 3)), np.ones(8), epochs=2, batch_size=2, verbose=0)
print(cnn.utils._global_seed(), fingerprint(model))
"""


def run(seed):
    env = dict(os.environ)
    env.pop("CNN_SEED", None)
    if seed is not None:
        env["CNN_SEED"] = seed
    return subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=120)


def test_cnn_seed_fixes_the_default_seed_of_a_run():
    a, b, c = run("7"), run("7"), run("8")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout and a.stdout.split()[0] == "7"
    assert c.stdout.split()[0] == "8" and c.stdout.split()[1] != a.stdout.split()[1]


def test_without_cnn_seed_runs_differ():
    assert run(None).stdout != run(None).stdout


def test_a_bad_cnn_seed_is_named():
    bad = run("seven")
    assert bad.returncode != 0
    assert "CNN_SEED must be an integer >= 0, got 'seven'" in bad.stderr
