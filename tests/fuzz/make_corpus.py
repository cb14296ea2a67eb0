"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/): run once, the output is
committed. core: byte strings from a fixed stream; loaders: a valid small model's .keras members,
its raw archive, its weights file and a backup folder, in fuzz_loaders' input layout."""
import io
import os
import pathlib
import random
import sys
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main():
    import fuzz_loaders
    out = HERE / "corpus"
    (out / "core").mkdir(parents=True, exist_ok=True)
    (out / "loaders").mkdir(parents=True, exist_ok=True)
    rnd = random.Random(14)
    for i in range(12):
        (out / "core" / f"seed{i:02d}").write_bytes(bytes(rnd.randrange(256) for _ in range(64 + 32 * i)))
    model = fuzz_loaders.small_model()
    path = os.path.join(fuzz_loaders.TMP, "seed.keras")
    model.save(path)
    raw = pathlib.Path(path).read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    packed = bytes([0])
    for name, data in parts.items():
        packed += bytes([fuzz_loaders.MEMBERS.index(name)]) + len(data).to_bytes(2, "little") + data
    (out / "loaders" / "keras_members").write_bytes(packed)
    (out / "loaders" / "keras_members_config_only").write_bytes(
        bytes([0, 0]) + len(parts["config.json"]).to_bytes(2, "little") + parts["config.json"])
    (out / "loaders" / "keras_raw").write_bytes(bytes([1]) + raw)
    (out / "loaders" / "weights_h5").write_bytes(bytes([2]) + parts["model.weights.h5"])
    meta = b'{"epoch": 1}'
    (out / "loaders" / "backup").write_bytes(bytes([3]) + len(meta).to_bytes(2, "little") + meta
                                             + parts["model.weights.h5"])


if __name__ == "__main__":
    main()
