"""cnn.testing.grade's processes: runs pytest once per submission, `workers` at a time, each in its own process
and session, with a deadline, a cap on the output kept and a cap on the size of the files it writes.

Two ways to start a submission's process:
- "fork" (the default): this process imports pytest, NumPy and cnn once (`preload`), and each submission
  runs in a fork of it, so no submission pays for the imports (~0.4 s of CPU each) and none sees
  another's state (a fork starts from the same untouched copy);
- "spawn": a fresh `python -m pytest` per submission.

One thread does everything (select over the children's pipes): forking from a process with other
threads could copy a lock another thread holds.
"""
import gc
import importlib
import os
import select
import signal
import subprocess
import sys
import time
import traceback

CHUNK = 1 << 16


def preload(modules):
    """Imports pytest with its built-in plugins and `modules`, before any fork; then freezes the heap
    so that the children's garbage collections (pytest runs several at its end) skip it."""
    import _pytest.config
    for name in ["pytest", *(f"_pytest.{p}" for p in _pytest.config.default_plugins), *modules]:
        try:
            importlib.import_module(name)
        except ImportError:   # an optional one: the children import what they need themselves
            pass
    gc.collect()
    gc.freeze()


class Job:
    """One submission's process: its output pipe, its deadline, what it printed, how it ended."""

    def __init__(self, key, pid, fd, deadline, proc=None):
        self.key, self.pid, self.fd, self.deadline, self.proc = key, pid, fd, deadline, proc
        self.start = time.monotonic()
        self.kept, self.dropped, self.code, self.timed_out, self.seconds = bytearray(), 0, None, False, None

    def read(self, max_output):
        """Reads what is waiting (everything: a full pipe would block the child); keeps the start.
        False at the end of the output."""
        chunk = os.read(self.fd, CHUNK)
        if not chunk:
            os.close(self.fd)
            self.fd = None
            return False
        room = max(0, max_output - len(self.kept))
        self.kept += chunk[:room]
        self.dropped += len(chunk) - min(room, len(chunk))
        return True

    def drain(self, max_output, reads=64):
        """Reads what is left in the pipe without waiting (at most `reads` chunks)."""
        for _ in range(reads):
            if self.fd is None or not select.select([self.fd], [], [], 0)[0] or not self.read(max_output):
                return

    def ended(self):
        """Whether the process has ended. Where the platform allows it is not reaped yet, so its process
        group cannot be reused before `finish` kills what is left in it."""
        if self.code is not None:
            return True
        if hasattr(os, "waitid"):
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        pid, status = os.waitpid(self.pid, os.WNOHANG)   # macOS: no waitid
        if pid:
            self.code = os.waitstatus_to_exitcode(status)
        return self.code is not None

    def finish(self, timed_out):
        """Kills what is left of its session, collects the exit code (None if it timed out)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)   # the whole session: pytest and anything it started
        except (ProcessLookupError, PermissionError):
            pass
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.code is None:
            self.code = self.proc.wait() if self.proc is not None else \
                os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        if timed_out:
            self.code = None
        self.timed_out = timed_out
        self.seconds = time.monotonic() - self.start


def _limit_files(max_file_bytes):
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _fork(key, pytest_args, env, cwd, deadline, max_file_bytes):
    import pytest
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:   # the child: never returns
        code = 3
        try:
            os.setsid()
            os.close(read_fd)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(write_fd, 1)
            os.dup2(write_fd, 2)
            os.chdir(cwd)
            _limit_files(max_file_bytes)
            os.environ.clear()
            os.environ.update(env)
            code = pytest.main(list(pytest_args))
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(int(code))
    os.close(write_fd)
    return Job(key, pid, read_fd, deadline)


def _spawn(key, pytest_args, env, cwd, deadline, max_file_bytes):
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *pytest_args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                            start_new_session=True, preexec_fn=lambda: _limit_files(max_file_bytes))
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    return Job(key, proc.pid, fd, deadline, proc)


def run_all(tasks, *, workers, timeout, max_output, max_file_bytes, mode="fork"):
    """Runs every task, `workers` at a time; yields each finished Job.

    Each task is (key, pytest arguments, environment, working folder)."""
    start_job = {"fork": _fork, "spawn": _spawn}[mode]
    pending, running = list(reversed(tasks)), []
    try:
        yield from _loop(start_job, pending, running, workers, timeout, max_output, max_file_bytes)
    finally:   # Ctrl-C or an error here: leave no submission running
        for job in running:
            job.finish(timed_out=True)


def _loop(start_job, pending, running, workers, timeout, max_output, max_file_bytes):
    while pending or running:
        while pending and len(running) < workers:
            key, args, env, cwd = pending.pop()
            running.append(start_job(key, args, env, cwd, time.monotonic() + timeout, max_file_bytes))
        fds = [job.fd for job in running if job.fd is not None]
        # wake up for output, at the nearest deadline, or soon to see whether a job has ended
        wait = min(min(job.deadline for job in running) - time.monotonic(), 0.05)
        if fds:
            ready = select.select(fds, [], [], max(0.0, wait))[0]
        else:
            ready = []
            time.sleep(max(0.0, wait))
        for job in list(running):
            if job.fd in ready:
                job.read(max_output)
            ended = job.ended()
            if ended:
                job.drain(max_output)   # what it wrote last (a process it left behind may hold the pipe)
            if ended or time.monotonic() >= job.deadline:
                job.finish(timed_out=not ended)
                running.remove(job)
                yield job
