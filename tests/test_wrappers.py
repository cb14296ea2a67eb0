"""cnn.wrappers: scikit-learn estimators (Keras 3's SKLearnClassifier/Regressor/Transformer) in
scikit-learn's own tools, and GridSearchCV through joblib's Dask backend."""
import sys

import numpy as np
import pytest

import cnn
from cnn import layers

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from cnn.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

(XI, YI), _ = cnn.datasets.load_ionosphere()
QUIET = {"epochs": 8, "batch_size": 32, "verbose": 0}


def mlp(X, y, units=16, lr=0.01, seed=0, activation="softmax", loss="categorical_crossentropy"):
    """Sized from the data, as Keras's example; seeded so a fit gives the same model in any process."""
    cnn.utils.set_random_seed(seed)
    model = cnn.Sequential([layers.Input((X.shape[1],)), layers.Dense(units, activation="relu"),
                            layers.Dense(y.shape[1], activation=activation)])
    model.compile(optimizer=cnn.optimizers.Adam(lr), loss=loss)
    return model


def test_classifier_with_string_labels_predict_proba_and_score():
    labels = np.where(YI == 1, "bad", "good")
    clf = SKLearnClassifier(mlp, model_kwargs={"units": 16}, fit_kwargs=QUIET).fit(XI, labels)
    assert list(clf.classes_) == ["bad", "good"]
    pred = clf.predict(XI)
    assert pred.dtype.kind == "U" and set(pred) <= {"bad", "good"}
    proba = clf.predict_proba(XI)
    assert proba.shape == (len(XI), 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert np.array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    assert clf.score(XI, labels) > 0.8 and clf.n_features_in_ == 33 and clf.epoch_ == 8


def test_params_clone_and_warm_start():
    clf = SKLearnClassifier(mlp, model_kwargs={"units": 8}, fit_kwargs=QUIET)
    assert clf.get_params() == {"model": mlp, "model_kwargs": {"units": 8}, "fit_kwargs": QUIET, "warm_start": False}
    clf.set_params(model_kwargs={"units": 4})
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params() and not hasattr(twin, "model_")
    a, b = clf.fit(XI, YI).predict_proba(XI), twin.fit(XI, YI).predict_proba(XI)
    assert np.array_equal(a, b)   # seeded builds: identical fits
    warm = SKLearnClassifier(mlp, warm_start=True, fit_kwargs={**QUIET, "epochs": 1}).fit(XI, YI)
    first = warm.model_
    warm.fit(XI, YI)
    assert warm.model_ is first   # trained on, not rebuilt


def test_regressor_and_transformer_in_a_pipeline():
    (xt, yt), (xv, yv) = cnn.datasets.load_red_wine()
    reg = make_pipeline(StandardScaler(), SKLearnRegressor(mlp, model_kwargs={"activation": None, "loss": "mse"},
                                                           fit_kwargs=QUIET))
    reg.fit(xt, yt)
    assert reg.predict(xv).shape == (len(xv),) and reg.score(xv, yv) > 0.0
    enc = SKLearnTransformer(mlp, model_kwargs={"activation": "sigmoid", "loss": "mse"}, fit_kwargs=QUIET)
    codes = enc.fit(xt, np.stack([yt, 1 - yt], axis=1)).transform(xv)
    assert codes.shape == (len(xv), 2)


def test_cross_val_score_and_randomized_search():
    clf = SKLearnClassifier(mlp, fit_kwargs=QUIET)
    cv = cross_val_score(clf, XI, YI, cv=3)
    assert cv.shape == (3,) and cv.mean() > 0.7
    search = RandomizedSearchCV(clf, {"model_kwargs": [{"units": u} for u in (4, 8, 16, 32)]}, n_iter=2, cv=2,
                                random_state=0)
    search.fit(XI, YI)
    assert search.best_params_["model_kwargs"]["units"] in (4, 8, 16, 32)


def test_bad_model_is_named():
    with pytest.raises(TypeError, match="model must be a cnn model or a callable, got 3"):
        SKLearnClassifier(3).fit(XI, YI)
    with pytest.raises(ValueError, match="Only binary and multiclass"):
        SKLearnClassifier(mlp).fit(XI, XI[:, 2] + 0.5)


GRID = {"model_kwargs": [{"units": 4, "lr": 0.001}, {"units": 16, "lr": 0.01}, {"units": 32, "lr": 0.03}]}


def test_grid_search_cv_on_ionosphere_same_with_and_without_dask():
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    import cloudpickle

    alone = GridSearchCV(SKLearnClassifier(mlp, fit_kwargs=QUIET), GRID, cv=3).fit(XI, YI)
    # Workers cannot import this test module: its functions travel by value, as __main__'s do.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            with joblib.parallel_backend("dask"):
                spread = GridSearchCV(SKLearnClassifier(mlp, fit_kwargs=QUIET), GRID, cv=3, n_jobs=2).fit(XI, YI)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert spread.best_params_ == alone.best_params_
    assert np.array_equal(spread.cv_results_["mean_test_score"], alone.cv_results_["mean_test_score"])


def sized(X, y, activation="softmax", loss="categorical_crossentropy"):
    """A small network sized from whatever data scikit-learn's checks pass."""
    cnn.utils.set_random_seed(0)
    model = cnn.Sequential([layers.Input((X.shape[1],)), layers.Dense(8, activation="relu"),
                            layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


# A neural network trained for a few epochs cannot promise this check: a class whose samples all weigh
# 0 must never be predicted, but the output layer starts random and a few gradient steps need not erase it.
NOT_FOR_NETWORKS = {"check_classifiers_one_label_sample_weights":
                    "a few epochs from random weights need not stop predicting a zero-weight class"}


@pytest.mark.parametrize("estimator", [
    SKLearnClassifier(sized, fit_kwargs={"epochs": 2, "verbose": 0}),
    SKLearnRegressor(sized, model_kwargs={"activation": None, "loss": "mse"}, fit_kwargs={"epochs": 2, "verbose": 0}),
    SKLearnTransformer(sized, model_kwargs={"activation": None, "loss": "mse"}, fit_kwargs={"epochs": 2, "verbose": 0}),
], ids=lambda e: type(e).__name__)
def test_scikit_learn_estimator_checks(estimator):
    from sklearn.utils.estimator_checks import check_estimator
    expected = NOT_FOR_NETWORKS if isinstance(estimator, SKLearnClassifier) else {}
    results = check_estimator(estimator, expected_failed_checks=expected, on_fail="raise", on_skip=None)
    assert len(results) > 40 and not [r for r in results if r["status"] == "failed"]
