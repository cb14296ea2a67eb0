"""Runs one fuzz target for a bounded time: python tests/fuzz/run.py core|loaders SECONDS [SEED].

The engine mutates the seed corpus (tests/fuzz/corpus/<target>/, replayed first): byte flips,
interesting bytes, inserted, deleted and copied chunks, splices of two seeds. It is blind (no
coverage feedback), which is all a fuzzer gets in the CI's sanitizer build: that build preloads
GCC's ASan runtime, whose coverage hooks shadow libFuzzer's, and atheris then warns that coverage is
broken and drops the seeds for adding none. CNN_FUZZ_ENGINE=atheris runs atheris instead, for a
coverage-guided session outside the sanitizer build. A finding (any exception the target lets out,
or a crash under ASan/UBSan) exits non-zero; the input is saved as fuzz-crash-<target>-<n> here
(an exception) or left in the temporary file the run names first (a crash or a hang)."""
import faulthandler
import os
import pathlib
import random
import sys
import tempfile
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
HANG_SECONDS = 20
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, ord("{"), ord("}"), ord('"'), ord("-"), ord("9"), ord("e")]


def load_target(name):
    return __import__({"core": "fuzz_core", "loaders": "fuzz_loaders"}[name])


def mutate(rnd, data, seeds):
    b = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randrange(7)
        pos = rnd.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << rnd.randrange(8)
        elif op == 1 and b:
            b[min(pos, len(b) - 1)] = rnd.choice(INTERESTING)
        elif op == 2:
            b[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        elif op == 3:
            del b[pos:pos + rnd.randint(1, 64)]
        elif op == 4 and b:   # repeat a chunk of itself (deep nesting, long runs)
            start = rnd.randrange(len(b))
            b[pos:pos] = b[start:start + rnd.randint(1, 64)] * rnd.randint(1, 32)
        elif op == 5:
            other = rnd.choice(seeds)
            start = rnd.randrange(len(other) + 1)
            b[pos:pos + rnd.randint(0, 64)] = other[start:start + rnd.randint(1, 256)]
        elif op == 6 and b:
            del b[pos:]
    return bytes(b)


def finding(name, data, n):
    path = pathlib.Path(f"fuzz-crash-{name}-{n}")
    path.write_bytes(data)
    traceback.print_exc()
    print(f"FINDING in the {name} target, input saved to {path.resolve()}", file=sys.stderr)
    sys.exit(1)


def blind(name, seconds, seed):
    target = load_target(name)
    seeds = [p.read_bytes() for p in sorted((HERE / "corpus" / name).iterdir())]
    rnd = random.Random(seed)
    runs = 0
    for data in seeds:
        try:
            target.one(data)
        except Exception:
            finding(name, data, runs)
        runs += 1
    end = time.monotonic() + seconds
    current = pathlib.Path(tempfile.gettempdir()) / f"cnn-fuzz-current-{name}-{os.getpid()}"
    print(f"fuzz {name}: a crash or a hang leaves its input in {current}", flush=True)
    while time.monotonic() < end:
        data = mutate(rnd, rnd.choice(seeds), seeds)
        current.write_bytes(data)
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)   # a hang is a finding too
        try:
            target.one(data)
        except Exception:
            finding(name, data, runs)
        faulthandler.cancel_dump_traceback_later()
        runs += 1
    current.unlink()
    print(f"fuzz {name}: {runs} inputs in {seconds} s (seed {seed}), no finding")


def with_atheris(name, seconds):
    import atheris
    with atheris.instrument_imports(include=["cnn", "fuzz_core", "fuzz_loaders", "bytes_reader"]):
        target = load_target(name)
    work = tempfile.mkdtemp(prefix=f"cnn-fuzz-{name}-")
    atheris.Setup([sys.argv[0], work, str(HERE / "corpus" / name), f"-max_total_time={seconds}",
                   "-rss_limit_mb=3000", "-malloc_limit_mb=100000", "-timeout=30",
                   f"-max_len={4096 if name == 'core' else 65536}"], target.one)
    atheris.Fuzz()


def main():
    name, seconds = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
    if os.environ.get("CNN_FUZZ_ENGINE") == "atheris":
        with_atheris(name, seconds)
    else:
        blind(name, seconds, seed)


if __name__ == "__main__":
    main()
