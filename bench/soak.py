"""Soak: many agent runs and State updates in one LLMSpell kernel, driven through jupyter_client.

Not part of the test suite (tests/reliability/test_soak.py runs a short version with the same checks).
The kernel (llmspell-lua, offline: agents use the mock provider) runs cells in Lua, JavaScript
(`%%spell js`) and Tengo (`%%spell tengo`) in turn; each cell runs a batch of agent runs and State
updates in a loop. The kernel's RSS, threads, open files and sockets (from /proc/PID) are read after
a warm-up and at the end. Targets: RSS grows less than 50 MB; no thread, file or socket leak.

Run: python bench/soak.py [--runs 10000] [--updates 10000] [--batch 100] [--out bench/soak.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
RSS_BUDGET_MB = 50.0

SETUP = 'Agent.create({name = "soak", model = "mock/echo", system = "You answer."})\nState.set("n", 0)\nreturn 1'
CELLS = {  # {runs} agent runs and {updates} State updates in one cell
    "lua": ('local a = Agent.get("soak")\nfor i = 1, {runs} do a:run("ping " .. i) end\n'
            'for i = 1, {updates} do State.update("n", function(v) return v + 1 end) end\nreturn State.get("n")'),
    "js": ('%%spell js\nconst a = await Agent.get("soak")\nfor (let i = 1; i <= {runs}; i++) await a.run("ping " + i)\n'
           'for (let i = 1; i <= {updates}; i++) await State.update("n", v => v + 1)\nawait State.get("n")'),
    "tengo": ('%%spell tengo\na := Agent.get("soak")\nfor i := 1; i <= {runs}; i++ {{ a.run("ping " + string(i)) }}\n'
              'for i := 1; i <= {updates}; i++ {{ State.update("n", func(v) {{ return v + 1 }}) }}\nState.get("n")'),
}


def proc_stats(pid: int) -> dict[str, Any]:
    """RSS (MB), threads, open fds and sockets of a process, from /proc (psutil when it is installed)."""
    try:
        import psutil

        process = psutil.Process(pid)
        rss = process.memory_info().rss
        threads = process.num_threads()
    except ImportError:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields["VmRSS"].split()[0]) * 1024
        threads = int(fields["Threads"])
    fds, sockets = 0, 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        fds += 1
        try:
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:  # closed meanwhile
            pass
    return {"rss_mb": round(rss / MB, 1), "threads": threads, "fds": fds, "sockets": sockets}


def execute(kc: Any, code: str, timeout: float = 600) -> Any:
    """Run a cell; return its text/plain result; raise on an error reply."""
    msg_id = kc.execute(code, silent=False, store_history=False)
    result = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "execute_result":
            result = msg["content"]["data"].get("text/plain")
        elif kind == "error":
            raise RuntimeError(f"cell failed: {msg['content']['ename']}: {msg['content']['evalue']}\n{code}")
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {reply['content']}")
    return result


def soak(runs: int = 10_000, updates: int = 10_000, batch: int = 100, warmup_batches: int = 3,
         log: Any = None) -> dict[str, Any]:
    """Run the soak in a fresh kernel; returns the measurements (nothing is asserted here)."""
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "PYTHONPATH": str(REPO), "LLMSPELL_OFFLINE": "1", "LLMSPELL_CONFIG": os.devnull}
    env.pop("LLMSPELL_SESSION", None)
    env.pop("LLMSPELL_STORE", None)
    with tempfile.TemporaryDirectory(prefix="llmspell-soak-") as cwd:
        km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=cwd, env=env)
        try:
            pid = km.provisioner.process.pid
            execute(kc, SETUP)
            engines = list(CELLS)
            done_runs = done_updates = 0
            # warm-up: every engine once, so that engines, caches and pools exist before the baseline
            for i in range(warmup_batches * len(engines)):
                execute(kc, CELLS[engines[i % len(engines)]].format(runs=batch, updates=batch))
            warm_n = warmup_batches * len(engines) * batch
            before = proc_stats(pid)
            began = time.perf_counter()
            samples = [{"cells": 0, **before}]
            cell = 0
            while done_runs < runs or done_updates < updates:
                engine = engines[cell % len(engines)]
                n_runs, n_updates = min(batch, runs - done_runs), min(batch, updates - done_updates)
                value = execute(kc, CELLS[engine].format(runs=n_runs, updates=n_updates))
                done_runs += n_runs
                done_updates += n_updates
                cell += 1
                if cell % 20 == 0:
                    samples.append({"cells": cell, **proc_stats(pid)})
                    if log:
                        log(f"{cell} cells, {done_runs} runs, {done_updates} updates: {samples[-1]}")
            seconds = time.perf_counter() - began
            after = proc_stats(pid)
            counter = int(value) if value is not None else None
            events = execute(kc, "return #Event.list()")
            return {
                "what": "agent runs (mock provider) and State updates in one LLMSpell kernel, through jupyter_client",
                "runs": done_runs, "updates": done_updates, "cells": cell, "batch": batch,
                "state_counter": counter, "state_counter_expected": warm_n + done_updates,
                "events_kept": int(events) if events is not None else None,
                "before": before, "after": after, "samples": samples,
                "rss_growth_mb": round(after["rss_mb"] - before["rss_mb"], 1),
                "seconds": round(seconds, 1), "runs_per_second": round(done_runs / seconds, 1),
                "python": platform.python_version(),
            }
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def verdict(result: dict[str, Any], rss_budget_mb: float = RSS_BUDGET_MB) -> list[str]:
    """The targets that were missed (empty when the soak passed)."""
    before, after = result["before"], result["after"]
    missed = []
    if result["rss_growth_mb"] >= rss_budget_mb:
        missed.append(f"RSS grew {result['rss_growth_mb']} MB (budget {rss_budget_mb} MB)")
    for name in ("threads", "fds", "sockets"):
        if after[name] > before[name]:
            missed.append(f"{name}: {before[name]} -> {after[name]}")
    if result["state_counter"] != result["state_counter_expected"]:
        missed.append(f"State counter {result['state_counter']} != {result['state_counter_expected']}")
    return missed


def main() -> int:
    here = Path(__file__).resolve().parent  # bench/ holds scripts named like stdlib modules (profile.py)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="agent runs and updates per cell")
    parser.add_argument("--out", default=str(REPO / "bench" / "soak.json"))
    args = parser.parse_args()
    result = soak(args.runs, args.updates, args.batch, log=lambda text: print(text, flush=True))
    result["missed"] = verdict(result)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))
    return 1 if result["missed"] else 0


if __name__ == "__main__":
    sys.exit(main())
