"""Soak, short: 500 agent runs and 500 State updates in one LLMSpell kernel through jupyter_client
(bench/soak.py runs 10,000 + 10,000 and writes bench/soak.json). The same checks, scaled: RSS grows
less than 50 MB x 500 / 10,000 (with a 5 MB floor for allocator noise); no thread, file or socket
leak; every update counted.

Measured with 10,000 + 10,000: RSS grows ~1.9 KB per update (State keeps every version: that is its
history, by design), and not at all per agent run once the event ring (10,000 events) is full.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNS = UPDATES = 500


def load_bench():
    spec = importlib.util.spec_from_file_location("llmspell_bench_soak", REPO / "bench" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads the kernel's /proc entries")
def test_short_soak_leaks_nothing():
    bench = load_bench()
    result = bench.soak(RUNS, UPDATES, batch=50, warmup_batches=2)
    assert result["runs"] == RUNS and result["updates"] == UPDATES
    budget = max(5.0, bench.RSS_BUDGET_MB * RUNS / 10_000)
    assert bench.verdict(result, rss_budget_mb=budget) == [], result
    before, after = result["before"], result["after"]
    assert after["threads"] == before["threads"]
    assert after["fds"] <= before["fds"] and after["sockets"] <= before["sockets"]
