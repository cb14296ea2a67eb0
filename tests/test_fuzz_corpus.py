"""The fuzz targets' seed corpus (tests/fuzz/corpus/) and a few hundred mutations of it, replayed on
every test run: each input must end in a documented exception or succeed. The bounded fuzzing run
under ASan/UBSan is .ci/fuzz."""
import pathlib
import random
import sys
import warnings

import pytest

FUZZ = pathlib.Path(__file__).resolve().parent / "fuzz"
sys.path.insert(0, str(FUZZ))

import run as fuzz_run  # noqa: E402  (tests/fuzz/run.py, on the path above)


@pytest.mark.parametrize("target,mutations", [("core", 300), ("loaders", 60)])
def test_corpus_and_mutations_end_cleanly(target, mutations):
    module = fuzz_run.load_target(target)
    seeds = [p.read_bytes() for p in sorted((FUZZ / "corpus" / target).iterdir())]
    assert seeds
    rnd = random.Random(14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for data in seeds + [fuzz_run.mutate(rnd, rnd.choice(seeds), seeds) for _ in range(mutations)]:
            module.one(data)


def test_the_loader_seeds_are_valid_files():
    """The seeds are real files (a mutation of garbage reaches nothing): each loads without error."""
    loaders = fuzz_run.load_target("loaders")
    saved = loaders.EXPECTED
    loaders.EXPECTED = ()
    try:
        for name in ("keras_members", "keras_raw", "weights_h5", "backup"):
            loaders.one((FUZZ / "corpus" / "loaders" / name).read_bytes())
    finally:
        loaders.EXPECTED = saved


def test_scce_plan_refuses_metrics_that_read_whole_rows():
    """Found by the core fuzzer (corpus/core/finding-scce-row-metric): with SCCE, y holds one id per
    row, and an MAE/MSE/accuracy metric reading `cols` labels per row read past y (heap overflow
    under ASan). The plan now refuses the combination; the sparse accuracy is fine."""
    import numpy as np

    from cnn import _core
    layer = [{"kind": "activation", "in_shape": [5], "out_shape": [5]}]
    args = ({"kind": "sgd"}, np.zeros(1, np.float32), 0, np.zeros(1, np.float32), 4)
    for kind in ("mae", "mse", "categorical_accuracy", "binary_accuracy"):
        with pytest.raises(ValueError, match="metrics"):
            _core.Plan(layer, {"kind": "scce"}, [{"kind": kind}], *args)
    plan = _core.Plan(layer, {"kind": "scce"}, [{"kind": "sparse_categorical_accuracy"}], *args)
    sums = plan.evaluate(np.ones((3, 5), np.float32), np.zeros((3, 1), np.float32), None, 2, None, 0.0)
    assert sums[1] == 3
