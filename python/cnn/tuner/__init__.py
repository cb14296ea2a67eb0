"""cnn.tuner: hyperparameter search with KerasTuner's API (keras_tuner.RandomSearch, ...).

    def build_model(hp):
        model = cnn.Sequential([layers.Dense(hp.Int("units", 32, 512, step=32), activation="relu"), ...])
        model.compile(optimizer=cnn.optimizers.Adam(hp.Float("lr", 1e-4, 1e-2, sampling="log")), loss="mae")
        return model

    tuner = RandomSearch(build_model, objective="val_loss", max_trials=16, seed=0, directory="busqueda")
    tuner.search(x, y, epochs=50, validation_data=(xv, yv))               # in this process
    tuner.search(x, y, epochs=50, validation_data=(xv, yv), executor=Client("tcp://scheduler:8786"))

Importing it imports neither Dask nor scikit-learn nor Optuna; they load when a search needs them.
"""
from cnn.tuner.hypermodel import HyperModel
from cnn.tuner.hyperparameters import HyperParameters
from cnn.tuner.objective import Objective
from cnn.tuner.tuner import Trial, Tuner
from cnn.tuner.tuners import BayesianOptimization, GridSearch, Hyperband, RandomSearch

__all__ = ["HyperParameters", "HyperModel", "Objective", "Tuner", "Trial", "RandomSearch", "GridSearch",
           "Hyperband", "BayesianOptimization"]
