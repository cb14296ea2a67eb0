"""The pytest plugin (cnn.testing.plugin), run through pytest's own pytester: real pytest sessions, each in
its own process (as a grader runs them; NumPy cannot be imported twice in one process)."""
import sys
import time

import numpy  # noqa: F401  imported before pytester snapshots sys.modules: NumPy cannot load twice
import pytest

import cnn.utils

pytest_plugins = ["pytester"]


@pytest.fixture
def run(pytester, request):
    """Runs pytest on the given test files with the plugin (already loaded when cnn is installed)."""
    load = [] if request.config.pluginmanager.has_plugin("cnn") else ["-p", "cnn.testing.plugin"]

    def go(*args, **files):
        if files:
            pytester.makepyfile(**files)
        return pytester.runpytest_subprocess(*load, *args, timeout=120)
    return go


SEEDED = """
import numpy as np
import cnn

def weights():
    model = cnn.Sequential([cnn.Input(shape=(3,)), cnn.layers.Dense(2)])
    return model.get_weights()[0].tolist(), np.random.rand(), model.layers[0].name

def test_first(cnn_seed):
    print("RESULT", cnn_seed, weights())

def test_second(cnn_seed):
    print("RESULT", cnn_seed, weights())
"""


def results(result):
    return [line[line.index("RESULT"):] for line in result.outlines if "RESULT" in line]


def test_every_test_starts_from_the_same_seed_and_names(run):
    result = run("-s", test_seeded=SEEDED)
    result.assert_outcomes(passed=2)
    first, second = results(result)
    assert first == second and first.startswith("RESULT 0 ") and "'dense'" in first


def test_the_seed_comes_from_the_option_then_cnn_seed(run, monkeypatch):
    result = run("-s", "--cnn-seed", "5", test_seeded=SEEDED)
    assert results(result)[0].startswith("RESULT 5 ")
    monkeypatch.setenv("CNN_SEED", "9")
    result = run("-s", test_seeded=SEEDED)
    assert results(result)[0].startswith("RESULT 9 ")


def test_thread_count_and_numpy_errors_do_not_leak(run):
    result = run(test_leak="""
import numpy as np
import cnn

def test_a_changes_them():
    cnn.utils.set_num_threads(1)
    np.seterr(all="raise")

def test_b_sees_the_defaults():
    assert np.geterr()["divide"] != "raise"
    assert cnn.utils.get_num_threads() == THREADS
""".replace("THREADS", str(cnn.utils.get_num_threads())))
    result.assert_outcomes(passed=2)


def test_budget_marker_interrupts_a_long_fit(run):
    start = time.perf_counter()
    result = run(test_budget="""
import numpy as np
import pytest
import cnn

@pytest.mark.cnn_budget(0.5)
def test_trains_forever():
    model = cnn.Sequential([cnn.Input(shape=(8,)), cnn.layers.Dense(256, activation="relu"), cnn.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4096, 8)), np.ones(4096), epochs=10**6, batch_size=8, verbose=0)

@pytest.mark.cnn_budget(0.5)
def test_loops_forever():
    while True:
        pass

@pytest.mark.cnn_budget(5)
def test_in_time():
    pass
""")
    assert time.perf_counter() - start < 10
    result.assert_outcomes(failed=2, passed=1)
    text = result.stdout.str()
    assert "The test ran out of time: 0.5 s" in text or "La prueba superó su tiempo: 0.5 s" in text


def test_budget_marker_needs_seconds(run):
    result = run(test_bad="""
import pytest

@pytest.mark.cnn_budget(-1)
def test_x():
    pass
""")
    assert "cnn_budget needs a number of seconds > 0, got -1" in result.stderr.str() + result.stdout.str()


def test_failed_checks_show_expected_and_received_without_the_grading_traceback(run, monkeypatch):
    monkeypatch.setenv("CNN_LANG", "es")
    result = run(test_student="""
import numpy as np
from cnn.testing import assert_same_as_builtin

def sigmoide(x):
    return 1 / (1 + np.exp(x))   # the sign is wrong

def test_sigmoide():
    assert_same_as_builtin(sigmoide, "sigmoid")
""")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "sigmoide(x) vs sigmoid(x)" in text and "esperado" in text and "recibido" in text
    assert "def assert_same_as_builtin" not in text and "compare.py" not in text
    full = run("--cnn-tracebacks").stdout.str()
    assert "compare.py" in full


def test_random_seeder_reseeds_cnn():
    from cnn.testing.plugin import random_seeder
    random_seeder(1234)
    assert cnn.utils._global_seed() == 1234


def test_pyproject_registers_the_entry_points():
    tomllib = pytest.importorskip("tomllib")
    from pathlib import Path
    with open(Path(__file__).parent.parent / "pyproject.toml", "rb") as f:
        points = tomllib.load(f)["project"]["entry-points"]
    assert points["pytest11"] == {"cnn": "cnn.testing.plugin"}
    assert points["pytest_randomly.random_seeder"] == {"cnn": "cnn.testing.plugin:random_seeder"}


def test_importing_cnn_does_not_import_pytest_or_the_plugin():
    import subprocess
    code = "import sys, cnn, cnn.testing; print('pytest' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_pytest_randomly_reseeds_cnn_through_the_entry_point(pytester, tmp_path, monkeypatch):
    """With cnn's entry points installed (written here as a package's metadata would be), pytest-randomly
    seeds cnn with its own seed per test, and our fixture leaves that seed alone."""
    pytest.importorskip("pytest_randomly")
    import os
    site = tmp_path / "site"
    dist = site / "cnn_entry_points-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cnn-entry-points\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\ncnn = cnn.testing.plugin\n\n"
                                           "[pytest_randomly.random_seeder]\ncnn = cnn.testing.plugin:random_seeder\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    pytester.makepyfile(test_r=SEEDED)

    def seeds(randomly_seed):
        result = pytester.runpytest_subprocess("-s", "-p", "randomly", f"--randomly-seed={randomly_seed}", timeout=120)
        result.assert_outcomes(passed=2)
        return sorted(results(result))

    a, b, c = seeds(123), seeds(123), seeds(124)
    assert a == b and a != c
    assert not any(line.startswith("RESULT 0 ") for line in a)   # randomly's seed, not the plugin's default
    assert a[0].split(" (")[1] != a[1].split(" (")[1]            # each test gets its own seed
