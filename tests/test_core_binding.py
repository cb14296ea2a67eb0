"""The binding's door (cnn._core): keyed records parsed from the core's field tables, the enums and
field names it exports, and the bad inputs a fuzzing probe found (issue 14 item 2). Every case here
crashed, read out of bounds, returned uninitialised memory or raised SystemError before the layer
table and the generic record parser; now each is a ValueError or TypeError naming what is wrong."""
import math

import numpy as np
import pytest

from cnn import _core, activations, constraints, losses, metrics, optimizers, schedules

F32 = np.float32


def dense(n_in=4, n_out=3, w_off=0, **extra):
    return {"kind": "dense", "in_shape": [n_in], "out_shape": [n_out], "w_off": w_off, "w_len": n_in * n_out,
            **extra}


MSE, SGD = {"kind": "mse"}, {"kind": "sgd"}


def plan(layers=None, loss=MSE, opt=SGD, n_params=12, batch_max=8, metrics_=()):
    params = np.zeros(n_params, F32)
    return _core.Plan(layers or [dense()], loss, list(metrics_), opt, params, n_params, np.zeros(1, F32),
                      batch_max)


# ------------------------------------------------------------------ exported enums and fields

def test_enums_and_fields_are_exported():
    for part in ("act", "loss", "metric", "opt", "schedule", "constraint", "layer"):
        names = _core.enums[part]
        assert sorted(names.values()) == list(range(len(names)))
        assert _core.fields[part][0] == "kind"
    assert set(_core.fields["layer_params"]) == set(_core.enums["layer"])
    assert _core.fields["layer_params"]["dense"] == ("act",)
    assert "beta_1" in _core.fields["opt"] and "label_smoothing" in _core.fields["loss"]
    assert set(_core.enums["rng"]) == {"init", "shuffle", "dropout", "noise"}


def test_python_names_are_the_cores():
    """Python writes kinds by name; every name it can write is one the core exports."""
    assert {k.value for k in losses.LossKind} | {losses.PYTHON_KIND} == set(_core.enums["loss"])
    act_names = {getattr(activations, n) for n in ("LINEAR", "RELU", "GELU_TANH", "SOFTMAX", "MISH")}
    assert act_names <= set(_core.enums["act"])
    assert {optimizers.KIND_SGD, optimizers.KIND_FTRL} <= set(_core.enums["opt"])
    assert {metrics.BINARY_ACCURACY, metrics.MSE} <= set(_core.enums["metric"])
    assert {schedules.CONSTANT, schedules.COSINE_RESTARTS} <= set(_core.enums["schedule"])
    assert {constraints.NONE, constraints.MIN_MAX_NORM} <= set(_core.enums["constraint"])
    for opt in (optimizers.Adam(), optimizers.SGD(momentum=0.9), optimizers.Ftrl()):
        assert set(opt._c_record()) <= set(_core.fields["opt"])


def test_schedule_lr_is_the_schedules_call():
    sched = schedules.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.01)
    for step in (0, 1, 9, 10, 31, 1000):
        assert sched(step) == _core.schedule_lr(sched.c_record(), step)
    assert _core.schedule_lr({"kind": "constant", "lr": 0.25}, 7) == 0.25


# ------------------------------------------------------------------ records of the wrong shape or type

@pytest.mark.parametrize("bad", [5, "mse", None, (0, 0, 0, 1), ["kind", "mse"]])
def test_a_record_that_is_not_a_dict_is_a_type_error(bad):
    x = np.zeros((2, 3), F32)
    with pytest.raises(TypeError, match="dict"):
        _core.loss_forward(bad, x, x)
    with pytest.raises(TypeError, match="dict"):
        _core.act_forward(bad, x)
    with pytest.raises(TypeError, match="dict"):
        _core.metric_update(bad, x, x, None)
    with pytest.raises(TypeError, match="dict"):
        _core.opt_slot_count(bad)
    with pytest.raises(TypeError, match="dict"):
        _core.schedule_lr(bad, 0)
    with pytest.raises(TypeError, match="dict"):
        plan(layers=[bad])
    with pytest.raises(TypeError, match="dict"):
        plan(loss=bad)


def test_unknown_field_or_kind_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="'beta_3'"):
        _core.opt_slot_count({"kind": "adam", "beta_3": 0.9})
    with pytest.raises(ValueError, match="'adamm'"):
        _core.opt_slot_count({"kind": "adamm"})
    with pytest.raises(ValueError, match="'rate'"):
        plan(layers=[dense(rate=0.5)])          # a dropout field on a dense layer
    with pytest.raises(ValueError, match="kind"):
        _core.opt_slot_count({"beta_1": 0.9})   # kind is required


@pytest.mark.parametrize("field, value", [("beta_1", "0.9"), ("amsgrad", "yes"), ("kind", 1),
                                          ("epsilon", None), ("nesterov", [1])])
def test_wrong_type_is_a_type_error_naming_field_and_value(field, value):
    with pytest.raises(TypeError, match=f"'{field}'.*{value!r}".replace("[", r"\[").replace("]", r"\]")):
        _core.opt_slot_count({"kind": "adam", field: value})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e300, 2.5, 2**70])
def test_non_integers_where_an_integer_is_expected(value):
    with pytest.raises(ValueError, match="'w_off'"):
        plan(layers=[dense(w_off=value)])
    with pytest.raises(ValueError, match="'in_shape'"):
        plan(layers=[dense(in_shape=[value])])
    with pytest.raises(ValueError, match="'from_logits'"):
        _core.loss_forward({"kind": "bce", "from_logits": value}, np.zeros((2, 1), F32), np.zeros((2, 1), F32))


def test_out_of_range_values_are_value_errors():
    with pytest.raises(ValueError, match="'rate'"):
        plan(layers=[dense(), {"kind": "dropout", "in_shape": [3], "out_shape": [3], "rate": 1.5}])
    with pytest.raises(ValueError, match="'trainable'"):
        plan(layers=[dense(trainable=2)])
    with pytest.raises(ValueError, match="'w_off'"):
        plan(layers=[dense(w_off=-2)])
    with pytest.raises(ValueError, match="'in_shape'"):
        plan(layers=[dense(in_shape=[4, 0])])
    with pytest.raises(ValueError, match="'in_shape'"):
        plan(layers=[dense(in_shape=[1, 1, 1, 1, 4])])       # more than three spatial axes + channels


# ------------------------------------------------------------------ the probe's crashes

def test_reshape_whose_sizes_differ_is_refused():
    """Before: it passed layers_valid and the next layer read out of bounds."""
    bad = {"kind": "reshape", "in_shape": [3], "out_shape": [30]}
    with pytest.raises(ValueError, match=r"layer 1 \(reshape\).*'out_shape'"):
        plan(layers=[dense(), bad, dense(30, 1, w_off=12)], n_params=42)


def test_weights_outside_params_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="'w_len'"):
        plan(layers=[dense(w_off=5)])                        # 5 + 12 > 12 parameters
    with pytest.raises(ValueError, match="'w_len'"):
        plan(layers=[dense(w_len=11)])                       # not in * out
    with pytest.raises(ValueError, match="'w_off'"):
        plan(layers=[dense(w_off=2**62)])


def test_huge_batch_max_does_not_overflow():
    with pytest.raises((ValueError, MemoryError)):
        plan(batch_max=2**62)


def test_train_with_huge_first_is_refused():
    """Before: (first + nsteps - 1) * batch overflowed the bounds check and gather read past x."""
    p = plan()
    x, y = np.zeros((10, 4), F32), np.zeros((10, 3), F32)
    perm = np.arange(10, dtype=np.int64)
    sched = schedules.constant_c_record(0.1)
    for first in (2**62, 2**61 + 1, 10):
        with pytest.raises(ValueError, match="do not fit"):
            p.train(x, y, None, perm, 4, first, 1, 0, sched, None, 0.0)
    with pytest.raises(ValueError, match="do not fit"):
        p.train(x, y, None, perm, 4, 0, 2**62, 0, sched, None, 0.0)
    sums, it = p.train(x, y, None, perm, 4, 2, 1, 0, sched, None, 0.0)   # the last, partial batch
    assert it == 1 and sums[1] == 2.0


def test_init_slots_with_huge_count_is_refused():
    """Before: slot_count * n overflowed and Ftrl's accumulator was written past the buffer (a segfault)."""
    ftrl = {"kind": "ftrl", "initial_accumulator_value": 0.1}   # two slots per parameter
    slots = np.zeros(8, F32)
    for n in (2**62, 2**63 - 1, 5):
        with pytest.raises((ValueError, OverflowError)):
            _core.opt_init_slots(ftrl, slots, n)
    _core.opt_init_slots(ftrl, slots, 4)
    assert np.all(slots[:4] == F32(0.1)) and np.all(slots[4:] == 0)


def test_loss_and_metric_on_zero_columns_are_refused():
    """Before: the per-row values were left uninitialised."""
    empty = np.zeros((3, 0), F32)
    with pytest.raises(ValueError, match="column"):
        _core.loss_forward({"kind": "mse"}, empty, empty)
    with pytest.raises(ValueError, match="column"):
        _core.loss_backward({"kind": "mse"}, empty, empty, None, 1.0, "linear")
    with pytest.raises(ValueError, match="column"):
        _core.metric_update({"kind": "mse"}, empty, empty, None)


def test_noise_map_out_of_range_is_refused():
    drop = {"kind": "dropout", "in_shape": [3], "out_shape": [3], "rate": 0.5, "noise_map": [0, 1, 5],
            "noise_size": 2}
    with pytest.raises(ValueError, match="'noise_map'"):
        plan(layers=[dense(), drop])
    drop["noise_map"] = [0, 1]
    with pytest.raises(ValueError, match="'noise_map'"):
        plan(layers=[dense(), drop])
    drop["noise_map"] = [0, 1, 1]
    assert plan(layers=[dense(), drop]).batch_max() == 8


def test_activations_on_empty_rows_read_nothing():
    """Found by the fuzzer: softmax on (n, 0) read each row's first element past the array."""
    softmax = {"kind": "softmax"}
    for shape in [(3, 0), (0, 3), (0, 0)]:
        x = np.zeros(shape, np.float32)
        assert _core.act_forward(softmax, x).shape == shape
        assert _core.act_backward(softmax, x, x, x).shape == shape


def test_the_python_kinds_run_only_inside_a_plan():
    """A fuzzer finding: the kernels' entry points took the 'python' optimizer, loss and metric, which
    call a host only a plan installs (the optimizer asserted on its missing slots)."""
    p, g = np.zeros(3, F32), np.ones(3, F32)
    with pytest.raises(ValueError, match="opt_step: the 'python' kind runs only inside a model's plan"):
        _core.opt_step({"kind": "python"}, p, np.zeros(0, F32), g, 1, 0.1)
    y = np.zeros((2, 1), F32)
    with pytest.raises(ValueError, match="loss_forward: the 'python' kind"):
        _core.loss_forward({"kind": "python"}, y, y)
    with pytest.raises(ValueError, match="loss_backward: the 'python' kind"):
        _core.loss_backward({"kind": "python"}, y, y, None, 1.0, "linear")
