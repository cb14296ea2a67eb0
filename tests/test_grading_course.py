"""examples/grading: the teacher's tests pass on the solution, fail on the template and on submissions
with the classic mistakes, with messages that name them; cnn.testing.grade grades a folder of submissions into a
CSV, whatever the submissions do (run as a teacher would: pytest and the grader in their own processes)."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
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
    assert "19 passed" in out and "failed" not in out, out


def test_the_template_fails_every_test_saying_why():
    out = run_course("plantilla")
    assert "19 failed" in out, out
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
        "call(x): 24 de 24 valores no coinciden",
        "kernel.grad (dL/dW): 12 de 12 valores no coinciden",
        "los pesos no cambian: update_step no actualiza la variable (self.assign_sub)",
        "es el error cuadrático medio (el de la plantilla), no Huber",
        "history['loss']: 4 de 4 valores no coinciden",
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
    ("errores/peso_traspuesto", "test_capa_densa.py",
     ["2 failed, 1 passed", "kernel.grad (dL/dW): la forma no coincide: esperada (4, 3), recibida (3, 4)\n"
      "Tu resultado coincide con el de un error típico: es la traspuesta: dL/dW = entradas.T @ grad_output"]),
    ("errores/sin_correccion_de_sesgo", "test_adam_propio.py",
     ["2 failed", "kernel tras el primer paso: 6 de 6 valores no coinciden",
      "Tu resultado coincide con el de un error típico: falta la corrección de sesgo"]),
    ("errores/huber_sin_restar", "test_huber.py",
     ["2 failed", "Tu resultado coincide con el de un error típico: la parte lineal es delta·|e| - delta²/2"]),
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


def _submission(folder, name, changes=None):
    """A copy of the solution with some files rewritten."""
    shutil.copytree(COURSE / "solucion", folder / name)
    for file, text in (changes or {}).items():
        (folder / name / file).write_text(text)


def grade(folder, tmp_path, *options):
    out = tmp_path / "notas.csv"
    run = subprocess.run([sys.executable, "-m", "cnn.testing.grade", str(folder), "--tests", str(COURSE / "curso"),
                          "--csv", str(out), "--lang", "es", "--feedback", str(tmp_path / "informes"), *options],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    with open(out, newline="", encoding="utf-8") as f:
        return {row["entrega"]: row for row in csv.DictReader(f)}, run.stdout


NOISY = (COURSE / "errores" / "derivada_incorrecta" / "sigmoide.py").read_text() + """
_derivada = derivada_sigmoide


def derivada_sigmoide(x):   # pytest shows what a failed test printed: here, megabytes
    print('ruido ' * 200_000)
    return _derivada(x)
"""
CRASH = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"
# under the sanitizer run AddressSanitizer catches the SIGSEGV and aborts the process itself
CRASHED = "crashed: signal " + ("SIGABRT" if "libasan" in os.environ.get("LD_PRELOAD", "") else "SIGSEGV")
LOOP = """import time
while True:
    try:
        time.sleep(10)
    except BaseException:   # not even cnn_budget's alarm stops it: the grader's timeout must
        pass
"""


def test_the_grader_survives_crashing_looping_and_noisy_submissions(tmp_path):
    folder = tmp_path / "entregas"
    _submission(folder, "buena")
    shutil.copytree(COURSE / "plantilla", folder / "plantilla")
    _submission(folder, "se_cae", {"densa.py": CRASH})
    _submission(folder, "no_termina", {"vino.py": LOOP})
    _submission(folder, "ruidosa", {"sigmoide.py": NOISY})
    rows, printed = grade(folder, tmp_path, "--timeout", "15")
    assert "5 submissions graded" in printed
    columns = ["sigmoide", "densa", "optimizadores", "vino", "parada_temprana", "capa_densa", "adam_propio", "huber",
               "nota"]
    scores = {name: [float(row[c]) for c in columns] for name, row in rows.items()}
    assert scores == {
        "buena": [1, 1, 1, 1, 1, 1, 1, 1, 10],
        "plantilla": [0, 0, 0, 0, 0, 0, 0, 0, 0],
        "se_cae": [1, 0, 0, 0, 0, 0, 0, 0, 1.25],           # what finished before the crash counts
        "no_termina": [1, 1, 1, 0, 0, 0, 0, 0, 3.75],       # and what finished before the loop
        "ruidosa": [0.333, 1, 1, 1, 1, 1, 1, 1, 9.17],
    }, rows
    assert rows["buena"]["estado"] == rows["plantilla"]["estado"] == "ok"
    assert rows["se_cae"]["estado"] == CRASHED
    assert rows["no_termina"]["estado"] == "timeout" and float(rows["no_termina"]["segundos"]) < 30
    assert rows["ruidosa"]["estado"].startswith("ok; output truncated (")
    report = (tmp_path / "informes" / "ruidosa.txt").read_bytes()
    assert len(report) == 200_000 and b"ruido ruido" in report
    assert "sigmoide(x) vs sigmoid(x): 100 de 100 valores no coinciden" in \
        (tmp_path / "informes" / "plantilla.txt").read_text()   # the feedback for the student


def test_the_grader_can_start_a_fresh_python_per_submission(tmp_path):
    folder = tmp_path / "entregas"
    _submission(folder, "buena")
    _submission(folder, "se_cae", {"densa.py": CRASH})
    rows, _ = grade(folder, tmp_path, "--mode", "spawn", "--workers", "1")
    assert rows["buena"]["nota"] == "10.0" and rows["buena"]["estado"] == "ok"
    assert rows["se_cae"]["nota"] == "1.25" and rows["se_cae"]["estado"] == CRASHED


ORACLE = Path("/work/oracle-venv/bin/python")
KERAS_SCRIPT = r"""
import json, sys
import numpy as np
import keras
path = sys.argv[1]
ns = {}
exec(compile(open(path).read().replace("from cnn import ops", "from keras import ops"), path, "exec"), ns)
y_true, y_pred = (np.array(a, np.float32) for a in json.load(sys.stdin))
mine = keras.ops.convert_to_numpy(ns["huber"](y_true, y_pred))
builtin = keras.ops.convert_to_numpy(keras.losses.huber(y_true, y_pred))
print(json.dumps([mine.tolist(), builtin.tolist()]))
"""


@pytest.mark.skipif(not ORACLE.exists(), reason="needs the Keras 3 venv at /work/oracle-venv")
def test_the_huber_solution_runs_unchanged_under_keras():
    rng = np.random.default_rng(2)
    data = [rng.normal(size=(6, 4)).tolist(), (2 * rng.normal(size=(6, 4))).tolist()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    run = subprocess.run([str(ORACLE), "-c", KERAS_SCRIPT, str(COURSE / "solucion" / "huber.py")],
                         input=json.dumps(data), env=dict(env, KERAS_BACKEND="torch"), capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    mine, builtin = json.loads(run.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(mine, builtin, rtol=1e-6)
