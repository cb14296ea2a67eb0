"""Pickling and deep-copying models: the C plans are dropped and rebuilt lazily."""
import copy

import numpy as np

# C plans and caches keyed by id()s: meaningless in a copy or another process
_DROPPED = ("_plan", "_predict_plan", "_plan_key", "_predict_key", "_name_index")


def model_getstate(model):
    """The model's __dict__ without its C plans; the weights travel inside the layers' variables."""
    state = dict(model.__dict__)
    for key in _DROPPED:
        state.pop(key, None)
    layout = state.get("_slots_layout")
    slots_ok = model._slots is not None and layout is not None and layout[0] == model._layout
    state["_slots_rec"] = layout[1] if slots_ok else None
    if not slots_ok:
        state["_slots"] = None
    state["_slots_layout"] = None
    state["_layout"] = ()               # holds id()s, meaningless in another process
    state["_offsets"] = {}
    state["_params"] = np.zeros(0, np.float32)   # rebuilt from the variables
    return state


def model_setstate(model, state):
    state = dict(state)
    rec = state.pop("_slots_rec", None)
    model.__dict__.update(state)
    model._plan = model._predict_plan = None
    model._plan_key = model._predict_key = None
    if model.built:
        model._pack_weights()          # variables become views of one new flat buffer again
    if rec is not None and model._slots is not None:
        model._slots_layout = (model._layout, rec)


def model_deepcopy(model, memo):
    new = model.__class__.__new__(model.__class__)
    memo[id(model)] = new
    model_setstate(new, copy.deepcopy(model_getstate(model), memo))
    return new
