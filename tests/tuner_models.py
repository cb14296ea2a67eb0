"""Build functions shared by the tuner tests (a module of their own: workers receive them by value)."""
import os

import cnn
from cnn import layers
from cnn.tuner import HyperModel


def red_wine(hp):
    model = cnn.Sequential([layers.Input((11,)),
                            layers.Dense(hp.Int("units", 8, 64, step=8), activation="relu"),
                            layers.Dropout(hp.Float("dropout", 0.0, 0.4, step=0.1)),
                            layers.Dense(1)])
    model.compile(optimizer=cnn.optimizers.Adam(hp.Float("learning_rate", 1e-3, 3e-2, sampling="log")), loss="mae")
    return model


class DiesOnce(HyperModel):
    """The red-wine model; the first trial to train on a Dask worker kills that worker's process after
    one epoch, as an out-of-memory kill would. `marker` is a file that says it happened."""

    def __init__(self, marker):
        super().__init__()
        self.marker = marker

    def build(self, hp):
        return red_wine(hp)

    def fit(self, hp, model, *args, **kwargs):
        if _on_dask_worker() and not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            model.fit(*args, **{**kwargs, "epochs": 1})
            os._exit(1)
        return model.fit(*args, **kwargs)


def _on_dask_worker():
    try:
        from distributed import get_worker
        get_worker()
        return True
    except (ImportError, ValueError):
        return False
