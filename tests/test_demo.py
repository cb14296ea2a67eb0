"""python -m cnn: the README's first command (lab 04's model with early stopping) and one demo per lab."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import cnn
from cnn.__main__ import main
from cnn._demos import DEMOS

NOTEBOOKS = pathlib.Path(__file__).parent.parent / "notebooks"


def run_module(*args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(pathlib.Path(cnn.__file__).resolve().parent.parent), os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, "-m", "cnn", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300, check=False)


def test_default_demo_trains_lesson4_with_early_stopping_and_saves_the_plot(tmp_path):
    pytest.importorskip("matplotlib")
    run = run_module(cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "\r" not in out and "\b" not in out          # a pipe gets the final lines only, no redraws
    lines = out.splitlines()
    assert lines[0] == "Red wine (lab 04): 1119 training and 480 validation rows, 11 min-max scaled features."
    assert max(len(line) for line in lines if "━" not in line) <= 90   # fits a terminal
    bar = next(line for line in lines if "/500" in line)
    stopped = int(re.sub(r"\x1b\[[0-9;]*m", "", bar).split("/500")[0])
    assert f"Stopped at epoch {stopped} of 500" in out and stopped < 200
    best = re.search(r"^Minimum validation MAE: (0\.\d{4}) at epoch (\d+)\.$", out, re.MULTILINE)
    mae, epoch = float(best.group(1)), int(best.group(2))
    assert 0.088 <= mae <= 0.094 and epoch <= stopped
    png = (tmp_path / "red_wine_learning_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "Learning curves saved to red_wine_learning_curves.png" in out


def test_help_lists_one_demo_per_lab():
    run = run_module("--help", cwd=None)
    assert run.returncode == 0
    for name, (function, notebook) in DEMOS.items():
        assert name in run.stdout and function.__doc__.splitlines()[0] in run.stdout
        assert (NOTEBOOKS / notebook).is_file()
        assert f"notebooks/{notebook}" in run.stdout
    labs = {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    assert labs == {notebook for _, notebook in DEMOS.values()}


@pytest.mark.parametrize("demo, expected", [
    ("neuron", "8-512-512-32-1 has 283,713 parameters"),
    ("sgd", "y = 1.481, E = 1/2 (y - t)^2 = 0.1157"),
    ("learning-rate", "learning rate 1: 5 step(s), diverging"),
    ("dropout", "dropout on hidden  test accuracy"),
    ("classification", "Iris 4-8-9-3:"),
    ("history", "val_accuracy"),
    ("metrics", "AUC = 0.75 (6 of the 8"),
    ("grading", "sigmoid: the derivative does not match the numerical one"),
])
def test_each_lab_demo_runs(demo, expected, capsys):
    main([demo, "--epochs", "2", "--plot", ""])
    out = capsys.readouterr().out
    assert expected in out
    assert out.rstrip().splitlines()[-1].startswith("Done in ")


def test_wine_demo_without_plot(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["wine", "--epochs", "3", "--plot", ""])
    out = capsys.readouterr().out
    assert "Ran all 3 epochs." in out and "Minimum validation MAE: " in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
    (["--threads", "-1"], "--threads must be 0 (all cores) or more, got -1"),
    (["nodemo"], "invalid choice: 'nodemo'"),
])
def test_bad_arguments(args, message, capsys):
    with pytest.raises(SystemExit):
        main(args)
    assert message in capsys.readouterr().err
