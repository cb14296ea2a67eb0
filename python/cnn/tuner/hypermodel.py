"""HyperModel: a build(hp) method that returns a compiled model, and an overridable fit (keras_tuner.HyperModel)."""


class HyperModel:
    def __init__(self, name=None, tunable=True):
        self.name, self.tunable = name, tunable

    def build(self, hp):
        raise NotImplementedError("a HyperModel subclass must define build(hp) and return a compiled model")

    def fit(self, hp, model, *args, **kwargs):
        """Trains one execution; returns the History, a dict of final metrics, or the objective's value."""
        return model.fit(*args, **kwargs)


class _FunctionHyperModel(HyperModel):
    """Wraps a plain build_model(hp) function."""

    def __init__(self, build_fn):
        super().__init__(name=getattr(build_fn, "__name__", None))
        self.build_fn = build_fn

    def build(self, hp):
        return self.build_fn(hp)


def to_hypermodel(hypermodel):
    if isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return _FunctionHyperModel(hypermodel)
    raise TypeError(f"hypermodel must be a HyperModel or a build_model(hp) function, got {hypermodel!r}")
