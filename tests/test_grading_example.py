"""docs/grading_example: the teacher's tests pass on the solution and fail on the template, each with a
message that says what is wrong (run as a teacher would: pytest in its own process)."""
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

FOLDER = Path(__file__).parent.parent / "docs" / "grading_example"


def grade(entrega, lang="es"):
    installed = any(e.name == "cnn" for e in importlib.metadata.entry_points(group="pytest11"))
    env = dict(os.environ, ENTREGA=entrega, CNN_LANG=lang, PYTHONDONTWRITEBYTECODE="1")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *([] if installed else
                                                                              ["-p", "cnn.testing.plugin"])]
    return subprocess.run(args, cwd=FOLDER, env=env, capture_output=True, text=True, timeout=300)


def test_the_solution_passes():
    result = grade("solucion")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_the_template_fails_every_test_saying_why():
    out = grade("plantilla").stdout
    assert "5 failed" in out
    assert "dL/dW: la derivada tiene forma (3, 4), pero debe tener la forma de la entrada, (4, 3) (es la forma " \
           "traspuesta" in out
    assert "sigmoide(x) vs sigmoid(x): 100 de 100 valores no coinciden" in out
    assert "sigmoide: la derivada no coincide con la numérica" in out
    assert "gradiente_ecm vs mse'" in out
    assert "El modelo no aprendió lo suficiente: val_loss =" in out
    assert "esperado" in out and "recibido" in out
    assert "Traceback" not in out and "compare.py" not in out


def test_messages_in_english():
    out = grade("plantilla", lang="en").stdout
    assert "the derivative does not match the numerical one" in out and "expected" in out
