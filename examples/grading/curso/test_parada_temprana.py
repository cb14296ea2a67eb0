"""Ejercicio 5 · Parada temprana: el callback de la entrega debe parar el entrenamiento del vino antes
de las 300 épocas y dejar el modelo con los pesos de su mejor época."""
import numpy as np
import pytest

import cnn
from cnn.testing import expect, reference_data

EPOCAS = 300


def entrenar(callback):
    (x, y), (x_val, y_val) = reference_data("wine")
    modelo = cnn.Sequential([cnn.Input(shape=(11,)), cnn.layers.Dense(32, activation="relu"),
                             cnn.layers.Dense(1)])
    modelo.compile(optimizer=cnn.optimizers.Adam(0.01), loss="mae")
    historial = modelo.fit(x, y, validation_data=(x_val, y_val), epochs=EPOCAS, batch_size=256,
                           callbacks=[callback], time_limit=15, verbose=0)
    return modelo, historial, modelo.evaluate(x_val, y_val, verbose=0)


def el_callback(entrega):
    callback = entrega("parada_temprana").parada_temprana()
    expect(isinstance(callback, cnn.callbacks.Callback), {
        "es": f"parada_temprana() debe devolver un callback (cnn.callbacks.EarlyStopping), no {callback!r}",
        "en": f"parada_temprana() must return a callback (cnn.callbacks.EarlyStopping), not {callback!r}"})
    return callback


@pytest.mark.cnn_budget(30)
def test_para_antes_de_tiempo(entrega):
    callback = el_callback(entrega)
    _, historial, _ = entrenar(callback)
    epocas = len(historial.epoch)
    expect(epocas < EPOCAS, {
        "es": f"El entrenamiento no paró antes: {epocas} de {EPOCAS} épocas. ¿Vigilas 'val_loss' con una "
              "paciencia razonable (patience)?",
        "en": f"Training did not stop early: {epocas} of {EPOCAS} epochs. Do you monitor 'val_loss' with a "
              "sensible patience?"}, expected=f"< {EPOCAS}", received=epocas)


@pytest.mark.cnn_budget(30)
def test_recupera_los_mejores_pesos(entrega):
    callback = el_callback(entrega)
    _, historial, final = entrenar(callback)
    perdidas = historial.history["val_loss"]
    # la mejor época según el callback (con su min_delta), si es un EarlyStopping; si no, la mínima
    mejor = float(perdidas[callback.best_epoch] if isinstance(callback, cnn.callbacks.EarlyStopping)
                  else np.min(perdidas))
    expect(abs(final - mejor) < 1e-4, {
        "es": f"El modelo no quedó con los pesos de su mejor época: su pérdida de validación es {final:.4f}, y "
              f"la de la mejor época fue {mejor:.4f}. ¿restore_best_weights=True?",
        "en": f"The model did not keep its best epoch's weights: its validation loss is {final:.4f}, the best "
              f"epoch's was {mejor:.4f}. restore_best_weights=True?"}, expected=mejor, received=final)
