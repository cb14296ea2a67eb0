"""Evaluation tools on predictions (NumPy): confusion matrix, classification report, ROC and
precision-recall curves, log loss and ROC AUC (one-vs-rest for several classes). Their results and
conventions are scikit-learn's (sklearn.metrics), so course material written for it reads the same."""
import numpy as np


def _labels_of(*arrays):
    return np.unique(np.concatenate([np.asarray(a).reshape(-1) for a in arrays]))


def _weights(sample_weight, n, name="sample_weight"):
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, np.float64).reshape(-1)
    if w.shape != (n,):
        raise ValueError(f"{name} must have one value per sample ({n}), got shape {np.shape(sample_weight)}")
    return w


def _pair(y_true, y_pred, pred_name="y_pred"):
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred)
    if len(y_pred) != len(y_true):
        raise ValueError(f"y_true has {len(y_true)} samples but {pred_name} has {len(y_pred)}")
    return y_true, y_pred


def confusion_matrix(y_true, y_pred, labels=None, sample_weight=None, normalize=None):
    """Counts C[i, j] of samples of true class labels[i] predicted as labels[j] (weighted when
    sample_weight is given). normalize: None (counts), "true" (each row sums to 1), "pred" (each column)
    or "all" (the whole matrix); an empty row or column stays 0."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_pred = y_pred.reshape(-1)
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all'; got normalize={normalize!r}")
    labels = _labels_of(y_true, y_pred) if labels is None else np.asarray(labels)
    if labels.size == 0:
        raise ValueError("labels must hold at least one label")
    index = {label: k for k, label in enumerate(labels.tolist())}
    w = _weights(sample_weight, len(y_true))
    cm = np.zeros((len(labels), len(labels)), np.float64)
    for t, p, wi in zip(y_true.tolist(), y_pred.tolist(), w):
        if t in index and p in index:
            cm[index[t], index[p]] += wi
    if sample_weight is None and normalize is None:
        cm = cm.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
    return np.nan_to_num(cm) if normalize else cm


def _prf(cm):
    """Per-class precision, recall, F1 and support from a confusion matrix (0 where undefined)."""
    tp = np.diag(cm).astype(np.float64)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, recall, f1, support


def classification_report(y_true, y_pred, labels=None, target_names=None, sample_weight=None, digits=2,
                          output_dict=False):
    """Per-class precision, recall, F1 and support, then accuracy (or the micro average when `labels`
    leaves some classes out), the macro and the support-weighted averages: text as scikit-learn prints
    it, or a dict with output_dict=True. An undefined ratio (no sample predicted or present) is 0."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_pred = y_pred.reshape(-1)
    present = _labels_of(y_true, y_pred)
    labels_given = labels is not None
    labels = present if labels is None else np.asarray(labels)
    names = [str(label) for label in labels] if target_names is None else [str(n) for n in target_names]
    if len(names) != len(labels):
        raise ValueError(f"target_names has {len(names)} names for {len(labels)} labels")
    union = _labels_of(present, labels)
    full = confusion_matrix(y_true, y_pred, labels=union, sample_weight=sample_weight).astype(np.float64)
    pick = np.searchsorted(union, labels)   # per-class counts see every sample, whatever its other label
    precision, recall, f1, support = (v[pick] for v in _prf(full))
    report = {n: {"precision": float(p), "recall": float(r), "f1-score": float(f), "support": _num(s)}
              for n, p, r, f, s in zip(names, precision, recall, f1, support)}
    total = support.sum()
    if not labels_given or set(labels.tolist()) >= set(present.tolist()):
        report["accuracy"] = float(np.trace(full) / full.sum()) if full.sum() else 0.0
    else:
        tp, pred_total = np.diag(full)[pick].sum(), full.sum(axis=0)[pick].sum()
        p = tp / pred_total if pred_total else 0.0
        r = tp / total if total else 0.0
        report["micro avg"] = {"precision": float(p), "recall": float(r),
                               "f1-score": float(2 * p * r / (p + r)) if p + r else 0.0, "support": _num(total)}
    weights = support / total if total else np.zeros_like(support)
    report["macro avg"] = {"precision": float(precision.mean()), "recall": float(recall.mean()),
                           "f1-score": float(f1.mean()), "support": _num(total)}
    report["weighted avg"] = {"precision": float((precision * weights).sum()),
                              "recall": float((recall * weights).sum()),
                              "f1-score": float((f1 * weights).sum()), "support": _num(total)}
    return report if output_dict else _report_text(report, names, digits)


def _num(x):
    return int(x) if float(x).is_integer() else float(x)


def _report_text(report, names, digits):
    headers = ["precision", "recall", "f1-score", "support"]
    width = max(max(len(n) for n in names), len("weighted avg"), digits)
    text = ("{:>{width}s} " + " {:>9}" * 4).format("", *headers, width=width) + "\n\n"
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    for n in names:
        text += row.format(n, *(report[n][h] for h in headers), width=width, digits=digits)
    text += "\n"
    if "accuracy" in report:
        text += ("{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n").format(
            "accuracy", "", "", report["accuracy"], report["macro avg"]["support"], width=width, digits=digits)
    for heading in ("micro avg", "macro avg", "weighted avg"):
        if heading in report:
            text += row.format(heading, *(report[heading][h] for h in headers), width=width, digits=digits)
    return text


def _binary_clf_curve(y_true, y_score, pos_label, sample_weight):
    """Distinct thresholds (descending) and the weighted true / false positives at each."""
    y_true, y_score = _pair(y_true, y_score, "y_score")
    y_score = np.asarray(y_score, np.float64).reshape(-1)
    classes = np.unique(y_true)
    if pos_label is None:
        if not (set(classes.tolist()) <= {0, 1} or set(classes.tolist()) <= {-1, 1}):
            raise ValueError(f"y_true takes values {classes.tolist()}: name the positive class with pos_label")
        pos_label = 1
    positive = (y_true == pos_label).astype(np.float64)
    w = _weights(sample_weight, len(y_true))
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, positive, w = y_score[order], positive[order], w[order]
    last = np.r_[np.where(np.diff(y_score))[0], len(y_score) - 1]
    tps = np.cumsum(positive * w)[last]
    fps = np.cumsum((1 - positive) * w)[last]
    return fps, tps, y_score[last]


def roc_curve(y_true, y_score, pos_label=None, sample_weight=None, drop_intermediate=True):
    """(fpr, tpr, thresholds): the ROC curve's points from the highest threshold (inf: nothing is
    positive) down; with drop_intermediate, points on a straight segment are left out."""
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps, tps, thresholds = np.r_[0, fps], np.r_[0, tps], np.r_[np.inf, thresholds]
    with np.errstate(divide="ignore", invalid="ignore"):
        fpr = fps / fps[-1] if fps[-1] > 0 else np.full(fps.shape, np.nan)
        tpr = tps / tps[-1] if tps[-1] > 0 else np.full(tps.shape, np.nan)
    return fpr, tpr, thresholds


def precision_recall_curve(y_true, y_score, pos_label=None, sample_weight=None, drop_intermediate=False):
    """(precision, recall, thresholds) by increasing threshold, ending at precision 1, recall 0."""
    fps, tps, thresholds = _binary_clf_curve(y_true, y_score, pos_label, sample_weight)
    if drop_intermediate and len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True])[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return np.r_[precision[::-1], 1], np.r_[recall[::-1], 0], thresholds[::-1]


def auc(x, y):
    """The area under a curve by the trapezoidal rule (x monotonic)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"x and y must be 1-D with the same length of at least 2, got {x.shape} and {y.shape}")
    d = np.diff(x)
    if np.any(d < 0) and np.any(d > 0):
        raise ValueError("x is neither increasing nor decreasing")
    area = float(np.sum(d * (y[1:] + y[:-1]) / 2))
    return -area if np.all(d <= 0) else area


def roc_auc_score(y_true, y_score, average="macro", sample_weight=None, multi_class="ovr", labels=None):
    """ROC AUC: binary (y_score: the positive class's score, or two columns), or one-vs-rest over
    several classes (y_score [n, classes]) averaged "macro" (plain mean), "weighted" (by prevalence) or
    None (per class)."""
    y_true, y_score = _pair(y_true, y_score, "y_score")
    y_score = np.asarray(y_score, np.float64)
    if y_score.ndim == 1 or y_score.shape[1] == 1:
        fpr, tpr, _ = roc_curve(y_true, y_score.reshape(-1), sample_weight=sample_weight, drop_intermediate=False)
        return auc(fpr, tpr)
    if multi_class != "ovr":
        raise ValueError(f"only multi_class='ovr' (one-vs-rest) is supported, got multi_class={multi_class!r}")
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_score.shape[1] == 2 and len(classes) <= 2:
        return roc_auc_score(y_true == classes[-1], y_score[:, 1], sample_weight=sample_weight)
    if len(classes) != y_score.shape[1]:
        raise ValueError(f"y_score has {y_score.shape[1]} columns for {len(classes)} classes in y_true")
    scores = np.array([roc_auc_score((y_true == c).astype(int), y_score[:, k], sample_weight=sample_weight)
                       for k, c in enumerate(classes)])
    if average is None:
        return scores
    if average == "weighted":
        prevalence = np.array([_weights(sample_weight, len(y_true))[y_true == c].sum() for c in classes])
        return float((scores * prevalence).sum() / prevalence.sum())
    if average == "macro":
        return float(scores.mean())
    raise ValueError(f"average must be 'macro', 'weighted' or None; got average={average!r}")


def log_loss(y_true, y_pred, normalize=True, sample_weight=None, labels=None):
    """The mean (or with normalize=False the summed) negative log-likelihood of the true classes; y_pred
    holds probabilities per class (columns in sorted label order), or the positive class's for two.
    Probabilities are clipped to [eps, 1 - eps] (float64 eps) and each row renormalized."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_pred = np.asarray(y_pred, np.float64)
    classes = np.unique(y_true) if labels is None else np.asarray(labels)
    if y_pred.ndim == 1 or y_pred.shape[1] == 1:
        y_pred = y_pred.reshape(-1, 1)
        y_pred = np.hstack([1 - y_pred, y_pred])
    if len(classes) == 1 and y_pred.shape[1] == 2:
        classes = np.array([0, 1]) if classes[0] in (0, 1) else classes
    if y_pred.shape[1] != len(classes):
        raise ValueError(f"y_pred has {y_pred.shape[1]} columns for the {len(classes)} labels {classes.tolist()}")
    index = {c: k for k, c in enumerate(classes.tolist())}
    missing = set(y_true.tolist()) - set(index)
    if missing:
        raise ValueError(f"y_true holds labels {sorted(missing)} missing from labels={classes.tolist()}")
    eps = np.finfo(np.float64).eps
    p = np.clip(y_pred, eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    rows = np.array([index[t] for t in y_true.tolist()])
    losses = -np.log(p[np.arange(len(rows)), rows])
    w = _weights(sample_weight, len(rows))
    return float((losses * w).sum() / w.sum()) if normalize else float((losses * w).sum())
