"""Lo que comparten los tests del profesor: el fixture `entrega`, con el que `entrega("sigmoide")`
importa sigmoide.py de la carpeta de la entrega que se corrige (la variable de entorno ENTREGA; por
defecto, la solución de referencia).

Se importa dentro de cada test, no al cargar el fichero: así un error o un bucle infinito al importar
la entrega cuenta como fallo de ese test (con su tiempo máximo, la marca cnn_budget) y no impide
corregir los demás ejercicios.
"""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

from cnn.testing import GradingError, language

SOLUCION = Path(__file__).resolve().parent.parent / "solucion"
# el orden del curso: los tests (y las columnas del CSV de cnn.testing.grade) van en este orden
EJERCICIOS = ["sigmoide", "densa", "optimizadores", "vino", "parada_temprana", "capa_densa", "adam_propio", "huber"]


def carpeta_de_la_entrega():
    return Path(os.environ.get("ENTREGA") or SOLUCION).resolve()


def _di(es, en):
    return es if language() == "es" else en


def cargar(nombre):
    """El módulo `nombre`.py de la entrega (importado una vez por proceso)."""
    carpeta = carpeta_de_la_entrega()
    clave = f"entrega_{nombre}"
    if clave in sys.modules:
        return sys.modules[clave]
    fichero = carpeta / f"{nombre}.py"
    if not fichero.is_file():
        raise GradingError(_di(f"No encuentro {nombre}.py en la entrega ({carpeta}).",
                               f"{nombre}.py is missing from the submission ({carpeta})."))
    if str(carpeta) not in sys.path:
        sys.path.insert(0, str(carpeta))   # la entrega puede importar sus otros ficheros
    spec = importlib.util.spec_from_file_location(clave, fichero)
    modulo = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(modulo)
    except GradingError:   # p. ej. el tiempo del test se agotó mientras se importaba
        raise
    except Exception as e:   # el código del alumno: decir dónde se rompió, sin la traza del corrector
        raise GradingError(_di(f"{nombre}.py no se pudo importar: {type(e).__name__}: {e}",
                               f"{nombre}.py could not be imported: {type(e).__name__}: {e}")) from e
    sys.modules[clave] = modulo
    return modulo


@pytest.fixture
def entrega():
    """La función que importa un fichero de la entrega: entrega("sigmoide")."""
    return cargar


def pytest_collection_modifyitems(items):
    def orden(item):
        ejercicio = item.path.stem.removeprefix("test_")
        return EJERCICIOS.index(ejercicio) if ejercicio in EJERCICIOS else len(EJERCICIOS)
    items.sort(key=orden)   # estable: dentro de un fichero, el orden en que están escritos
