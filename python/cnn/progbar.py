"""The Keras 3 progress bar (keras/src/utils/progbar.py), byte for byte on a terminal.

    3/10 ━━━━━━━━━━━━━━━━━━━━ 0s 12ms/step - accuracy: 0.8750 - loss: 0.3456

verbose=1 redraws one line in place ("\\b" * previous width + "\\r", space padding) at most every
`interval` seconds, and always for the final update, which ends the line with "\\n".
verbose=2 prints one line when finalized: "5/5 - 1s - 12ms/step - loss: 0.3456".

Where the output goes and how:
- `stream=None` writes to whatever `sys.stdout` is at the time of each write (so
  `contextlib.redirect_stdout` and pytest's capture work).
- The display is dynamic when the stream is a terminal, or (for the standard streams) inside a
  Jupyter/IPython kernel or PyCharm, which Keras also treats as dynamic. Otherwise (a file, a pipe,
  CI logs) nothing is written until the final update, which writes only the final line: no
  backspaces, no carriage returns, no ANSI styles. Keras writes all three into files too; we do not.

Values: `update(current, values)` takes (name, value) pairs (or a dict), shown in the order in
which names first appear (the caller sorts). As in Keras, names in `stateful_metrics` (or not in
`stateless_metrics` when that is given) are shown as-is and the others are averaged over the steps
seen: that is Keras's default for a Progbar made by hand; ProgbarLogger passes
`stateless_metrics=set()`, so fit shows its running means as they are. A list or array value
counts as its mean.
"""

import math
import os
import re
import sys
import time

import numpy as np

__all__ = ["Progbar"]

_time = time.time  # the clock; tests replace this module attribute
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BOLD, _RESET, _GREEN, _WHITE = "\x1b[1m", "\x1b[0m", "\x1b[32m", "\x1b[37m"
_CELL = "\u2501"  # '━'


def _as_value(v):
    """A float for numbers, numpy scalars and arrays (their mean); anything else unchanged."""
    if isinstance(v, float):
        return v
    try:
        return float(v) if np.ndim(v) == 0 else float(np.mean(v))
    except (TypeError, ValueError):
        return v


def _format_value(v, use_abs):
    if not isinstance(v, float):
        return f" {v}"
    big = (abs(v) if use_abs else v) > 1e-3
    return f" {v:.4f}" if big else f" {v:.4e}"


def _format_time(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1000.0:.0f}ms/{unit_name}"
    return f" {seconds * 1000000.0:.0f}us/{unit_name}"


def _format_eta(eta):
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


class Progbar:
    """Displays a progress bar (keras.utils.Progbar).

    Args:
        target: total number of steps, or None if unknown.
        width: bar width in cells.
        verbose: 0 silent, 1 bar, 2 one line when finalized.
        interval: minimum seconds between two redraws (the final one is never held back).
        unit_name: "step" or "sample", for the time per unit.
        stream: a file object; None means sys.stdout at the time of each write.
        stateful_metrics / stateless_metrics: as in Keras; see the module docstring.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step", stream=None,
                 stateful_metrics=None, stateless_metrics=None):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream
        if stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics or ()), None
        self._seen_so_far = 0
        self._values = {}  # name -> [sum, count]; insertion order is display order
        self._start = _time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    # -- output ---------------------------------------------------------------------------------
    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def _is_dynamic(self, stream):
        try:
            if stream.isatty():
                return True
        except (AttributeError, ValueError):
            pass
        standard = stream is sys.stdout or stream is sys.stderr
        return standard and ("ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ)

    @staticmethod
    def _write(stream, text):
        try:
            stream.write(text)
        except UnicodeEncodeError:  # e.g. a cp1252 console: fall back to Keras 2's '='
            enc = getattr(stream, "encoding", None) or "utf-8"
            stream.write(text.replace(_CELL, "=").encode(enc, errors="ignore").decode(enc))
        stream.flush()

    # -- state ----------------------------------------------------------------------------------
    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _record(self, current, values, finalize):
        if isinstance(values, dict):
            values = values.items()
        for name, v in values or ():
            v = _as_value(v)
            if not isinstance(v, float) or not self._is_stateless(name) or finalize:
                self._values[name] = [v, 1]
                continue
            base = max(current - self._seen_so_far, 1)  # steps this value stands for
            acc = self._values.get(name)
            if acc is None or not isinstance(acc[0], float):
                self._values[name] = [v * base, base]
            else:
                acc[0] += v * base
                acc[1] += base

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first step (often slow) once there are others."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _metrics_text(self, use_abs):
        parts = []
        for name, (total, count) in self._values.items():
            v = total / max(1, count) if isinstance(total, float) else total
            parts.append(f" - {name}:" + _format_value(v, use_abs))
        return "".join(parts)

    def _counter(self, current):
        digits = int(math.log10(self.target)) + 1
        return f"%{digits}d/%d" % (current, self.target)

    # -- drawing --------------------------------------------------------------------------------
    def _bar_line(self, current, now, per_step, finalize, styled):
        """The verbose=1 line (with Keras's ANSI styles when `styled`) and its width on screen."""
        bold, green, white, reset = (_BOLD, _GREEN, _WHITE, _RESET) if styled else ("",) * 4
        known = self.target is not None and self.target > 0
        if known:
            filled = int(self.width * (float(current) / self.target))
            bar = f"{bold}{self._counter(current)}{reset} "
            if filled > 0:
                bar += f"{green}{_CELL * filled}{reset}"
            bar += f"{white}{_CELL * (self.width - filled)}{reset}"
        else:
            bar = "%7d/Unknown" % current
        if known and not finalize:
            info = f" {bold}{_format_eta(per_step * (self.target - current))}{reset}"
        else:
            info = f" {bold}{now - self._start:.0f}s{reset}"
        info += _format_time(per_step, self.unit_name) + self._metrics_text(use_abs=True)
        line = bar + info
        return line, len(_ANSI.sub("", line))

    def update(self, current, values=None, finalize=None):
        """Move the bar to step `current` (1-based count of steps done).

        values: (name, value) pairs or a dict. finalize: last update of this bar; default
        `current >= target` (False when the target is unknown).
        """
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._record(current, values, finalize)
        self._seen_so_far = current
        now = _time()
        per_step = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            stream = self._out()
            dynamic = self._is_dynamic(stream)
            if not dynamic and not finalize:
                return  # a log file gets the final line only
            line, width = self._bar_line(current, now, per_step, finalize, styled=dynamic)
            prev = self._prev_total_width if dynamic else 0
            head = "\b" * prev + "\r" if dynamic else ""
            tail = " " * (prev - width) if prev > width else ""
            self._write(stream, head + line + tail + ("\n" if finalize else ""))
            self._prev_total_width = width if dynamic else 0
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            line = f"{self._counter(current)} - {now - self._start:.0f}s -"
            line += _format_time(per_step, self.unit_name) + self._metrics_text(use_abs=False)
            self._write(self._out(), line + "\n")
        self._last_update = now

    def add(self, n, values=None):
        """Advance by `n` steps."""
        self.update(self._seen_so_far + n, values)
