"""The pytest plugin of cnn.testing.grade (`-p cnn.testing._report`): writes each test's outcome as it
ends, one JSON line per test, to the file named by CNN_GRADE_REPORT. Written and flushed line by line,
so what ran before a crash or a timeout still counts."""
import json
import os

_out = None


def _write(nodeid, outcome):
    global _out
    if _out is None:
        _out = open(os.environ["CNN_GRADE_REPORT"], "a", encoding="utf-8")
    _out.write(json.dumps({"test": nodeid, "outcome": outcome}) + "\n")
    _out.flush()


def pytest_runtest_logreport(report):
    # a test passes if its call passed (and its setup and teardown did not fail)
    if report.when == "call" or report.failed:
        _write(report.nodeid, report.outcome)


def pytest_collectreport(report):
    if report.failed:   # a test file that cannot even be collected: all its tests fail
        _write(report.nodeid, "failed")
