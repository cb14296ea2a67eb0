"""ANSI styles in fit's progress output only on a terminal or in a notebook: never in a file or a pipe."""
import contextlib
import os
import pty
import subprocess
import sys

import numpy as np

import cnn
import cnn.progbar as progbar_mod
from cnn import layers

FIT = """
import numpy as np, cnn
from cnn import layers
m = cnn.Sequential([cnn.Input((3,)), layers.Dense(2, activation="softmax")])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(np.ones((64, 3), np.float32), np.zeros(64, int), batch_size=8, epochs=2, verbose=1)
m.evaluate(np.ones((64, 3), np.float32), np.zeros(64, int), batch_size=8, verbose=1)
"""


def _fit_logs(stream):
    m = cnn.Sequential([cnn.Input((3,)), layers.Dense(2, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with contextlib.redirect_stdout(stream):
        m.fit(np.ones((64, 3), np.float32), np.zeros(64, int), batch_size=8, epochs=2, verbose=1)


def test_real_file_gets_plain_final_lines(tmp_path):
    path = tmp_path / "log.txt"
    with open(path, "w", encoding="utf-8") as f:
        _fit_logs(f)
    text = path.read_text(encoding="utf-8")
    assert text.count("8/8 ") == 2 and "loss:" in text
    assert "\x1b" not in text and "\b" not in text and "\r" not in text


def test_pipe_gets_no_ansi():
    out = subprocess.run([sys.executable, "-c", FIT], stdout=subprocess.PIPE, check=True).stdout
    text = out.decode("utf-8")
    assert text.count("8/8 ") == 3 and "Epoch 2/2" in text
    assert "\x1b" not in text and "\b" not in text


def test_terminal_gets_keras_styles():
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", FIT], stdout=terminal, stderr=subprocess.DEVNULL)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert proc.wait(timeout=60) == 0
    text = b"".join(chunks).decode("utf-8")
    assert "\x1b[1m8/8\x1b[0m " in text  # the bold step counter
    assert "\x1b[32m" in text and "\r" in text


def test_notebook_stdout_gets_styles(monkeypatch):
    class Cell:  # what ipykernel puts in sys.stdout: not a terminal
        def __init__(self):
            self.parts = []

        def write(self, text):
            self.parts.append(text)

        def flush(self):
            pass

        def isatty(self):
            return False

    monkeypatch.setitem(sys.modules, "ipykernel", sys)
    cell = Cell()
    with contextlib.redirect_stdout(cell):
        pb = progbar_mod.Progbar(2)
        pb.update(2, [("loss", 0.5)])
    assert "".join(cell.parts).startswith("\r\x1b[1m2/2\x1b[0m ")
