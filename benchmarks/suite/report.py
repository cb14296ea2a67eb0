"""The table on stdout and the JSON beside it."""
import json
import os
import platform
import re

from .timing import fmt_seconds

COLUMNS = [("case", 36), ("lib", 6), ("thr", 3), ("per step", 9), ("epoch/call", 10), ("torch/cnn", 9),
           ("keras/cnn", 9), ("GFLOP/s", 7), ("% peak", 6), ("target", 46), ("measured", 28), ("met", 7)]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _attach(rows, checked):
    """Each target goes on the last cnn row of its case (the 2-thread row for thread speed-ups)."""
    by_row, loose = {}, []
    for t in checked:
        hits = [i for i, r in enumerate(rows) if r["lib"] == "cnn"
                and (r["case"] == t["case"] or (t["case"].endswith("=") and r["case"].startswith(t["case"])))]
        if hits:
            by_row.setdefault(hits[-1], []).append(t)
        else:
            loose.append(t)
    return by_row, loose


def _met(m):
    return "n/a" if m is None else ("met" if m else "NOT met")


def _cells(r, rows, peak):
    ratios = []
    for peer in ("torch", "keras"):
        p = next((q for q in rows if q["case"] == r["case"] and q["lib"] == peer and q["threads"] == r["threads"]),
                 None)
        ok = r["lib"] == "cnn" and p and r["seconds"]
        ratios.append(f"{p['seconds'] / r['seconds']:.2f}x" if ok else "")
    gf = r["flops"] / r["seconds"] / 1e9 if r["flops"] and r["seconds"] else None
    frac = f"{100 * gf / (peak['gflops'] * r['threads']):.0f}%" if gf and peak else ""
    return [r["case"], r["lib"], str(r["threads"]), fmt_seconds(r["step"]), fmt_seconds(r["seconds"]),
            *ratios, f"{gf:.1f}" if gf else "", frac]


def _line(cells):
    return " | ".join(str(c).ljust(w) if i < 3 or i >= 9 else str(c).rjust(w)
                      for i, ((_, w), c) in enumerate(zip(COLUMNS, cells))).rstrip()


def table(rows, checked, peak):
    """The table as text: one row per (case, library); targets and met in the last columns."""
    by_row, loose = _attach(rows, checked)
    out = [_line([c for c, _ in COLUMNS]), _line(["-" * w for _, w in COLUMNS])]
    for i, r in enumerate(rows):
        ts = by_row.get(i, [])
        first = [ts[0]["target"], ts[0]["value"], _met(ts[0]["met"])] if ts else ["", "", ""]
        out.append(_line(_cells(r, rows, peak) + first))
        for t in ts[1:]:
            out.append(_line([""] * 9 + [t["target"], t["value"], _met(t["met"])]))
    if loose:
        out.append("targets not measured in this run: " + "; ".join(f"{t['case']}: {t['target']}" for t in loose))
    details = [f"  {r['case']} ({r['lib']}, {r['threads']} thr): " + ", ".join(fmt_seconds(t) for t in r["times"])
               for r in rows if r["unit"] == "epoch"]
    notes = sorted({f"  {r['case']}: {r['note']}" for r in rows if r["note"]})
    return "\n".join(out + ["", "every epoch:"] + details + ["", "notes:"] + notes)


def header(machine):
    peak = machine["peak"]
    p = "not measured (no C compiler)"
    if peak:
        p = (f"{peak['gflops']:.1f} GFLOP/s per core ({peak['isa']}; "
             + ", ".join(f"{k} {v:.1f}" for k, v in peak["paths"].items()) + ")")
    return (f"{machine['cpu']} | {machine['cpus']} CPUs, load average {machine['load_average']:.2f} | "
            f"cnn ISA path {machine['cnn_isa']} | "
            f"FMA peak at start-up {p}\nversions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()))


def footer(machine):
    peak = machine["peak"]
    runs = ", ".join(f"{g:.1f}" for g in peak.get("measured", [])) if peak else ""
    return (f"FMA peak used for '% peak': {peak['gflops']:.1f} GFLOP/s per core, the best of the start-up and "
            f"end measurements ({runs}); load average {machine['load_average']:.2f} at the start, "
            f"{machine['load_average_end']:.2f} at the end (above 0.5 the timings are not a fair test)"
            if peak else f"load average {machine['load_average']:.2f} at the start, "
            f"{machine['load_average_end']:.2f} at the end")


def default_json_path(machine, stamp):
    slug = re.sub(r"[^A-Za-z0-9]+", "-", machine["cpu"]).strip("-").lower() or "cpu"
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(here, "results", f"{stamp}-{slug}.json")


def write_json(path, machine, options, rows, checked):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"machine": machine, "options": options, "rows": rows, "targets": checked}, f, indent=1)
