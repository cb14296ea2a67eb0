"""The Keras 3 progress bar: exact bytes on a terminal, final plain line only in a file, verbose=2."""

import contextlib
import io

import numpy as np
import pytest

import cnn.progbar as progbar_mod
from cnn.progbar import Progbar, _format_eta, _format_time

B, R, G, W, C = "\x1b[1m", "\x1b[0m", "\x1b[32m", "\x1b[37m", "\u2501"


class Tty(io.StringIO):
    def isatty(self):
        return True


class Pipe(io.StringIO):
    def isatty(self):
        return False


class Clock:
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progbar_mod, "_time", c)
    return c


def bar(filled, width=20):
    green = f"{G}{C * filled}{R}" if filled else ""
    return green + f"{W}{C * (width - filled)}{R}"


# One epoch of 5 steps: step 1 after 0.2 s, step 2 throttled, step 3, then the final update.
LINE1 = f"{B}1/5{R} " + bar(4) + f" {B}0s{R} 200ms/step - loss: 0.5000"
LINE3 = f"{B}3/5{R} " + bar(12) + f" {B}0s{R} 50ms/step - loss: 0.2500"
FINAL = f"{B}5/5{R} " + bar(20) + f" {B}2s{R} 325ms/step - loss: 1.0000e-04"
W1, W3, WF = 53, 52, 56  # widths on screen (no ANSI)


def plain(text):
    """What a file or a pipe gets: no ANSI styles."""
    return progbar_mod._ANSI.sub("", text)


def run_epoch(stream, clock, **kw):
    pb = Progbar(5, stream=stream, stateless_metrics=set(), **kw)
    clock.t = 100.2
    pb.update(1, [("loss", 0.5)])
    clock.t = 100.21
    pb.update(2, [("loss", 0.3)])  # within 50 ms of the last redraw: not drawn
    clock.t = 100.3
    pb.update(3, [("loss", 0.25)])
    clock.t = 101.5
    pb.update(5, [("loss", 0.0001)])
    return pb


def test_terminal_exact_bytes(clock):
    out = Tty()
    run_epoch(out, clock)
    expected = ("\r" + LINE1
                + "\b" * W1 + "\r" + LINE3 + " " * (W1 - W3)
                + "\b" * W3 + "\r" + FINAL + "\n")
    assert out.getvalue() == expected


def test_not_a_terminal_prints_final_line_only(clock):
    out = Pipe()
    run_epoch(out, clock)
    assert out.getvalue() == plain(FINAL) + "\n"
    assert "\b" not in out.getvalue() and "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_final_update_never_throttled_and_ends_line(clock):
    out = Tty()
    pb = Progbar(2, stream=out)
    clock.t = 100.001
    pb.update(1, [("loss", 1.0)])
    clock.t = 100.002
    pb.update(2, [("loss", 1.0)])
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")


def test_default_stream_is_stdout_at_call_time(clock):
    pb = Progbar(5, stateless_metrics=set())  # created before stdout is redirected
    sink = Pipe()
    with contextlib.redirect_stdout(sink):
        clock.t = 100.2
        pb.update(1, [("loss", 0.5)])
        clock.t = 100.3
        pb.update(3, [("loss", 0.25)])
        clock.t = 101.5
        pb.update(5, [("loss", 0.0001)])
    assert sink.getvalue() == plain(FINAL) + "\n"


def test_padding_when_line_shrinks(clock):
    out = Tty()
    pb = Progbar(10, stream=out, stateless_metrics=set())
    clock.t = 100.5
    pb.update(1, [("loss", 12345.0)])
    first = out.getvalue()
    clock.t = 101.0
    pb.update(2, [("loss", 1.0)])
    second = out.getvalue()[len(first):]
    width1 = len(first) - 1 - 4 * 4 - 9 - 9  # "\r", 4 ANSI pairs of 4+4 / 5+4 chars
    assert second.startswith("\b" * width1 + "\r")
    assert second.endswith(" - loss: 1.0000" + " " * 4)  # "12345.0000" is 4 wider than "1.0000"


def test_time_per_step_skips_first_step(clock):
    out = Pipe()
    pb = Progbar(11, stream=out)
    clock.t = 110.0  # a slow first step (10 s)
    pb.update(1)
    clock.t = 111.0  # then 10 steps of 0.1 s
    pb.update(11)
    assert out.getvalue() == plain(f"{B}11/11{R} " + bar(20) + f" {B}11s{R} 100ms/step\n")


def test_eta_formats(clock):
    out = Tty()
    pb = Progbar(1000, stream=out)
    clock.t = 102.0
    pb.update(1)  # 2 s per step -> ETA 1998 s
    assert f" {B}33:18{R} 2s/step" in out.getvalue()
    assert out.getvalue().startswith(f"\r{B}   1/1000{R} {W}{C * 20}{R}")
    assert _format_eta(59.9) == "59s"
    assert _format_eta(61) == "1:01"
    assert _format_eta(3599) == "59:59"
    assert _format_eta(3601.5) == "1:00:01"
    assert _format_eta(7325) == "2:02:05"


def test_time_per_unit_formats():
    assert _format_time(0, "step") == " 0s/step"
    assert _format_time(1.0, "step") == " 1s/step"
    assert _format_time(2.6, "step") == " 3s/step"
    assert _format_time(0.012, "step") == " 12ms/step"
    assert _format_time(0.001, "step") == " 1ms/step"
    assert _format_time(0.0005, "sample") == " 500us/sample"


def test_number_formats(clock):
    out = Pipe()
    pb = Progbar(1, stream=out, stateless_metrics=set())
    clock.t = 100.0
    pb.update(1, [("z", 0.0), ("b", -0.5), ("a", 0.001), ("c", 0.0010001), ("d", np.float32(2.5)),
                  ("e", float("nan"))])
    # keys in the order given; .4f when abs(v) > 1e-3, else .4e
    assert out.getvalue().endswith(
        " 0s/step - z: 0.0000e+00 - b: -0.5000 - a: 1.0000e-03 - c: 0.0010 - d: 2.5000"
        " - e: nan\n")


def test_verbose_2_single_line(clock):
    out = Tty()
    pb = Progbar(5, verbose=2, stream=out, stateless_metrics=set())
    clock.t = 100.2
    pb.update(1, [("loss", 0.5)])
    clock.t = 100.3
    pb.update(3, [("loss", 0.25)])
    assert out.getvalue() == ""
    clock.t = 101.5
    pb.update(5, [("accuracy", 0.875), ("loss", -0.5), ("val_loss", 0.0001)])
    # verbose=2 tests avg > 1e-3 without abs, so a negative value prints in e-notation;
    # keys keep the order in which they first appeared ("loss" came first)
    assert out.getvalue() == ("5/5 - 2s - 325ms/step - loss: -5.0000e-01 - accuracy: 0.8750"
                              " - val_loss: 1.0000e-04\n")


def test_verbose_0_silent(clock):
    out = Tty()
    pb = Progbar(3, verbose=0, stream=out)
    pb.update(1, [("loss", 1.0)])
    pb.update(3, [("loss", 1.0)])
    assert out.getvalue() == ""


def test_unknown_target(clock):
    out = Tty()
    pb = Progbar(None, stream=out, stateless_metrics=set())
    clock.t = 100.5
    pb.update(3, [("loss", 0.5)])
    assert out.getvalue() == f"\r      3/Unknown {B}0s{R} 167ms/step - loss: 0.5000"
    clock.t = 102.0
    pb.update(4, [("loss", 0.5)], finalize=True)
    assert out.getvalue().endswith(f"\r      4/Unknown {B}2s{R} 500ms/step - loss: 0.5000\n")


def test_values_averaged_unless_stateful_like_keras(clock):
    # A Progbar made by hand averages values over steps (Keras's default) ...
    out = Tty()
    pb = Progbar(4, stream=out)
    clock.t = 101.0
    pb.update(1, [("loss", 1.0)])
    clock.t = 102.0
    pb.update(3, [("loss", 0.0)])  # stands for 2 steps: (1*1 + 0*2) / 3
    assert out.getvalue().endswith(" - loss: 0.3333")
    # ... the final update shows the value given; stateful metrics are always shown as given.
    clock.t = 103.0
    pb.update(4, [("loss", 0.75)])
    assert out.getvalue().endswith(" - loss: 0.7500\n")
    out2 = Tty()
    pb2 = Progbar(4, stream=out2, stateful_metrics=["loss"])
    pb2.update(1, [("loss", 1.0)])
    clock.t = 104.0
    pb2.update(3, [("loss", 0.0)])
    assert out2.getvalue().endswith(" - loss: 0.0000e+00")
    with pytest.raises(ValueError):
        Progbar(4, stateful_metrics=[], stateless_metrics=[])


def test_array_values_shown_as_mean_and_dict_values(clock):
    out = Pipe()
    pb = Progbar(2, stream=out, stateless_metrics=set())
    pb.update(2, {"a": np.array([1.0, 2.0, 3.0]), "b": [0.5, 1.5], "c": np.float64(0.25)})
    assert out.getvalue().endswith(" - a: 2.0000 - b: 1.0000 - c: 0.2500\n")


def test_add(clock):
    out = Pipe()
    pb = Progbar(4, stream=out)
    pb.add(1)
    pb.add(2)
    assert out.getvalue() == ""
    pb.add(1)
    assert out.getvalue().startswith("4/4 " + C * 20)


def test_unicode_fallback_for_legacy_console(clock):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252")
    pb = Progbar(2, stream=stream, stateless_metrics=set())
    clock.t = 101.0
    pb.update(2, [("loss", 0.5)])
    text = raw.getvalue().decode("cp1252")
    assert "=" * 20 in text and text.endswith(" - loss: 0.5000\n")


def test_jupyter_counts_as_dynamic_for_stdout_only(clock, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "ipykernel", sys)
    sink = Pipe()
    with contextlib.redirect_stdout(sink):
        pb = Progbar(3)
        pb.update(1)
    assert sink.getvalue().startswith("\r")  # drawn in place, as Keras does in notebooks
    out = Pipe()  # an explicit non-terminal stream still gets the final line only
    pb = Progbar(3, stream=out)
    pb.update(1)
    assert out.getvalue() == ""
