"""cnn's pytest plugin, registered as the `pytest11` entry point "cnn" (disable with `-p no:cnn`).

- Every test of a suite that uses cnn starts seeded and isolated: `cnn.utils.set_random_seed(seed)`
  (which seeds `random` and NumPy too), layer names reset (`clear_session`), and afterwards the C
  core's thread count and NumPy's error settings are put back. The seed is `--cnn-seed`, else the
  CNN_SEED environment variable, else the `cnn_seed` ini option, else 0; the `cnn_seed` fixture gives
  it to the test. Under pytest-randomly, its seed is used instead (through the
  `pytest_randomly.random_seeder` entry point, `random_seeder` below).
- `@pytest.mark.cnn_budget(seconds)` fails a test that runs longer, interrupting it where the
  platform allows (SIGALRM on the main thread: a `fit` in the C core stops within ~50 ms).
- A failed cnn.testing check is reported as its message only: expected and received side by side,
  in the student's language, without the traceback of the grading code (`--cnn-tracebacks` to keep it).

This module imports neither NumPy nor cnn until a test needs them, so it costs nothing elsewhere.
"""
import os
import signal
import sys
import threading
import time

import pytest

_DEFAULT_SEED = 0


def pytest_addoption(parser):
    group = parser.getgroup("cnn", "cnn: seeding, isolation and time budgets for graded exercises")
    group.addoption("--cnn-seed", type=int, default=None, dest="cnn_seed",
                    help="seed every test with this (default: CNN_SEED, the cnn_seed ini option, or 0)")
    group.addoption("--cnn-tracebacks", action="store_true", dest="cnn_tracebacks",
                    help="show full tracebacks for failed cnn.testing checks")
    parser.addini("cnn_seed", "the seed of every test (default 0)", default="")


def pytest_configure(config):
    config.addinivalue_line("markers", "cnn_budget(seconds): fail the test if it runs longer than `seconds`")


def random_seeder(seed):
    """pytest-randomly's hook (entry point `pytest_randomly.random_seeder`): reseeds cnn with its seed."""
    from cnn import utils
    utils.set_random_seed(int(seed) % 2**63)


def _seed(config):
    option = config.getoption("cnn_seed", None)
    if option is not None:
        return option
    for value, where in ((os.environ.get("CNN_SEED", "").strip(), "CNN_SEED"),
                         (str(config.getini("cnn_seed")).strip(), "the cnn_seed ini option")):
        if value:
            if not value.isdigit():
                raise pytest.UsageError(f"{where} must be an integer >= 0, got {value!r}")
            return int(value)
    return _DEFAULT_SEED


def _randomly_active(config):
    """pytest-randomly reseeds cnn itself before each test (unless told not to reset seeds)."""
    return config.pluginmanager.has_plugin("randomly") and config.getoption("randomly_reset_seed", True)


_initial = {}


@pytest.fixture
def cnn_seed(request):
    """The seed cnn holds as this test starts (requesting it imports cnn if the test has not)."""
    from cnn import utils
    return utils._global_seed()


@pytest.fixture(autouse=True)
def _cnn_isolation(request):
    """Seeds and isolates each test of a suite that uses cnn (one that has imported it)."""
    if "cnn" not in sys.modules and "cnn_seed" not in request.fixturenames:
        yield None
        return
    import numpy as np

    from cnn import utils
    _initial.setdefault("threads", utils.get_num_threads())
    utils.clear_session(free_memory=False)   # names only: a garbage collection per test costs ~0.1 s
    seed = None
    if not _randomly_active(request.config):
        seed = _seed(request.config)
        utils.set_random_seed(seed)
    errors = np.geterr()
    try:
        yield seed
    finally:
        np.seterr(**errors)
        if utils.get_num_threads() != _initial["threads"]:
            utils.set_num_threads(_initial["threads"])


def _budget(item):
    marker = item.get_closest_marker("cnn_budget")
    if marker is None:
        return None
    seconds = marker.args[0] if marker.args else marker.kwargs.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise pytest.UsageError(f"{item.nodeid}: cnn_budget needs a number of seconds > 0, got {seconds!r}")
    return float(seconds)


def _exceeded(seconds):
    from cnn.testing import _messages
    return _messages.BudgetExceeded(_messages.say("budget_exceeded", None, seconds=seconds), seconds)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    seconds = _budget(item)
    alarm = (seconds is not None and hasattr(signal, "setitimer")
             and threading.current_thread() is threading.main_thread())
    if alarm:
        def ring(signum, frame):
            raise _exceeded(seconds)
        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        outcome = yield
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if seconds is not None and outcome.excinfo is None and time.perf_counter() - start > seconds:
        outcome.force_exception(_exceeded(seconds))   # no alarm here (another thread, Windows): judged after


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    messages = sys.modules.get("cnn.testing._messages")
    if (report.failed and call.excinfo is not None and messages is not None
            and isinstance(call.excinfo.value, messages.GradingError)
            and not item.config.getoption("cnn_tracebacks", False)):
        path, line, name = item.reportinfo()
        report.longrepr = f"{path}:{(line or 0) + 1}: {name}\n{call.excinfo.value}"
