"""The search on disk: <directory>/<project_name>/oracle.json and one trial_<id>/ folder per finished
trial (trial.json + weights.npz), each written whole (temp file then rename) the moment it finishes."""
import json
import os
import shutil

import numpy as np


def _write_atomic(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Storage:
    def __init__(self, directory, project_name, overwrite):
        self.path = os.path.join(directory, project_name)
        if overwrite and os.path.isdir(self.path):
            shutil.rmtree(self.path)
        os.makedirs(self.path, exist_ok=True)

    def read_oracle(self):
        path = os.path.join(self.path, "oracle.json")
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def write_oracle(self, config):
        path = os.path.join(self.path, "oracle.json")
        _write_atomic(path, lambda p: _dump(config, p))

    def save_trial(self, record, weights):
        folder = os.path.join(self.path, f"trial_{record['trial_id']}")
        os.makedirs(folder, exist_ok=True)
        if weights is not None:   # weights first: a trial.json on disk always has its weights beside it
            wpath = os.path.join(folder, "weights.npz")
            _write_atomic(wpath, lambda p: _save_npz(p, weights))
        _write_atomic(os.path.join(folder, "trial.json"), lambda p: _dump(record, p))

    def load_trials(self):
        """{trial_id: record} of the trials finished on disk."""
        trials = {}
        for name in sorted(os.listdir(self.path)):
            path = os.path.join(self.path, name, "trial.json")
            if name.startswith("trial_") and os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    record = json.load(f)
                trials[record["trial_id"]] = record
        return trials

    def load_weights(self, trial_id):
        path = os.path.join(self.path, f"trial_{trial_id}", "weights.npz")
        if not os.path.isfile(path):
            return None
        with np.load(path) as data:
            return [data[f"w{i}"] for i in range(len(data.files))]


def _dump(obj, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, default=_json_default)


def _save_npz(path, weights):
    with open(path, "wb") as f:   # a file object: np.savez would append .npz to the temp name
        np.savez(f, **{f"w{i}": np.asarray(w) for i, w in enumerate(weights)})
