"""Fuzz target for the model loaders: `.keras` archives (members rebuilt from the input, so their
CRCs are right and the mutations reach config.json, metadata.json and the weights), raw archive
bytes, `.weights.h5` files and BackupAndRestore's backup folder. A bad file must give ValueError,
TypeError or OSError (h5py's error for a broken HDF5 file); anything else, a crash, a hang or
unbounded memory is a finding. Input layout: mode byte, then (mode 0) members as name byte,
2-byte length, content; (1, 2) the file's bytes; (3) metadata length (2 bytes), metadata, weights."""
import io
import os
import tempfile
import warnings
import zipfile

import numpy as np
from bytes_reader import Reader

import cnn
from cnn import callbacks, layers

EXPECTED = (ValueError, TypeError, OSError)
MEMBERS = ["config.json", "metadata.json", "model.weights.h5", "assets/x", "../evil", "config.json"]
TMP = tempfile.mkdtemp(prefix="cnn-fuzz-")
warnings.simplefilter("ignore")


def small_model():
    m = cnn.Sequential([cnn.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.BatchNormalization(),
                        layers.Dense(2, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


MODEL = small_model()


def members(r):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        while r.pos < len(r.data):
            name = MEMBERS[r.byte() % len(MEMBERS)]
            size = r.byte() | r.byte() << 8
            z.writestr(name, r.take(size))
    return buf.getvalue()


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def one(data):
    r = Reader(data)
    mode = r.byte() % 4
    try:
        if mode == 0:
            cnn.models.load_model(write("m.keras", members(r)))
        elif mode == 1:
            cnn.models.load_model(write("m.keras", r.rest()))
        elif mode == 2:
            MODEL.load_weights(write("m.weights.h5", r.rest()))
        else:
            backup = os.path.join(TMP, "backup")
            os.makedirs(backup, exist_ok=True)
            n = r.byte() | r.byte() << 8
            write("backup/training_metadata.json", r.take(n))
            write("backup/latest.weights.h5", r.rest())
            MODEL.fit(np.zeros((4, 3), np.float32), np.zeros(4), epochs=2, verbose=0,
                      callbacks=[callbacks.BackupAndRestore(backup, delete_checkpoint=False)])
    except EXPECTED:
        pass
