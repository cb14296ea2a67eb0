"""examples/grading: the teacher's tests pass on the solution, fail on the template and on submissions
with the classic mistakes, with messages that name them (run as a teacher would: pytest in its own process)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

COURSE = Path(__file__).parent.parent / "examples" / "grading"


def run_course(entrega=None, lang="es", *tests):
    env = dict(os.environ, CNN_LANG=lang, PYTHONDONTWRITEBYTECODE="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("ENTREGA", None)
    if entrega is not None:
        env["ENTREGA"] = str(COURSE / entrega)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "cnn.testing.plugin",
            *(tests or ["curso"])]
    return subprocess.run(args, cwd=COURSE, env=env, capture_output=True, text=True, timeout=300).stdout


def test_the_solution_passes_every_exercise():
    out = run_course()
    assert "12 passed" in out and "failed" not in out, out


def test_the_template_fails_every_test_saying_why():
    out = run_course("plantilla")
    assert "12 failed" in out, out
    for message in [
        "sigmoide(x) vs sigmoid(x): 100 de 100 valores no coinciden",
        "sigmoide: el gradiente es cero en todas partes",
        "densa_adelante(x, W, b): 24 de 24 valores no coinciden",
        "dL/dW: el gradiente es cero en todas partes",
        "W tras el paso 1: 6 de 6 valores no coinciden",
        "Tu resultado coincide con el de un error típico: los pesos no cambian: falta aplicar la actualización",
        "El MAE de validación es 0.",
        "debe bajar de 0.10. Entrenó 10 épocas (motivo de parada: completed)",
        "parada_temprana() debe devolver un callback (cnn.callbacks.EarlyStopping), no None",
    ]:
        assert message in out, message
    assert "esperado" in out and "recibido" in out
    assert "Traceback" not in out and "mistakes.py" not in out and "conftest.py:" not in out


@pytest.mark.parametrize("entrega, test, messages", [
    ("errores/derivada_incorrecta", "test_sigmoide.py",
     ["2 failed, 1 passed", "sigmoide: la derivada no coincide con la numérica (diferencias finitas)",
      "Tu resultado coincide con el de un error típico: s(x)·(1 + s(x)): el signo del segundo factor es al revés"]),
    ("errores/peso_traspuesto", "test_densa.py",
     ["1 failed, 3 passed", "dL/dW: la derivada tiene forma (3, 4), pero debe tener la forma de la entrada, (4, 3) "
                  "(es la forma traspuesta: ¿falta un .T o sobra uno?)"]),
    ("errores/sin_correccion_de_sesgo", "test_optimizadores.py",
     ["1 failed, 1 passed", "Tu resultado coincide con el de un error típico: falta la corrección de sesgo: "
                  "m̂ = m / (1 - β1^t) y v̂ = v / (1 - β2^t)"]),
    ("errores/sin_mejores_pesos", "test_parada_temprana.py",
     ["1 failed, 1 passed", "El modelo no quedó con los pesos de su mejor época", "¿restore_best_weights=True?"]),
])
def test_each_classic_mistake_is_named(entrega, test, messages):
    out = run_course(entrega, "es", f"curso/{test}")
    for message in messages:
        assert message in out, (message, out)


def test_messages_in_english():
    out = run_course("errores/sin_correccion_de_sesgo", "en", "curso/test_optimizadores.py")
    assert "Your result matches a typical mistake: the bias correction is missing" in out, out
    assert "expected" in out and "received" in out
