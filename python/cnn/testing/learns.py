"""assert_learns: a model reaches a band of a metric on a dataset within a time budget."""
import time

from cnn.testing import _messages as M


def assert_learns(model, x, y, *, metric="loss", below=None, above=None, time_limit=60.0, validation_data=None,
                  lang=None, **fit_kwargs):
    """Trains `model` with `fit(x, y, time_limit=time_limit, verbose=0, **fit_kwargs)`, then asserts that
    `metric` of the trained model is below `below` and/or above `above`.

    The metric is measured after training with `evaluate`: on `validation_data` for a "val_" name,
    else on (x, y); so restored best weights count, and a run stopped by the budget is judged on what
    it reached (partial credit instead of a killed cell).

    Args:
        metric: "loss", a compiled metric's name, or either with "val_" (needs validation_data).
        below, above: the band (at least one).
        time_limit: seconds the training may take (fit stops cleanly at the end of a step).
        validation_data: (x_val, y_val), also given to fit.
        lang: "es" or "en" (default: the locale).
        **fit_kwargs: given to fit (epochs, batch_size, callbacks, ...).

    Returns:
        The History of the training.
    """
    if below is None and above is None:
        raise ValueError("assert_learns needs a band: below=..., above=... or both")
    if metric.startswith("val_") and validation_data is None:
        raise ValueError(f"metric={metric!r} needs validation_data=(x_val, y_val)")
    fit_kwargs.setdefault("verbose", 0)
    start = time.perf_counter()
    history = model.fit(x, y, validation_data=validation_data, time_limit=time_limit, **fit_kwargs)
    seconds = time.perf_counter() - start
    data = validation_data if metric.startswith("val_") else (x, y)
    logs = model.evaluate(data[0], data[1], verbose=0, return_dict=True)
    key = metric[4:] if metric.startswith("val_") else metric
    if key not in logs:
        raise ValueError(f"metric {metric!r} is not one of the model's: {sorted(logs)}")
    value = logs[key]
    ok = (below is None or value < below) and (above is None or value > above)
    if not ok:
        band = " < ".join(str(v) for v in (above, metric, below) if v is not None)
        raise M.GradingError(M.say("not_learned", lang, metric=metric, received=value, band=band,
                                   epochs=len(history.epoch), seconds=seconds,
                                   reason=getattr(history, "stop_reason", "?")), band, value)
    return history
