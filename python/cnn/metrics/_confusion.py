"""Metrics on confusion counts per threshold (Keras 3's confusion_metrics.py): Precision, Recall, AUC,
TruePositives/FalsePositives/TrueNegatives/FalseNegatives, and F1Score/FBetaScore (per-class counts).
The core keeps per-bucket sums (cnn.h, CNN_METRIC_CONFUSION); the counts are rebuilt here."""
import numpy as np

from cnn.metrics._base import Metric, div_no_nan, f32

EPSILON = 1e-7          # Keras's backend.epsilon()
NEG_INF = -1e10         # Keras's metrics_utils.NEG_INF


def _evenly_distributed(thresholds):
    """Keras's is_evenly_distributed_thresholds: at least 3, spaced as i / (n - 1)."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=EPSILON)


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [float(default)]
    values = [thresholds] if np.ndim(thresholds) == 0 else list(thresholds)
    out = []
    for t in values:
        if not isinstance(t, (int, float, np.floating, np.integer)) or isinstance(t, bool) or not 0 <= t <= 1:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: thresholds={thresholds!r}")
        out.append(float(t))
    return out


class _Confusion(Metric):
    """Holds thresholds (sorted as given) and rebuilds tp, fp, tn, fn [thresholds, labels]."""
    top_k = None
    class_id = None
    _from_logits = False
    multi_label = False

    def _setup(self, thresholds, even, epsilon_ends):
        self.thresholds = list(thresholds)
        self._even = bool(even)
        self._epsilon_ends = bool(epsilon_ends)

    def c_records(self):
        base = {"kind": "confusion", "top_k": int(self.top_k or 0),
                "class_id": -1 if self.class_id is None else int(self.class_id),
                "from_logits": bool(self._from_logits), "multi_label": bool(self.multi_label)}
        if self._even:
            return [{**base, "num_thresholds": len(self.thresholds), "epsilon_ends": self._epsilon_ends}]
        return [{**base, "threshold": float(t)} for t in self.thresholds]   # one compared with > each

    def counts(self, state, cols):
        """tp, fp, tn, fn as float64 arrays [thresholds, labels]."""
        T = len(self.thresholds)
        L = cols if self.multi_label else 1
        if self._even:
            pos, neg = state[:T * L].reshape(T, L), state[T * L:2 * T * L].reshape(T, L)
            pos_total, neg_total = state[2 * T * L:2 * T * L + L], state[2 * T * L + L:2 * T * L + 2 * L]
            tp = np.cumsum(pos[::-1], axis=0)[::-1]     # a score in bucket b passes thresholds 0..b
            fp = np.cumsum(neg[::-1], axis=0)[::-1]
        else:
            per = state.reshape(T, 4, L)
            tp, fp, pos_total, neg_total = per[:, 0], per[:, 1], per[:, 2], per[:, 3]
        return tp, fp, neg_total - fp, pos_total - tp

    def _one(self, values):
        return f32(values[0] if len(self.thresholds) == 1 else values)


class Precision(_Confusion):
    """tp / (tp + fp) at each threshold (0.5 by default; top_k / class_id restrict the predictions)."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        t = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._setup(t, _evenly_distributed(t), False)
        super().__init__(name, dtype)

    def result_from_state(self, state, cols):
        tp, fp, _, _ = self.counts(state, cols)
        return self._one(div_no_nan(tp, tp + fp)[:, 0])

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Recall(Precision):
    """tp / (tp + fn) at each threshold."""

    def result_from_state(self, state, cols):
        tp, _, _, fn = self.counts(state, cols)
        return self._one(div_no_nan(tp, tp + fn)[:, 0])


class _ConditionCount(_Confusion):
    _which = 0

    def __init__(self, thresholds=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        t = _parse_thresholds(thresholds, 0.5)
        self._setup(t, _evenly_distributed(t), False)
        super().__init__(name, dtype)

    def result_from_state(self, state, cols):
        return self._one(self.counts(state, cols)[self._which][:, 0])

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """The weighted count of true positives at each threshold."""
    _which = 0


class FalsePositives(_ConditionCount):
    """The weighted count of false positives at each threshold."""
    _which = 1


class TrueNegatives(_ConditionCount):
    """The weighted count of true negatives at each threshold."""
    _which = 2


class FalseNegatives(_ConditionCount):
    """The weighted count of false negatives at each threshold."""
    _which = 3


class AUC(_Confusion):
    """Area under the ROC or PR curve, from confusion counts at num_thresholds thresholds."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f'Invalid `curve` argument value "{curve}". Expected one of: ROC, PR')
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid `summation_method` argument value "{summation_method}". Expected one '
                             "of: interpolation, minoring, majoring")
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            even = _evenly_distributed(np.array([0.0] + inner + [1.0]))
            self.num_thresholds = len(inner) + 2
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds!r}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            even = True
        self._init_from_thresholds = thresholds is not None
        self._setup([0.0 - EPSILON] + inner + [1.0 + EPSILON], even, True)
        self.curve = curve
        self.summation_method = summation_method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, np.float64)
        self._from_logits = bool(from_logits)
        super().__init__(name, dtype)

    def _reduce(self, by_label):
        if not self.multi_label:
            return f32(by_label.sum())
        per = by_label.sum(axis=0)
        if self.label_weights is None:
            return f32(per.mean())
        return f32(div_no_nan((per * self.label_weights).sum(), self.label_weights.sum()))

    def result_from_state(self, state, cols):
        tp, fp, tn, fn = self.counts(state, cols)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = div_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = div_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, div_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._reduce((x[:-1] - x[1:]) * heights)

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Davis & Goadrich 2006, as Keras: precision interpolated between thresholds."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = div_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), div_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        inc = div_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._reduce(inc)

    @property
    def thresholds_list(self):
        return list(self.thresholds)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "multi_label": self.multi_label,
                "num_labels": self.num_labels, "from_logits": self._from_logits,
                "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                "thresholds": self.thresholds[1:-1] if self._init_from_thresholds else None}


class FBetaScore(Metric):
    """The F-beta score per class, or averaged (micro, macro, weighted)."""
    _kind = "fbeta"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float > 0. Received: "
                             f"beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(f"Invalid `threshold` argument value. It should be a Python float with "
                             f"0 < threshold <= 1. Received: threshold={threshold!r}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        super().__init__(name, dtype)

    def c_record(self):
        return {"kind": "fbeta", "argmax": self.threshold is None,
                "threshold": 0.5 if self.threshold is None else self.threshold}

    def result_from_state(self, state, cols):
        tp, fp, fn, support = (np.float32(state[k * cols:(k + 1) * cols]) for k in range(4))
        if self.average == "micro":
            tp, fp, fn, support = tp.sum(), fp.sum(), fn.sum(), support.sum()
        eps = np.float32(EPSILON)
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = np.float32(self.beta ** 2)
        f = precision * recall / (b2 * precision + recall + eps) * (1 + b2)
        if self.average == "weighted":
            f = (f * (support / (support.sum() + eps))).sum()
        elif self.average is not None:
            f = np.mean(f)
        return f32(f)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score (beta = 1) per class, or averaged."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
