"""Writing a run down: results.json (every figure, the machine) and RESULTS.md (the table).

A run of some groups replaces those groups in an existing results.json and keeps the others, so
`python -m bench store` refreshes the store rows of the committed table without re-running the rest.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .figures import Figure

MEMORY = ("Memory (the session rows) is the peak of Python allocations while the session starts and runs the spell "
          "(`tracemalloc`), plus the engine's own heap afterwards (lupa's allocator count, QuickJS's "
          "`malloc_size`), which tracemalloc cannot see; not RSS, which moves in whole pages and arenas "
          "and would hide a 100 KB change in the noise.")
TENGO = ("Tengo rows against the tengo binary (`TENGO_BIN`, else \"unmeasured\"): both sides time only the "
         "program's own code, in process. Ours: `TengoRuntime.run` with the chunk already compiled. The binary's: "
         "the script reads `times.now()` before the program and prints `times.since()` of it after, so neither "
         "process start nor its compile counts. The two are interleaved in one run; the programs are in "
         "bench/groups/tengo_programs.py and bench/programs/.")


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and isinstance(data.get("groups"), dict) else {}


def merge(previous: dict[str, Any], groups: dict[str, dict[str, Any]], machine: dict[str, Any],
          order: list[str]) -> dict[str, Any]:
    merged = {**previous.get("groups", {}), **groups}
    merged = {name: merged[name] for name in order if name in merged}
    figures = [f for g in merged.values() for f in g["figures"]]
    targets = [f for f in figures if f["met"] is not None]
    return {
        "machine": machine, "groups": merged,
        "summary": {"figures": len(figures), "targets": len(targets),
                    "met": sum(1 for f in targets if f["met"]),
                    "missed": [f"{f['group']}: {f['name']}" for f in targets if not f["met"]]},
    }


def group_record(figures: list[Figure], began: str, seconds: float, quick: bool,
                 machine: dict[str, Any]) -> dict[str, Any]:
    where = {k: machine[k] for k in ("cpu", "cores", "python", "load_average")}
    return {"measured_at": began, "seconds": round(seconds, 1), "quick": quick, "machine": where,
            "figures": [f.to_dict() for f in figures]}


def number(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _with_unit(x: float, unit: str) -> str:
    return f"{number(x)}×" if unit == "×" else f"{number(x)} {unit}".strip()


def _value(f: dict[str, Any]) -> str:
    v = f["value"]
    if v is None:
        return ""
    return f"{_with_unit(v['median'], f['unit'])} ({number(v['min'])}–{number(v['max'])})"


def _baseline(f: dict[str, Any]) -> str:
    b = f["baseline"]
    return "" if b is None else f"{_with_unit(b['median'], f['unit'])} {b['name']}"


def row(f: dict[str, Any]) -> str:
    met = {None: "", True: "yes", False: "**no**"}[f["met"]]
    ratio = "" if f["ratio"] is None else f"{number(f['ratio'])}×"
    target = "" if f["target"] is None else f["target"]["text"]
    name = f["name"] + (f" ({f['note']})" if f["note"] else "")
    cells = [f["group"], name, _value(f), _baseline(f), ratio, target, met]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    lines = [
        "# Benchmark results", "",
        "Written by `python -m bench` (README.md: Performance). Each value is the median of at least 5 runs,",
        "with the min–max in brackets; each baseline is measured in the same run, interleaved with the figure.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, load average {m['load_average']} at the start; "
        f"{m['implementation']} {m['python']} on {m['os']}; {versions}.",
        "",
        MEMORY, "", TENGO, "",
        "| group | figure | value (min–max) | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, group in results["groups"].items():
        lines += [row(f) for f in group["figures"]]
        if group["quick"]:
            lines.append(f"| {name} | (measured with --quick: tiny iteration counts, not comparable) |  |  |  |  |  |")
    machines = {(g["machine"]["cpu"], g["machine"]["cores"], g["machine"]["python"])
                for g in results["groups"].values() if "machine" in g}
    if len(machines) > 1:
        lines += ["", "**Groups of this table were measured on different machines**: see results.json."]
    s = results["summary"]
    lines += ["", f"{s['met']} of {s['targets']} targets met."]
    if s["missed"]:
        lines += ["", "Missed:", "", *[f"- {name}" for name in s["missed"]]]
    when = ", ".join(f"{name} {g['measured_at']} ({g['seconds']} s, load {g['machine']['load_average'][0]})"
                     for name, g in results["groups"].items())
    lines += ["", f"Measured: {when}.", ""]
    return "\n".join(lines)


def write(folder: Path, results: dict[str, Any]) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data, table = folder / "results.json", folder / "RESULTS.md"
    data.write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    table.write_text(markdown(results))
    return data, table
