"""Plots for notebooks (matplotlib, the `plot` extra): training curves from a History, a confusion
matrix, ROC curves. Each returns its matplotlib Figure, so a notebook shows it and a test can read it."""
import numpy as np

from cnn.metrics.evaluation import auc, confusion_matrix, roc_auc_score, roc_curve


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plotting needs matplotlib: pip install 'cnn[plot]' (or matplotlib)") from e
    return plt


def plot_history(history, metrics=None, figsize=None):
    """One panel per logged quantity (loss first, then each metric), training and validation curves by
    epoch. history: a History (model.fit's return) or its .history dict; metrics: the names to draw
    (default: all)."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"history must be a History or a non-empty dict of lists, got {type(history).__name__}")
    names = [k for k in logs if not k.startswith("val_")]
    names = sorted(names, key=lambda k: (k != "loss", names.index(k))) if metrics is None else list(metrics)
    unknown = [n for n in names if n not in logs]
    if unknown:
        raise ValueError(f"metrics {unknown} are not in the history; it holds {sorted(logs)}")
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(names), figsize=figsize or (4.5 * len(names), 3.5), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], marker="o", ms=3, label="training")
        if "val_" + name in logs:
            ax.plot(epochs, logs["val_" + name], marker="o", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(y_true, y_pred, labels=None, display_labels=None, normalize=None, cmap="Blues",
                          figsize=(5, 4.5)):
    """The confusion matrix as a heat map with its values written in the cells (true class by row)."""
    labels = np.unique(np.concatenate([np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)])) \
        if labels is None else np.asarray(labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    names = [str(v) for v in (labels if display_labels is None else display_labels)]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize)
    image = ax.imshow(cm, cmap=cmap)
    fig.colorbar(image, ax=ax)
    fmt = "{:.2f}" if normalize else "{:d}" if cm.dtype.kind in "iu" else "{:.1f}"
    middle = (cm.max() + cm.min()) / 2
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, fmt.format(cm[i, j]), ha="center", va="center",
                    color="white" if cm[i, j] > middle else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    fig.tight_layout()
    return fig


def plot_roc_curve(y_true, y_score, labels=None, pos_label=None, figsize=(5, 4.5)):
    """ROC curves with their AUC in the legend: one for binary scores, one per class (one-vs-rest) for
    scores [n, classes]; the chance diagonal dashed."""
    y_true, y_score = np.asarray(y_true).reshape(-1), np.asarray(y_score, np.float64)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize)
    if y_score.ndim == 1 or y_score.shape[1] == 1:
        fpr, tpr, _ = roc_curve(y_true, y_score.reshape(-1), pos_label=pos_label)
        ax.plot(fpr, tpr, label=f"AUC = {auc(fpr, tpr):.3f}")
    else:
        classes = np.unique(y_true) if labels is None else np.asarray(labels)
        for k, c in enumerate(classes):
            fpr, tpr, _ = roc_curve((y_true == c).astype(int), y_score[:, k])
            ax.plot(fpr, tpr, label=f"{c} (AUC = {roc_auc_score((y_true == c).astype(int), y_score[:, k]):.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
