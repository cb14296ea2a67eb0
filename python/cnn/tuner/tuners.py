"""The four tuners, with KerasTuner's arguments and defaults."""
from cnn.tuner.oracles import BayesianOracle, GridOracle, HyperbandOracle, RandomOracle
from cnn.tuner.tuner import Tuner, _check_positive


class RandomSearch(Tuner):
    """Random points of the space (a point already tried is redrawn), max_trials of them."""

    def __init__(self, hypermodel=None, objective=None, max_trials=10, seed=None, **kwargs):
        _check_positive("max_trials", max_trials)
        super().__init__(RandomOracle(max_trials), hypermodel, objective, seed=seed, **kwargs)


class GridSearch(Tuner):
    """Every point of the grid (a continuous Float contributes ten points), at most max_trials."""

    def __init__(self, hypermodel=None, objective=None, max_trials=None, seed=None, **kwargs):
        _check_positive("max_trials", max_trials, allow_none=True)
        super().__init__(GridOracle(max_trials), hypermodel, objective, seed=seed, **kwargs)


class Hyperband(Tuner):
    """Hyperband (Li et al. 2018) with KerasTuner's brackets: many short trials, the best continue
    from their weights with `factor` times more epochs, up to max_epochs."""

    def __init__(self, hypermodel=None, objective=None, max_epochs=100, factor=3, hyperband_iterations=1,
                 seed=None, max_trials=None, **kwargs):
        _check_positive("max_epochs", max_epochs)
        _check_positive("hyperband_iterations", hyperband_iterations)
        _check_positive("max_trials", max_trials, allow_none=True)
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
            raise ValueError(f"factor must be an integer >= 2, got {factor!r}")
        super().__init__(HyperbandOracle(max_epochs, factor, hyperband_iterations, max_trials=max_trials),
                         hypermodel, objective, seed=seed, **kwargs)


class BayesianOptimization(Tuner):
    """Model-based search with Optuna's TPE sampler (pip install 'cnn[tune]'): num_initial_points random
    trials (default 3 per hyperparameter), then each trial chosen from all the scores so far."""

    def __init__(self, hypermodel=None, objective=None, max_trials=10, num_initial_points=None, alpha=1e-4,
                 beta=2.6, seed=None, **kwargs):
        _check_positive("max_trials", max_trials)
        _check_positive("num_initial_points", num_initial_points, allow_none=True)
        # alpha and beta tune KerasTuner's Gaussian process; accepted for compatibility, TPE has no use for them.
        super().__init__(BayesianOracle(max_trials, num_initial_points), hypermodel, objective, seed=seed, **kwargs)
