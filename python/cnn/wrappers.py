"""scikit-learn estimators around cnn models, as Keras 3 names them (keras.wrappers).

    def build(X, y, units=32):
        model = cnn.Sequential([layers.Input((X.shape[1],)), layers.Dense(units, activation="relu"),
                                layers.Dense(y.shape[1], activation="softmax")])   # y arrives one-hot
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model

    clf = SKLearnClassifier(build, model_kwargs={"units": 64}, fit_kwargs={"epochs": 20, "verbose": 0})
    GridSearchCV(clf, {"model_kwargs": [{"units": 16}, {"units": 64}]}, cv=3).fit(X, y)

Needs scikit-learn (pip install 'cnn[tune]'); `import cnn` does not import this module.
"""
import copy
import warnings

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.exceptions import DataConversionWarning
except ImportError:   # the classes still exist; constructing one says what to install
    sklearn = None
    BaseEstimator = ClassifierMixin = RegressorMixin = TransformerMixin = object


def _validate(estimator, X, y=None, reset=True):
    from sklearn.utils.validation import validate_data
    if y is None:
        return validate_data(estimator, X, reset=reset, dtype=[np.float32, np.float64])
    return validate_data(estimator, X, y, reset=reset, dtype=[np.float32, np.float64], multi_output=True,
                         y_numeric=False)


def _check_model(model):
    from cnn.trainer import Trainer
    if not isinstance(model, Trainer):
        raise TypeError(f"model must be a cnn model or a callable returning one, got {type(model).__name__}")
    if not model.compiled:
        raise ValueError("the model must be compiled: call model.compile(...) in the function that builds it")


class SKLBase(BaseEstimator):
    """The shared part. `model`: a compiled cnn model, or a callable model(X=X, y=y, **model_kwargs)
    returning one; `warm_start`: keep training the previous fit's model; `fit_kwargs`: for model.fit
    (those given to fit() win). Attributes after fit: model_, history_."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if sklearn is None:
            raise ImportError(f"{type(self).__name__} needs scikit-learn: pip install 'cnn[tune]'")
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True   # each fit draws from cnn's seed unless the build function seeds
        return tags

    @property
    def epoch_(self):
        return len(getattr(self, "history_", {}).get("loss", []))

    def _get_model(self, X, y):
        from cnn.trainer import Trainer
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Trainer):
            return self.model if self.warm_start else copy.deepcopy(self.model)
        if not callable(self.model):
            raise TypeError(f"model must be a cnn model or a callable, got {self.model!r}")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X, y = _validate(self, X, y)
        y = self._process_target(y, reset=not (self.warm_start and hasattr(self, "model_")))
        model = self._get_model(X, y)
        _check_model(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = dict(model.fit(X, y, **fit_kwargs).history)
        self.model_ = model
        return self

    def predict(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return self._reverse_process_target(np.asarray(self.model_.predict(X, verbose=0)))

    def _process_target(self, y, reset=False):
        from sklearn.utils.multiclass import type_of_target
        type_of_target(y, raise_unknown=True)   # scikit-learn's error for a target of unknown type
        y = np.asarray(y, dtype=np.float32)
        if reset:
            self._y_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _reverse_process_target(self, y):
        return y.reshape(-1) if self._y_ndim == 1 and y.ndim == 2 and y.shape[1] == 1 else y


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A classifier: labels of any type (strings too) are one-hot encoded for the model, whose output
    has one column per class (softmax); predict returns labels, predict_proba the model's outputs."""

    def _process_target(self, y, reset=False):
        from sklearn.preprocessing import OneHotEncoder
        from sklearn.utils.multiclass import type_of_target
        kind = type_of_target(y, raise_unknown=True)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {kind}")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape "
                          "of y to (n_samples,), for example using ravel().", DataConversionWarning, stacklevel=3)
        y = y.reshape(-1, 1)
        if reset:
            self._target_encoder = OneHotEncoder(sparse_output=False).fit(y)
            self.classes_ = self._target_encoder.categories_[0]
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y).astype(np.float32)

    def _reverse_process_target(self, y):
        return self.classes_[np.argmax(y, axis=1)]

    def predict_proba(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0), dtype=np.float64)

    def decision_function(self, X):
        """scikit-learn's convention: for two classes one column, positive for the second class
        (its output minus the first's), else every output."""
        proba = self.predict_proba(X)
        return proba[:, 1] - proba[:, 0] if proba.shape[1] == 2 else proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A regressor: y of shape (n,) or (n, outputs); score is R²."""

    def predict(self, X):
        return super().predict(X).astype(np.float64)   # scikit-learn's regressors predict float64

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True   # y of shape (n, outputs) trains a model with that many outputs
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A transformer: fit trains the model on (X, y); transform returns the model's outputs (for
    example an encoder's code, or a feature extractor's last layer)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]   # the model computes in float32
        tags.target_tags.multi_output = True
        return tags

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))
