"""What a user meets first, in fresh processes: `llmspell run` of a trivial spell, Tengo's start, the first tool
call, the model errors, and the first token through a kernel.

Whole-process figures are CPU time (user + system of the child, `getrusage(RUSAGE_CHILDREN)`), not wall time,
beside `python -c pass` measured in the same run: on a shared machine CPU time is the figure that holds. Our
bytecode is written first, as `pip install` does (this machine sets PYTHONDONTWRITEBYTECODE). The children
import whatever `llmspell_kernel` their PYTHONPATH names, so the same group measures another checkout.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..figures import Figure, Target
from ..measure import Options, Stat, sample

TESTS = Path(__file__).resolve().parents[2] / "tests"
TRIVIAL = {"lua": ("spell.lua", "print(1)"), "js": ("spell.js", "console.log(1)"),
           "tengo": ("spell.tengo", 'fmt := import("fmt")\nfmt.println(1)')}
# a model error, the spell that meets it (Lua), and the environment it runs in
MODEL_ERRORS = [
    ("missing key", 'return LLM.complete("hi", {model = "openai/gpt-4o-mini"})'),
    ("unknown provider", 'return LLM.complete("hi", {model = "opnai/gpt-4o-mini"})'),
    ("malformed model string", 'return LLM.complete("hi", {model = "openai/ gpt-4o-mini"})'),
]
FIRST_TOOL_CALL = """
import json, time
from llmspell_kernel.runtime.session import Session
s = Session(offline=True)
s.run("return 1")
code = 'return Tool.call("calculator", {expression = "6*7"})'
began = time.process_time(); s.run(code); first = time.process_time() - began
began = time.process_time()
for _ in range(N):
    s.run(code)
steady = (time.process_time() - began) / N
print(json.dumps([first * 1e3, steady * 1e3]))
"""
WARM_SPELL = """
import json, time
from llmspell_kernel.runtime.session import Session
s = Session(offline=True)
s.run(CODE, ENGINE)
began = time.process_time()
for _ in range(N):
    s.run(CODE, ENGINE)
print(json.dumps((time.process_time() - began) / N * 1e3))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "LLMSPELL_MODEL", "LLMSPELL_OFFLINE")}
    return {**env, "LLMSPELL_CONFIG": os.devnull, **extra}


def cpu_ms(command: list[str], cwd: str, env: dict[str, str] | None = None) -> Callable[[], float]:
    """A sampler: the CPU milliseconds (user + system) that one run of `command` takes, as a child process."""
    def run() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, cwd=cwd, env=env or _env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1e3
    return run


def _child_json(code: str, cwd: str) -> object:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_env(), capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _compile_like_an_install(cwd: str) -> None:
    """Write the bytecode of the llmspell_kernel the children import, as `pip install` would."""
    subprocess.run([sys.executable, "-c", "import compileall, pathlib, llmspell_kernel as p; "
                    "compileall.compile_dir(pathlib.Path(p.__file__).parent, quiet=1)"],
                   cwd=cwd, env=_env(), check=True)


def _runs(options: Options) -> int:
    return options.runs(15)


def _cli(options: Options, cwd: str, bare: Callable[[], float]) -> list[Figure]:
    figures = []
    for engine, (name, code) in TRIVIAL.items():
        Path(cwd, name).write_text(code)
        ours = cpu_ms([sys.executable, "-m", "llmspell_kernel", "run", name], cwd)
        value, base = sample(ours, bare, runs=_runs(options))
        figures.append(Figure(f"{engine}: `llmspell run` of a trivial spell, CPU", "ms", value, base,
                              "python -c pass", Target(2.0, "ratio")))
        warm = [_child_json(WARM_SPELL.replace("CODE", repr(code)).replace("ENGINE", repr(engine))
                            .replace("N", str(options.n(200, 20))), cwd) for _ in range(_runs(options))]
        figures.append(Figure(f"{engine}: the same spell in a warm session, CPU", "ms", Stat.of(warm)))
    return figures


def _tengo(options: Options, cwd: str, bare: Callable[[], float]) -> list[Figure]:
    name, code = TRIVIAL["tengo"]
    Path(cwd, name).write_text(code)
    tengo = [sys.executable, "-m", "llmspell_kernel.engines.tengo"]
    value, base = sample(cpu_ms([*tengo, name], cwd, _env(LLMSPELL_TENGO_CACHE="0")), bare, runs=_runs(options))
    program = Path(__file__).resolve().parents[1] / "programs" / "merge_sort.tengo"
    cache = _env(LLMSPELL_TENGO_CACHE_DIR=str(Path(cwd, "tengo-cache")))
    warm, cold = sample(cpu_ms([*tengo, str(program)], cwd, cache),
                        cpu_ms([*tengo, str(program)], cwd, _env(LLMSPELL_TENGO_CACHE="0")), runs=_runs(options))
    return [Figure("tengo: engine start (import + compile + run a trivial file, no cache), CPU", "ms", value, base,
                   "python -c pass", Target(100)),
            Figure("tengo: merge_sort.tengo from the compiled-code cache, CPU", "ms", warm, cold, "cache off")]


def _tool(options: Options, cwd: str) -> list[Figure]:
    pairs = [_child_json(FIRST_TOOL_CALL.replace("N", str(options.n(500, 20))), cwd) for _ in range(_runs(options))]
    first, steady = Stat.of([p[0] for p in pairs]), Stat.of([p[1] for p in pairs])
    return [Figure("first tool call in a fresh session (calculator), CPU", "ms", first, steady,
                   "the steady-state call", Target(50, "overhead"))]


def _model_errors(options: Options, cwd: str, bare: Callable[[], float]) -> list[Figure]:
    figures = []
    for what, code in MODEL_ERRORS:
        Path(cwd, "model.lua").write_text(code)
        env = _env()  # no key, no offline mode: the real provider path
        value, base = sample(cpu_ms([sys.executable, "-m", "llmspell_kernel", "run", "model.lua"], cwd, env), bare,
                             runs=options.runs(5))
        figures.append(Figure(f"{what}: `llmspell run` to the error, CPU", "ms", value, base, "python -c pass",
                              Target(500)))
    return figures


PAUSES = (0.0, 5.0)  # seconds between the kernel being ready and the first cell: none, and a user typing


def _first_token(options: Options) -> list[Figure]:
    """Wall time from a cell's execute_request to its first streamed chunk, in a kernel whose default model
    is a real one (the fake server): the first call after the kernel is ready (at once, and after a pause
    such as a user's typing), against the second call."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "llmspell-lua" not in KernelSpecManager().find_kernel_specs():
        return []
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from support.fake_openai import FakeOpenAI

    figures = []
    with FakeOpenAI() as server:
        cell = (f'LLM.stream("first token please", function(c) print(c) end, '
                f'{{api_base = "{server.url}"}})')
        for pause in PAUSES:
            firsts, seconds = [], []
            for _ in range(options.runs(5)):
                first, second = _kernel_first_tokens(cell, pause)
                firsts.append(first)
                seconds.append(second)
            when = "at once" if not pause else f"{pause:g} s after the kernel is ready"
            figures.append(Figure(f"first token through the kernel, first call {when} (default model configured), "
                                  "wall", "ms", Stat.of(firsts), Stat.of(seconds), "the second call"))
    return figures


def _kernel_first_tokens(cell: str, pause: float) -> tuple[float, float]:
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory() as cwd:
        manager = KernelManager(kernel_name="llmspell-lua")
        manager.start_kernel(cwd=cwd, env=_env(LLMSPELL_MODEL="openai/fake-model", OPENAI_API_KEY="sk-bench-fake"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            time.sleep(pause)
            return _until_first_chunk(client, cell), _until_first_chunk(client, cell)
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def _until_first_chunk(client, cell: str) -> float:
    began = time.perf_counter()
    msg_id = client.execute(cell)
    took = None
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream" and took is None:
            took = (time.perf_counter() - began) * 1e3
        elif kind == "error":
            raise RuntimeError(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            if took is None:
                raise RuntimeError("the cell streamed nothing")
            return took


def run(options: Options) -> list[Figure]:
    with tempfile.TemporaryDirectory() as cwd:  # children import from PYTHONPATH, never from this checkout
        _compile_like_an_install(cwd)
        bare = cpu_ms([sys.executable, "-c", "pass"], cwd)
        figures = _cli(options, cwd, bare) + _tengo(options, cwd, bare) + _tool(options, cwd)
        figures += _model_errors(options, cwd, bare)
    return figures + _first_token(options)
