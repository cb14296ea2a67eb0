"""Evaluation tools (cnn.metrics.evaluation, plotting) against scikit-learn's functions of the same
name, and the six-patient ROC example a student works out by hand."""
import numpy as np
import pytest

from cnn import metrics as M

sk = pytest.importorskip("sklearn.metrics")
RNG = np.random.default_rng(11)

# the seed example: six patients, Infected is the positive class
SCORES = [0.21, 0.67, 0.56, 0.31, 0.70, 0.84]
CLASSES = ["Healthy", "Infected", "Healthy", "Healthy", "Infected", "Healthy"]


def test_six_patients_roc_by_hand():
    fpr, tpr, thresholds = M.roc_curve(CLASSES, SCORES, pos_label="Infected", drop_intermediate=False)
    # thresholds from the top: 0.84 (a healthy patient: FP), 0.70 and 0.67 (both infected), then the rest
    np.testing.assert_allclose(thresholds, [np.inf, 0.84, 0.70, 0.67, 0.56, 0.31, 0.21])
    np.testing.assert_allclose(fpr, [0, 0.25, 0.25, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(tpr, [0, 0, 0.5, 1.0, 1.0, 1.0, 1.0])
    assert M.auc(fpr, tpr) == pytest.approx(0.75)   # 6 of the 8 (infected, healthy) pairs ranked right
    y = [c == "Infected" for c in CLASSES]
    assert M.roc_auc_score(np.array(y, int), SCORES) == pytest.approx(0.75)
    # the streaming AUC sees the same thing
    assert M.AUC(num_thresholds=1000)(np.array(y, float), SCORES) == pytest.approx(0.75, abs=1e-6)
    fpr_d, tpr_d, _ = M.roc_curve(CLASSES, SCORES, pos_label="Infected")   # straight runs dropped
    np.testing.assert_allclose(fpr_d, [0, 0.25, 0.25, 1.0])
    np.testing.assert_allclose(tpr_d, [0, 0, 1.0, 1.0])


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
@pytest.mark.parametrize("weighted", [False, True])
def test_confusion_matrix_matches_sklearn(normalize, weighted):
    y, p = RNG.integers(0, 4, 60), RNG.integers(0, 4, 60)
    y[y == 3] = 2                      # class 3 is never true: an empty row
    w = RNG.uniform(0, 2, 60) if weighted else None
    ours = M.confusion_matrix(y, p, normalize=normalize, sample_weight=w)
    np.testing.assert_allclose(ours, sk.confusion_matrix(y, p, normalize=normalize, sample_weight=w))
    if normalize is None and not weighted:
        assert ours.dtype.kind == "i"
    np.testing.assert_array_equal(M.confusion_matrix(y, p, labels=[2, 0]), sk.confusion_matrix(y, p, labels=[2, 0]))


def test_confusion_matrix_string_labels_and_bad_normalize():
    y, p = ["cat", "dog", "dog"], ["cat", "cat", "dog"]
    np.testing.assert_array_equal(M.confusion_matrix(y, p), [[1, 0], [1, 1]])
    with pytest.raises(ValueError, match="normalize='rows'"):
        M.confusion_matrix(y, p, normalize="rows")


@pytest.mark.parametrize("labels", [None, [0, 1, 2, 3], [0, 1]])
def test_classification_report_matches_sklearn(labels):
    y, p = RNG.integers(0, 4, 50), RNG.integers(0, 4, 50)
    ours, theirs = (f(y, p, labels=labels, output_dict=True) for f in (M.classification_report,
                                                                        sk.classification_report))
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        if isinstance(value, dict):
            for field, v in value.items():
                assert ours[key][field] == pytest.approx(v, rel=1e-12), (key, field)
        else:
            assert ours[key] == pytest.approx(value)
    assert M.classification_report(y, p, labels=labels) == sk.classification_report(y, p, labels=labels)


def test_classification_report_names_and_digits():
    y, p = [0, 1, 2, 2], [0, 2, 2, 2]
    names = ["setosa", "versicolor", "virginica"]
    text = M.classification_report(y, p, target_names=names, digits=3)
    assert text == sk.classification_report(y, p, target_names=names, digits=3, zero_division=0)
    assert "versicolor      0.000" in text


@pytest.mark.parametrize("drop", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_and_pr_curves_match_sklearn(drop, weighted):
    y = RNG.integers(0, 2, 120)
    s = np.round(RNG.uniform(size=120), 1)     # many ties
    w = RNG.uniform(0, 2, 120) if weighted else None
    for ours, theirs in ((M.roc_curve(y, s, sample_weight=w, drop_intermediate=drop),
                          sk.roc_curve(y, s, sample_weight=w, drop_intermediate=drop)),
                         (M.precision_recall_curve(y, s, sample_weight=w, drop_intermediate=drop),
                          sk.precision_recall_curve(y, s, sample_weight=w, drop_intermediate=drop))):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    assert M.roc_auc_score(y, s, sample_weight=w) == pytest.approx(sk.roc_auc_score(y, s, sample_weight=w))


@pytest.mark.parametrize("average", ["macro", "weighted", None])
def test_one_vs_rest_auc_matches_sklearn(average):
    y = RNG.integers(0, 4, 80)
    scores = RNG.dirichlet(np.ones(4), 80)
    ours = M.roc_auc_score(y, scores, average=average)
    np.testing.assert_allclose(ours, sk.roc_auc_score(y, scores, multi_class="ovr", average=average))


def test_log_loss_matches_sklearn():
    y = RNG.integers(0, 3, 40)
    p = RNG.dirichlet(np.ones(3), 40)
    w = RNG.uniform(0, 2, 40)
    assert M.log_loss(y, p) == pytest.approx(sk.log_loss(y, p), rel=1e-12)
    assert M.log_loss(y, p, sample_weight=w) == pytest.approx(sk.log_loss(y, p, sample_weight=w), rel=1e-12)
    assert M.log_loss(y, p, normalize=False) == pytest.approx(sk.log_loss(y, p, normalize=False), rel=1e-12)
    yb, pb = RNG.integers(0, 2, 30), RNG.uniform(size=30)
    pb[0] = 0.0                                   # clipped, not infinite
    assert M.log_loss(yb, pb) == pytest.approx(sk.log_loss(yb, pb), rel=1e-12)
    with pytest.raises(ValueError, match="columns"):
        M.log_loss(y, p[:, :2])


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="pos_label"):
        M.roc_curve(["a", "b"], [0.1, 0.9])
    with pytest.raises(ValueError, match="samples"):
        M.roc_curve([0, 1, 1], [0.1, 0.9])
    with pytest.raises(ValueError, match="sample_weight"):
        M.confusion_matrix([0, 1], [0, 1], sample_weight=[1.0])


def test_plots_return_figures():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8], "val_loss": [1.1, 0.7, 0.6],
               "val_accuracy": [0.4, 0.6, 0.7]}
    fig = M.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in fig.axes[0].lines] == ["training", "validation"]
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), history["val_accuracy"])
    fig2 = M.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], display_labels=["a", "b", "c"])
    texts = [t.get_text() for t in fig2.axes[0].texts]
    assert texts == ["1", "0", "0", "0", "1", "1", "0", "0", "1"]
    fig3 = M.plot_roc_curve([c == "Infected" for c in CLASSES], SCORES)
    assert fig3.axes[0].get_legend().get_texts()[0].get_text() == "AUC = 0.750"
    fig4 = M.plot_roc_curve(RNG.integers(0, 3, 30), RNG.dirichlet(np.ones(3), 30))
    assert len(fig4.axes[0].get_legend().get_texts()) == 3
    with pytest.raises(ValueError, match="not in the history"):
        M.plot_history(history, metrics=["auc"])
    plt.close("all")
