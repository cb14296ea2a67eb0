"""Tracing a subclassed model's `call` with symbolic tensors, and the error when it cannot be traced.

`call` runs once on `cnn.Input` tensors; what the layers record is the model's graph, which the C
core then trains like a functional model. `training` is passed as a symbolic flag: layers given it
behave by mode in the engine (dropout in `fit`, not in `predict`), as in Keras. A `call` that
branches on it in Python is traced once per mode instead (ModeFlag). Python code that needs
a tensor's value (an `if` on it, `.numpy()`, a NumPy function) cannot be traced: the error says so,
names the file and line of `call` that did it, and says how to fix it.
"""
import inspect
import os
import traceback

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class CallTraceError(TypeError):
    """A subclassed model's `call` could not be turned into a graph (it needs a tensor's value)."""


class TrainingFlag:
    """The `training` argument while `call` is traced: layers take it as "by mode" (the engine runs
    dropout, noise and batch statistics in training only); Python cannot branch on it."""

    def __bool__(self):
        raise BranchOnTraining("`training` is symbolic while cnn traces `call`: Python cannot branch on it "
                               "(`if training:`)")

    def __repr__(self):
        return "<symbolic training flag>"


class BranchOnTraining(CallTraceError):
    """`call` branched on `training`: the model is then traced once per mode (see cnn._subclass)."""


class ModeFlag(TrainingFlag):
    """`training` when `call` is traced for one mode (it branches on it): Python sees the mode; layers
    still take it as "by mode", which the plan of that mode is."""

    def __init__(self, training):
        self.training = bool(training)

    def __bool__(self):
        return self.training

    def __repr__(self):
        return f"<training flag, traced for training={self.training}>"


def accepts(call, name):
    """Whether call takes a keyword argument `name` by name (Keras passes `training` only then)."""
    try:
        params = inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False
    return name in params and params[name].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                    inspect.Parameter.KEYWORD_ONLY)


def _is_symbolic_misuse(error, tb_frames):
    """Whether the error comes from asking a symbolic tensor for a value (not from a user bug)."""
    if isinstance(error, CallTraceError):
        return True
    if not isinstance(error, (TypeError, NotImplementedError, AttributeError, ValueError)):
        return False
    last = tb_frames[-1].filename if tb_frames else ""
    return os.path.basename(last) == "_symbolic.py" or "KerasTensor" in str(error)


def _user_frame(tb_frames):
    """The deepest frame outside cnn and NumPy: the user's line that asked for a value."""
    for frame in reversed(tb_frames):
        path = os.path.abspath(frame.filename)
        if path.startswith(_PACKAGE_DIR + os.sep) or f"{os.sep}numpy{os.sep}" in path:
            continue
        return frame
    return None


_FIX = (
    "cnn runs `call` once on symbolic tensors (no values) to get the graph it trains in C. Inside "
    "`call`, use cnn layers and + - * between their outputs; a Python `if`/`while` on a tensor's value, "
    "`.numpy()`, `np.` functions and `float(...)` cannot be traced (`if training:` can). Fixes: use "
    "layers for the maths (layers.Activation('relu'), layers.Maximum(), ...); compute data-dependent "
    "choices outside the model, or pass them as layers' arguments. The model still runs eagerly on "
    "arrays: model(x).")


def trace_error(model, error):
    """The CallTraceError for an error raised while tracing model.call, or None if it is a user bug
    that should propagate as it is."""
    frames = traceback.extract_tb(error.__traceback__)
    if not _is_symbolic_misuse(error, frames):
        return None
    where = _user_frame(frames)
    at = (f'File "{where.filename}", line {where.lineno}, in {where.name}\n    {where.line}'
          if where is not None else "(line not found)")
    line_ref = f"{os.path.basename(where.filename)}:{where.lineno}" if where is not None else "?"
    return CallTraceError(f"cnn cannot trace {type(model).__name__}.call into a graph at {line_ref}: "
                          f"{error}\n  {at}\n{_FIX}")


def trace(model, inputs, flag=None):
    """Runs model.call on symbolic inputs with `training` = flag (a TrainingFlag by default); returns its
    outputs (symbolic tensors). Raises BranchOnTraining when call branches on the symbolic flag."""
    kwargs = {"training": TrainingFlag() if flag is None else flag} if accepts(model.call, "training") else {}
    try:
        return model.call(inputs, **kwargs)
    except BranchOnTraining as e:
        if flag is None:
            raise e.with_traceback(None) from None
        raise trace_error(model, e) from None
    except Exception as e:
        wrapped = trace_error(model, e)
        if wrapped is None:
            raise
        raise wrapped from None
