"""Every cnn metric against Keras 3's on the same random data: binary, multi-class and multi-label
targets, with and without sample weights, with ties (scores on a coarse grid) and empty classes.
Each case feeds two batches through update_state, then compares result(). Also Keras's docstring
values, and the cost of metrics=['accuracy', 'auc'] in an MLP 784-128-10 epoch.

    KERAS_BACKEND=torch PYTHONPATH=/tmp/build /work/oracle-venv/bin/python benchmarks/compare_keras_metrics.py
"""
import os
import sys
import time

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    import keras
except ImportError:
    sys.exit("Keras is not installed: nothing to compare")
import cnn  # noqa: E402

RNG = np.random.default_rng(8)


def data(kind, n=64, c=5):
    """(y_true, y_pred) for a target kind; scores on a grid of tenths give ties, column 1 is never true."""
    if kind == "binary":
        y = RNG.integers(0, 2, (n, 1)).astype("float32")
        p = np.round(RNG.uniform(0, 1, (n, 1)), 1).astype("float32")
    elif kind == "multiclass":
        ids = RNG.choice([0, 2, 3, 4], n)
        y = np.eye(c, dtype="float32")[ids]
        p = RNG.dirichlet(np.ones(c), n).astype("float32")
        p[: n // 4] = np.round(p[: n // 4], 1)
    elif kind == "sparse":
        y = RNG.choice([0, 2, 3, 4], n).astype("float32")
        p = np.round(RNG.dirichlet(np.ones(c), n), 1).astype("float32")
    elif kind == "multilabel":
        y = (RNG.uniform(size=(n, c)) < 0.4).astype("float32")
        y[:, 1] = 0
        p = np.round(RNG.uniform(0, 1, (n, c)), 2).astype("float32")
    elif kind == "multilabel_unrounded":   # top_k: torch's topk breaks ties its own way (cnn and TF: lower index)
        y = (RNG.uniform(size=(n, c)) < 0.4).astype("float32")
        p = RNG.uniform(0, 1, (n, c)).astype("float32")
    elif kind == "logits":
        y = (RNG.uniform(size=(n, c)) < 0.4).astype("float32")
        p = RNG.normal(0, 2, (n, c)).astype("float32")
    else:  # regression
        y = RNG.uniform(0.1, 3, (n, c)).astype("float32")
        p = (y + RNG.normal(0, 0.5, (n, c))).clip(0.05).astype("float32")
    return y, p


# (class name, constructor kwargs, target kinds)
CASES = [
    ("Accuracy", {}, ["binary"]),
    ("BinaryAccuracy", {}, ["binary", "multilabel"]),
    ("BinaryAccuracy", {"threshold": 0.7}, ["multilabel"]),
    ("CategoricalAccuracy", {}, ["multiclass"]),
    ("SparseCategoricalAccuracy", {}, ["sparse"]),
    ("TopKCategoricalAccuracy", {"k": 2}, ["multiclass"]),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, ["sparse"]),
    ("Precision", {}, ["binary", "multilabel"]),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, ["binary"]),
    ("Precision", {"thresholds": [0.2, 0.35, 0.9]}, ["multilabel"]),
    ("Precision", {"top_k": 2}, ["multilabel_unrounded"]),
    ("Precision", {"class_id": 2}, ["multiclass"]),
    ("Recall", {}, ["binary", "multilabel"]),
    ("Recall", {"top_k": 2, "class_id": 3}, ["multilabel_unrounded"]),
    ("Recall", {"thresholds": [0.3, 0.6]}, ["binary"]),
    ("AUC", {}, ["binary", "multilabel"]),
    ("AUC", {"curve": "PR"}, ["binary", "multilabel"]),
    ("AUC", {"summation_method": "minoring"}, ["binary"]),
    ("AUC", {"summation_method": "majoring", "curve": "PR"}, ["binary"]),
    ("AUC", {"num_thresholds": 7}, ["binary"]),
    ("AUC", {"multi_label": True}, ["multilabel"]),
    ("AUC", {"multi_label": True, "curve": "PR"}, ["multilabel"]),
    ("AUC", {"from_logits": True}, ["logits"]),
    ("AUC", {"thresholds": [0.1, 0.5, 0.65]}, ["binary"]),
    ("PrecisionAtRecall", {"recall": 0.6}, ["binary", "multilabel"]),
    ("RecallAtPrecision", {"precision": 0.5, "num_thresholds": 20}, ["binary"]),
    ("SensitivityAtSpecificity", {"specificity": 0.4, "class_id": 2}, ["multilabel"]),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 1}, ["binary"]),
    ("TruePositives", {}, ["binary"]),
    ("FalsePositives", {"thresholds": [0.3, 0.8]}, ["binary"]),
    ("TrueNegatives", {}, ["multilabel"]),
    ("FalseNegatives", {}, ["binary"]),
    ("F1Score", {}, ["multiclass", "multilabel"]),
    ("F1Score", {"average": "micro", "threshold": 0.5}, ["multilabel"]),
    ("F1Score", {"average": "macro"}, ["multiclass"]),
    ("F1Score", {"average": "weighted", "threshold": 0.3}, ["multilabel"]),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.4}, ["multilabel"]),
    ("MeanSquaredError", {}, ["regression"]),
    ("RootMeanSquaredError", {}, ["regression"]),
    ("MeanAbsoluteError", {}, ["regression"]),
    ("MeanAbsolutePercentageError", {}, ["regression"]),
    ("MeanSquaredLogarithmicError", {}, ["regression"]),
    ("LogCoshError", {}, ["regression"]),
    ("CosineSimilarity", {}, ["regression"]),
    ("R2Score", {}, ["regression"]),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, ["regression"]),
    ("R2Score", {"class_aggregation": None}, ["regression"]),
    ("BinaryCrossentropy", {}, ["multilabel"]),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, ["logits"]),
    ("CategoricalCrossentropy", {}, ["multiclass"]),
    ("SparseCategoricalCrossentropy", {}, ["sparse"]),
    ("Hinge", {}, ["multilabel"]),
    ("SquaredHinge", {}, ["multilabel"]),
    ("CategoricalHinge", {}, ["multiclass"]),
    ("KLDivergence", {}, ["multiclass"]),
    ("Poisson", {}, ["regression"]),
]


def run(cls_name, kwargs, kind, weighted):
    ours, theirs = getattr(cnn.metrics, cls_name)(**kwargs), getattr(keras.metrics, cls_name)(**kwargs)
    for _ in range(2):
        y, p = data(kind)
        w = RNG.choice([0.0, 0.5, 1.0, 2.0], len(y)).astype("float32") if weighted else None
        ours.update_state(y, p, sample_weight=w)
        theirs.update_state(y, p, sample_weight=w)
    a = np.asarray(ours.result(), np.float64)
    b = np.asarray(keras.ops.convert_to_numpy(theirs.result()), np.float64)
    return a, b


def compare():
    worst, failed = 0.0, 0
    for cls_name, kwargs, kinds in CASES:
        for kind in kinds:
            for weighted in (False, True):
                a, b = run(cls_name, kwargs, kind, weighted)
                err = float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.shape == b.shape else np.inf
                ok = err <= 2e-6
                failed += not ok
                worst = max(worst, err) if np.isfinite(err) else worst
                if not ok:
                    print(f"MISMATCH {cls_name}{kwargs} {kind} weighted={weighted}: cnn {a} keras {b}")
                else:
                    print(f"ok  {cls_name:30s} {str(kwargs):48s} {kind:20s} w={int(weighted)}  rel {err:.1e}")
    print(f"{failed} mismatches; worst relative difference {worst:.2e}")
    return failed


def timing(repeats=5):
    """One thread, so the thread CPU time holds all the work (the machine is shared: min of repeats)."""
    cnn.utils.set_num_threads(1)
    x, y = RNG.normal(size=(60000, 784)).astype("float32"), RNG.integers(0, 10, 60000)
    times = {}
    for metrics in ([], ["accuracy", "auc"]):
        cnn.utils.set_random_seed(0)
        model = cnn.Sequential([cnn.Input(shape=(784,)), cnn.layers.Dense(128, activation="relu"),
                                cnn.layers.Dense(10, activation="softmax")])
        model.compile("adam", "categorical_crossentropy", metrics=metrics)
        yy = np.eye(10, dtype="float32")[y]
        best = np.inf
        for _ in range(repeats):
            t = time.thread_time()
            model.fit(x, yy, batch_size=32, epochs=1, verbose=0, shuffle=False)
            best = min(best, time.thread_time() - t)
        times[str(metrics)] = best
    base, with_m = times["[]"], times["['accuracy', 'auc']"]
    print(f"MLP 784-128-10 epoch (60000 rows, batch 32), thread CPU min of {repeats}: without metrics "
          f"{base:.3f} s, with ['accuracy', 'auc'] {with_m:.3f} s: {100 * (with_m / base - 1):+.1f}%")


if __name__ == "__main__":
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    bad = compare()
    if "--no-timing" not in sys.argv:
        timing()
    sys.exit(1 if bad else 0)
