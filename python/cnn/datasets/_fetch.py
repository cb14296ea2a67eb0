"""Finding and fetching the full image datasets the way keras.datasets does, with the standard library.

Shared by fashion_mnist.load_data() and mnist.load_data(): where CNN_DATA_DIR and Keras's cache are,
SHA-256 checks, and one download into Keras's cache (urllib; hashed in memory, then written to a
temporary name and renamed, so an interrupted or corrupted transfer never leaves a file to be read).
"""
import hashlib
import os
import tempfile
import urllib.error
import urllib.request

DATA_DIR_VAR = "CNN_DATA_DIR"
# Keras's address for its datasets (keras/src/datasets/*.py); a module constant so tests can point
# it at a local file:// URL and never download.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class DatasetUnavailableError(OSError):
    """Raised when a full dataset is in none of the searched places and cannot be downloaded."""


def keras_cache_dir():
    """Keras's download folder: $KERAS_HOME/datasets, else ~/.keras/datasets (as keras.utils.get_file)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets")


def data_dir(name):
    """$CNN_DATA_DIR/<name> (one subfolder per dataset: MNIST and Fashion-MNIST share file names), or None."""
    root = os.environ.get(DATA_DIR_VAR)
    return os.path.join(os.path.expanduser(root), name) if root else None


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_problem(path, expected):
    """None when the file at `path` has SHA-256 `expected`, else a sentence saying it does not."""
    actual = sha256_of(path)
    if actual == expected:
        return None
    return f"{path!r} has SHA-256 {actual}, but Keras pins {expected} (a corrupted or different file)"


def download(fname, dest, expected_sha256):
    """Downloads ORIGIN + fname to `dest`, keeping it only when its SHA-256 is `expected_sha256`.

    Raises DatasetUnavailableError when the address cannot be reached (offline) and ValueError when
    the downloaded bytes have another hash; in both cases nothing is written.
    """
    url = ORIGIN + fname
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            payload = response.read()  # at most 26 MB; hashed before anything touches the disk
    except (urllib.error.URLError, OSError) as e:
        raise DatasetUnavailableError(f"could not download {url}: {e}") from e
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected_sha256:
        raise ValueError(f"downloaded {url}, but it has SHA-256 {actual} where Keras pins "
                         f"{expected_sha256} (a corrupted or different file); nothing was saved")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(dest) + ".", suffix=".part",
                               dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, dest)  # atomic: a reader never sees a half-written file
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest
