"""The grader's words, in Spanish and English, and the side-by-side tables of expected vs received.

The language is the `lang` argument ("es" or "en"), else the CNN_LANG environment variable, else the
locale (LC_ALL, LC_MESSAGES, LANG starting with "es"), else English.
"""
import os

import numpy as np

_TEXT = {
    "expected": {"es": "esperado", "en": "expected"},
    "received": {"es": "recibido", "en": "received"},
    "difference": {"es": "diferencia", "en": "difference"},
    "index": {"es": "índice", "en": "index"},
    "grad_mismatch": {
        "es": "{what}: la derivada no coincide con la numérica (diferencias finitas) en {bad} de {total} "
              "comprobaciones.\nEl valor esperado es la derivada numérica; el recibido, la tuya.",
        "en": "{what}: the derivative does not match the numerical one (finite differences) in {bad} of {total} "
              "checks.\nExpected is the numerical derivative; received is yours.",
    },
    "grad_zero": {
        "es": "{what}: el gradiente es cero en todas partes, así que la comprobación no probaría nada. "
              "¿Devuelve tu derivada np.zeros_like(x)? (allow_zero=True si debe ser cero)",
        "en": "{what}: the gradient is zero everywhere, so the check would prove nothing. Does your "
              "derivative return np.zeros_like(x)? (allow_zero=True if it must be zero)",
    },
    "grad_shape": {
        "es": "{what}: la derivada tiene forma {received}, pero debe tener la forma de la entrada, {expected}",
        "en": "{what}: the derivative has shape {received}, but it must have the input's shape, {expected}",
    },
    "transposed": {
        "es": " (es la forma traspuesta: ¿falta un .T o sobra uno?)",
        "en": " (the transposed shape: a .T missing or one too many?)",
    },
    "values_differ": {
        "es": "{what}: {bad} de {total} valores no coinciden (tolerancia rtol={rtol:g}, atol={atol:g}).",
        "en": "{what}: {bad} of {total} values differ (tolerance rtol={rtol:g}, atol={atol:g}).",
    },
    "shape_differs": {
        "es": "{what}: la forma no coincide: esperada {expected}, recibida {received}",
        "en": "{what}: the shape differs: expected {expected}, received {received}",
    },
    "count_differs": {
        "es": "{what}: el número de pesos no coincide: esperados {expected}, recibidos {received}",
        "en": "{what}: the number of weight arrays differs: expected {expected}, received {received}",
    },
    "keys_differ": {
        "es": "historial: las claves no coinciden: esperadas {expected}, recibidas {received}",
        "en": "history: the keys differ: expected {expected}, received {received}",
    },
    "epochs_differ": {
        "es": "historial['{key}']: {received} épocas, se esperaban {expected}",
        "en": "history['{key}']: {received} epochs, expected {expected}",
    },
    "not_learned": {
        "es": "El modelo no aprendió lo suficiente: {metric} = {received:.4g}, se esperaba {band}.\n"
              "Entrenó {epochs} épocas en {seconds:.1f} s (motivo de parada: {reason}).",
        "en": "The model did not learn enough: {metric} = {received:.4g}, expected {band}.\n"
              "It trained {epochs} epochs in {seconds:.1f} s (stop reason: {reason}).",
    },
    "budget_exceeded": {
        "es": "La prueba superó su tiempo: {seconds:g} s (marca cnn_budget). ¿Un bucle que no termina, o "
              "demasiadas épocas?",
        "en": "The test ran out of time: {seconds:g} s (cnn_budget marker). A loop that never ends, or too "
              "many epochs?",
    },
    "crashed": {
        "es": "{what}: tu función lanzó {error}",
        "en": "{what}: your function raised {error}",
    },
}


def language(lang=None):
    """'es' or 'en': the argument, else CNN_LANG, else the locale's language, else 'en'."""
    if lang is not None:
        if lang not in ("es", "en"):
            raise ValueError(f"lang must be 'es' or 'en', got {lang!r}")
        return lang
    for var in ("CNN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "en"


def say(message, lang=None, **fields):
    return _TEXT[message][language(lang)].format(**fields)


class GradingError(AssertionError):
    """A failed check: its message is meant for the student; `expected` and `received` hold the values."""

    def __init__(self, message, expected=None, received=None):
        super().__init__(message)
        self.expected, self.received = expected, received


class BudgetExceeded(GradingError):
    """A test ran past its cnn_budget marker."""


def _fmt(v):
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.8g}"
    return str(v)


def table(rows, lang=None, labels=None):
    """Rows of (label, expected, received[, difference]) as aligned text columns."""
    first = labels or say("index", lang)
    head = [first, say("expected", lang), say("received", lang)]
    if rows and len(rows[0]) > 3:
        head.append(say("difference", lang))
    lines = [head] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  " + "  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines)


def array_table(expected, received, bad, lang=None, limit=8):
    """The first `limit` flagged elements of two same-shape arrays, side by side."""
    expected, received = np.asarray(expected), np.asarray(received)
    flat = np.flatnonzero(np.asarray(bad).reshape(-1))[:limit]
    rows = []
    for i in flat:
        idx = np.unravel_index(i, expected.shape) if expected.ndim else ()
        e, r = expected.reshape(-1)[i], received.reshape(-1)[i]
        rows.append((str(tuple(int(k) for k in idx)), e, r, float(r) - float(e)))
    return table(rows, lang)
