"""Grades a folder of submissions with the teacher's pytest files and writes a CSV of scores.

    python -m cnn.testing.grade ENTREGAS --tests curso [--csv notas.csv] [--workers 2] [--timeout 120]

ENTREGAS holds one folder per student (e.g. sigmoide.py, densa.py, ...); the teacher's tests find it
in the ENTREGA environment variable (examples/grading/curso/conftest.py shows how). Each submission
runs in its own pytest process, `--workers` at a time, in its own session (its process group is
killed at the end), in an empty working folder, with a time limit, a cap on the output kept and a cap
on the size of any file it writes. A submission that crashes, loops forever or prints a lot keeps the
tests that finished before it went wrong, and the grader goes on (cnn.testing._jobs).

The CSV has one row per submission: the share of each exercise's tests passed (an exercise is a test
file, test_<exercise>.py), the mark out of 10 (the exercises' mean), the state ("ok", "timeout",
"crashed: ...", "; output truncated") and the seconds it took. `--feedback DIR` keeps each
submission's pytest report: the messages for the student. POSIX only (process groups, resource limits).

This isolates submissions from each other and from the grader, not the machine from the submissions:
run untrusted code inside a container or a throwaway account.
"""
import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnn.testing import _jobs

# what a forked submission finds already imported (cnn.testing._jobs): most of its start-up time
PRELOAD = ["pdb", "faulthandler", "tomllib", "_pytest._argcomplete", "numpy", "numpy.random", "numpy.ma",
           "cnn", "cnn.initializers", "cnn.regularizers", "cnn.constraints", "cnn.models", "cnn.trainer",
           "cnn.layers", "cnn.optimizers", "cnn.losses", "cnn.metrics", "cnn.callbacks", "cnn.datasets", "cnn.ops",
           "cnn._hooks", "cnn._eager", "cnn._budget", "cnn.testing.plugin", "cnn.testing.gradients",
           "cnn.testing.builtin", "cnn.testing.mistakes", "cnn.testing.reference", "cnn.testing.learns",
           "cnn.testing._report"]
# cnn's plugin (seeding, cnn_budget) and the outcome reporter; nothing autoloaded, so the run does not
# depend on what else is installed (and starts faster); plain text for the feedback files; no warning
# that the preloaded plugins cannot have their asserts rewritten (they have none)
PLUGINS = ["-p", "no:cacheprovider", "-p", "cnn.testing.plugin", "-p", "cnn.testing._report", "--color=no",
           "-W", "ignore::pytest.PytestAssertRewriteWarning"]


def environment(submission, report, threads, lang=None):
    """A submission's environment: its folder, its report file, `threads` threads (workers share the cores)."""
    env = dict(os.environ, CNN_GRADE_REPORT=str(report), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONDONTWRITEBYTECODE="1", CNN_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads))
    if submission is not None:
        env["ENTREGA"] = str(submission)
    if lang:
        env["CNN_LANG"] = lang
    return env


def collect(tests):
    """{exercise: [test ids]} of the teacher's tests, in their order (collected once, with no ENTREGA)."""
    cmd = [sys.executable, "-m", "pytest", "--collect-only", "-q", *PLUGINS, str(tests)]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(cmd, env=environment(None, Path(tmp) / "report.jsonl", 1), cwd=tests,
                             capture_output=True, text=True, timeout=300)
    ids = [line.strip() for line in out.stdout.splitlines() if "::" in line]
    if out.returncode != 0 or not ids:
        raise SystemExit(f"could not collect the tests in {tests}:\n{out.stdout}{out.stderr}")
    exercises = {}
    for test in ids:
        exercises.setdefault(exercise_of(test), []).append(test_id(test))
    return exercises


def exercise_of(nodeid):
    """test_sigmoide.py::test_x -> sigmoide"""
    stem = Path(nodeid.split("::")[0]).stem
    return stem[5:] if stem.startswith("test_") else stem


def test_id(nodeid):
    """A test's id whatever folder pytest ran from: test_sigmoide.py::test_x (a file alone: its name)."""
    file, _, test = nodeid.partition("::")
    return f"{Path(file).name}::{test}" if test else Path(file).name


def outcomes(report):
    """{test id: "passed" | "failed" | "skipped"} from cnn.testing._report's lines."""
    found = {}
    if report.exists():
        for line in report.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:   # a line cut short by a kill
                continue
            key = test_id(entry["test"])
            if found.get(key) != "failed":   # a failed teardown after a passed call: failed
                found[key] = entry["outcome"]
    return found


def state(job):
    """How the submission's process ended, as the CSV says it."""
    if job.timed_out:
        text = "timeout"
    elif job.code in (0, 1):   # pytest: all passed / some failed
        text = "ok"
    elif job.code < 0:
        text = f"crashed: signal {signal.Signals(-job.code).name}"
    else:
        text = f"crashed: exit code {job.code}"
    return text + (f"; output truncated ({job.dropped} bytes dropped)" if job.dropped else "")


def score(name, found, exercises, job):
    """One row of the CSV."""
    row = {"entrega": name}
    for exercise, tests in exercises.items():
        if found.get(tests[0].split("::")[0]) == "failed":   # its test file could not be collected
            row[exercise] = 0.0
        else:
            row[exercise] = round(sum(found.get(t) == "passed" for t in tests) / len(tests), 3)
    row["nota"] = round(10 * sum(row[e] for e in exercises) / len(exercises), 2)
    row["estado"] = state(job)
    row["segundos"] = round(job.seconds, 2)
    return row


def parse(argv):
    """The command line, checked (bad values name the option and the value)."""
    parser = argparse.ArgumentParser(prog="python -m cnn.testing.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder with one folder per submission")
    parser.add_argument("--tests", type=Path, required=True, help="the folder of the teacher's tests")
    parser.add_argument("--csv", type=Path, default=Path("notas.csv"), help="where to write the scores")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: the cores)")
    parser.add_argument("--threads", type=int, default=1, help="cnn threads per submission (default 1)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per submission (default 120)")
    parser.add_argument("--max-output", type=int, default=200_000, help="bytes of output kept (default 200000)")
    parser.add_argument("--max-file-mb", type=int, default=64, help="largest file a submission may write (MB)")
    parser.add_argument("--mode", choices=("fork", "spawn"), default="fork",
                        help="fork a preloaded process (default, fast) or start a fresh python each time")
    parser.add_argument("--lang", choices=("es", "en"), help="the messages' language (default: CNN_LANG, the locale)")
    parser.add_argument("--feedback", type=Path, help="a folder for each submission's pytest report")
    args = parser.parse_args(argv)
    for name in ("workers", "threads", "max_output", "max_file_mb"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not args.timeout > 0:
        parser.error(f"--timeout must be > 0, got {args.timeout}")
    for folder in (args.submissions, args.tests):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    return args


def main(argv=None):
    args = parse(argv)
    tests = args.tests.resolve()
    submissions = sorted(p.resolve() for p in args.submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    exercises = collect(tests)
    if args.feedback:
        args.feedback.mkdir(parents=True, exist_ok=True)
    if args.mode == "fork":
        os.environ.update(CNN_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
                          OMP_NUM_THREADS=str(args.threads))   # read when cnn and NumPy load, below
        _jobs.preload(PRELOAD)
    start, rows = time.monotonic(), {}
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        tasks, reports = [], Path(tmp, "reports")
        reports.mkdir()
        for i, sub in enumerate(submissions):
            work = Path(tmp, str(i))
            work.mkdir()   # an empty working folder: what the submission writes stays apart
            cmd = ["-q", "--rootdir", str(tests), *PLUGINS, str(tests)]
            tasks.append((i, cmd, environment(sub, reports / f"{i}.jsonl", args.threads, args.lang), work))
        for job in _jobs.run_all(tasks, workers=args.workers, timeout=args.timeout, max_output=args.max_output,
                                 max_file_bytes=args.max_file_mb << 20, mode=args.mode):
            sub = submissions[job.key]
            rows[job.key] = score(sub.name, outcomes(reports / f"{job.key}.jsonl"), exercises, job)
            if args.feedback:
                Path(args.feedback, f"{sub.name}.txt").write_bytes(bytes(job.kept))
    with open(args.csv, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["entrega", *exercises, "nota", "estado", "segundos"])
        writer.writeheader()
        writer.writerows(rows[i] for i in sorted(rows))
    print(f"{len(rows)} submissions graded in {time.monotonic() - start:.1f} s, {args.workers} at a time: {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
