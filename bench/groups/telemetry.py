"""OpenTelemetry traces: what a traced span costs per event when tracing is on, and nothing when it is off.

On: the session's events go through the TraceSink into the SDK's BatchSpanProcessor, exporting over OTLP/HTTP to
the receiver of tests/support/otlp_receiver.py on 127.0.0.1 (the export runs on the SDK's own thread, and is
flushed between samples). The figures are per event (a span is two: its opener and its closer), and an agent run
over the mock provider with a tool call (5 spans). Off: a fresh `llmspell run` of a trivial spell, CPU, with and
without OTEL_EXPORTER_OTLP_ENDPOINT, and how many opentelemetry modules it imported with none set.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..figures import Figure, Target
from ..measure import Options, Stat, per_call_us, sample
from .startup import _env, cpu_ms

TESTS = Path(__file__).resolve().parents[2] / "tests"
AGENT = ("local a = Agent.create({model = 'mock/script', tools = {'calculator'}, "
         "responses = {{tool = 'calculator', args = {expression = '6*7'}}, 'It is 42.'}})\nreturn a:run('6*7?')")
MODULES = ("import json, sys\nfrom llmspell_kernel.cli import main\ntry:\n    main(['run', 'spell.lua'], "
           "standalone_mode=False)\nfinally:\n    print(json.dumps(len([m for m in sys.modules "
           "if m.split('.')[0] == 'opentelemetry'])))")


def _session(endpoint: str | None):
    from llmspell_kernel.runtime.session import Session

    return Session(offline=True, otel_endpoint=endpoint)


def _spans(session, n: int):
    """A sampler: µs per event of n events (n/2 spans); the batch is exported before the next one starts, so
    the SDK's queue (2,048 spans) never drops any."""
    def run() -> float:
        began = time.perf_counter()
        for i in range(n // 2):
            with session.events.span("bench", {"i": i}):
                pass
        took = (time.perf_counter() - began) / n * 1e6
        if session.telemetry is not None:
            session.telemetry.provider.force_flush()
        return took
    return run


def _agents(session):
    def batch(n: int) -> None:
        for _ in range(n):
            session.run(AGENT)
    return batch


def _in_process(options: Options, url: str) -> list[Figure]:
    on, off = _session(url), _session(None)
    try:
        n = options.n(2_000, 1_000)
        traced, bare = sample(_spans(on, n), _spans(off, n), runs=options.runs(15))
        runs = options.n(200, 20)
        agent_on, agent_off = sample(per_call_us(_agents(on), runs, 1e3), per_call_us(_agents(off), runs, 1e3),
                                     runs=options.runs(7))
    finally:
        on.close()
        off.close()
    return [Figure("an event of a span, tracing on (OTLP/HTTP, batched)", "µs", traced, bare, "tracing off",
                   Target(50, "overhead")),
            Figure("an agent run with a tool call (mock model, 5 spans), tracing on", "ms", agent_on, agent_off,
                   "tracing off")]


def _fresh(options: Options, url: str) -> list[Figure]:
    with tempfile.TemporaryDirectory() as cwd:
        Path(cwd, "spell.lua").write_text("print(1)")
        command = [sys.executable, "-m", "llmspell_kernel", "run", "spell.lua"]
        off_env = {k: v for k, v in _env().items() if not k.startswith("OTEL_")}
        on, off = sample(cpu_ms(command, cwd, {**off_env, "OTEL_EXPORTER_OTLP_ENDPOINT": url}),
                         cpu_ms(command, cwd, off_env), runs=options.runs(15))
        result = subprocess.run([sys.executable, "-c", MODULES], cwd=cwd, env=off_env, capture_output=True,
                                text=True, check=True)
        imported = float(result.stdout.strip().splitlines()[-1])
    return [Figure("`llmspell run` of a trivial spell, tracing on, CPU", "ms", on, off, "tracing off"),
            Figure("opentelemetry modules a trivial `llmspell run` imports, tracing off", "", Stat.of([imported]),
                   target=Target(0))]


def run(options: Options) -> list[Figure]:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from support.otlp_receiver import OtlpReceiver

    os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    with OtlpReceiver() as receiver:
        return _in_process(options, receiver.url) + _fresh(options, receiver.url)
