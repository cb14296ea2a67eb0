"""benchmarks/run.py runs (cnn alone, iris only, quick) and its table and JSON hold the expected rows."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_iris_run_prints_the_table_and_writes_the_json(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick", "--only", "iris",
                           "--peers", "none", "--json", str(out)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("case "))
    assert [c.strip() for c in header.split("|")][-3:] == ["target", "measured", "met"]
    fit = [line for line in lines if line.startswith("iris fit(epochs=100)")]
    assert len(fit) == 1 and "| cnn " in fit[0] and fit[0].rstrip().endswith("n/a")  # no PyTorch to compare
    assert any(line.startswith("iris train_on_batch") and "| cnn " in line for line in lines)
    step_target = next(line for line in lines if "train step <= 10 us" in line)
    assert step_target.rstrip().endswith(("| met", "| NOT met"))

    report = json.loads(out.read_text())
    assert {(r["case"], r["lib"]) for r in report["rows"]} == {("iris fit(epochs=100)", "cnn"),
                                                               ("iris train_on_batch", "cnn")}
    fit_row = next(r for r in report["rows"] if r["case"] == "iris fit(epochs=100)")
    assert 0 < fit_row["step"] < fit_row["seconds"] < 1.0
    forward = 2 * (4 * 8 + 8 * 9 + 9 * 3)
    assert fit_row["flops"] == 100 * 150 * (2 * forward + 2 * (8 * 9 + 9 * 3))
    by_target = {t["target"]: t for t in report["targets"]}
    assert by_target["train step <= 10 us"]["met"] in (True, False)
    assert by_target[">= 15x PyTorch"]["met"] is None
    assert report["options"]["peers"] == [] and report["machine"]["versions"]["cnn"]
