"""A callback cannot switch its chunk's limits off, in any engine, whatever it does or wherever it runs.

A callback is script code that Python calls while a chunk runs: a tool function, an event handler,
a workflow step, a `State.update` function, a coroutine, a Lua `<close>` handler, a finalizer.
Whether it returns, fails, or runs away itself, and whichever engine it is written in, the chunk's
time limit and its stop button (SIGINT, the kernel's interrupt) still stop a runaway loop after it,
and the session goes on with its state intact. Lua finalizers run with hooks off, so no script may
make one, nor reach a metatable that is not its own.

Each chunk runs in a child process (`support.spell_worker`): if a limit no longer fired, the chunk
would never stop, and the child is killed after the generous guard (60 s) so that the test fails.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jupyter_client.manager import start_new_kernel
from support.spell_worker import Worker
from test_cli import llmspell
from test_kernel import execute

ENGINES = ("lua", "js", "tengo")
LIMIT = 0.5  # the chunk's time limit (s): the runaway loop after the callbacks must meet it
GUARD = 60.0  # the outer guard (s): a chunk not stopped by then has escaped its limit
EXT = {"lua": "lua", "js": "js", "tengo": "tengo"}

RUNAWAY = {"lua": "while true do end", "js": "while (true) {}", "tengo": "for {}"}
ALIVE = {"lua": "return 6 * 7", "js": "6 * 7", "tengo": "6 * 7"}
KEEP = {"lua": 'State.set("kept", "before")', "js": 'await State.set("kept", "before")',
        "tengo": 'State.set("kept", "before")'}
KEPT = {"lua": 'return State.get("kept")', "js": 'await State.get("kept")', "tengo": 'State.get("kept")'}
OUTCOME = {  # how a callback ends
    "lua": {"return": "return 1", "error": 'error("no")', "runaway": "while true do end"},
    "js": {"return": "return 1", "error": 'throw new Error("no")', "runaway": "while (true) {}"},
    "tengo": {"return": "return 1", "error": 'return error("no")', "runaway": "for {}"},
}
GUARDED = {  # a call whose failure does not end the chunk (a Tengo failure is an error value)
    "lua": "pcall(function()\n{}\nend)",
    "js": "try {{\n{}\n}} catch (e) {{}}",
    "tengo": "{}",
}
# callbacks defined beforehand in any engine, called by name from the chunk
DEFINE = {
    "tool": {
        "lua": 'Tool.register{{name = "{name}", description = "a callback", params = {{type = "object"}}, '
               "fn = function(a)\n{body}\nend}}",
        "js": 'await Tool.register({{name: "{name}", description: "a callback", params: {{type: "object"}}, '
              "fn: async (a) => {{\n{body}\n}}}})",
        "tengo": 'Tool.register({{name: "{name}", description: "a callback", params: {{type: "object"}}, '
                 "fn: func(a) {{\n{body}\n}}}})",
    },
    "handler": {
        "lua": 'Event.on("{name}", function(e)\n{body}\nend)',
        "js": 'await Event.on("{name}", async (e) => {{\n{body}\n}})',
        "tengo": 'Event.on("{name}", func(e) {{\n{body}\n}})',
    },
}
CALL = {
    "tool": {"lua": 'Tool.call("{name}", {{}})', "js": 'await Tool.call("{name}", {{}})',
             "tengo": 'Tool.call("{name}", {{}})'},
    "handler": {"lua": 'Event.emit("{name}", {{}})', "js": 'await Event.emit("{name}", {{}})',
                "tengo": 'Event.emit("{name}", {{}})'},
    # a Python loop that calls a tool (and `until`) again and again: no script check runs between the calls
    "loop": {"lua": 'Workflow.loop{{step = {{tool = "{name}"}}, ["until"] = function() return false end, '
                    "max_iterations = 1000000000}}.run(1)",
             "js": 'await (await Workflow.loop({{step: {{tool: "{name}"}}, until: () => false, '
                   "max_iterations: 1000000000}})).run(1)",
             "tengo": 'Workflow.loop({{step: {{tool: "{name}"}}, until: func(o, i) {{ return false }}, '
                      "max_iterations: 1000000000}}).run(1)"},
    # callbacks written in place, in the calling engine
    "step": {"lua": "Workflow.sequential{{steps = {{function(i)\n{body}\nend}}}}.run(1)",
             "js": "await (await Workflow.sequential({{steps: [async (i) => {{\n{body}\n}}]}})).run(1)",
             "tengo": "Workflow.sequential({{steps: [func(i) {{\n{body}\n}}]}}).run(1)"},
    "update": {"lua": 'State.update("u", function(v)\n{body}\nend)',
               "js": 'await State.update("u", async (v) => {{\n{body}\n}})',
               "tengo": 'State.update("u", func(v) {{\n{body}\n}})'},
    "coroutine": {"lua": "coroutine.wrap(function()\n{body}\nend)()",
                  "js": "await (async function* () {{\n{body}\n}})().next()"},
    "close": {"lua": "do local c <close> = setmetatable({{}}, {{__close = function()\n{body}\nend}}) end"},
    # every way a script might make a finalizer: each is refused, so none runs (hooks are off in one)
    "finalizer": {"lua": "pcall(setmetatable, {{}}, {{__gc = function()\n{body}\nend}})\n"
                         "pcall(function() local ok, e = pcall(Tool.call, {{}}, {{}}) "
                         "getmetatable(e).__gc = function()\n{body}\nend end)\n"
                         'pcall(function() getmetatable(json.decode("[]")).__gc = function()\n{body}\nend end)\n'
                         'local list = json.decode("[]") list = nil\ncollectgarbage() collectgarbage()'},
}
DEFINE["loop"] = DEFINE["tool"]
KINDS = {engine: [kind for kind, by in CALL.items() if engine in by] for engine in ENGINES}
CLOSING = {  # around the whole chunk: code that runs on the way out, after the error or the limit
    "lua": "local closing <close> = setmetatable({{}}, {{__close = function() while true do end end}})\n{}",
    "js": "try {{\n{}\n}} finally {{ while (true) {{}} }}",
}
_names = itertools.count()


@dataclass(frozen=True)
class Callback:
    kind: str
    where: str  # the engine the callback is written in
    outcome: str  # "return", "error" or "runaway"
    inner: tuple[Callback, ...] = ()  # callbacks it calls before it ends


def render(callback: Callback, caller: str, setup: list[tuple[str, str]]) -> str:
    """The call of `callback` in the `caller` engine's code; definitions it needs go to `setup`."""
    body = "\n".join([*(GUARDED[callback.where].format(render(c, callback.where, setup)) for c in callback.inner),
                      OUTCOME[callback.where][callback.outcome]])
    name = f"cb{next(_names)}"
    if callback.kind in DEFINE:
        setup.append((callback.where, DEFINE[callback.kind][callback.where].format(name=name, body=body)))
    return CALL[callback.kind][caller].format(name=name, body=body)


def spell(engine: str, callbacks: list[Callback], closing: bool = False) -> tuple[list[tuple[str, str]], str]:
    """(setup chunks, the chunk): each callback guarded, in turn, then a runaway loop."""
    setup: list[tuple[str, str]] = []
    calls = [GUARDED[engine].format(render(c, engine, setup)) for c in callbacks]
    code = "\n".join([*calls, RUNAWAY[engine]])
    if closing:
        code = CLOSING[engine].format(code)
    return setup, code


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    worker = Worker(tmp_path_factory.mktemp("callback-limits"))
    yield worker
    worker.close()


def stops_at_the_limit(worker: Worker, engine: str, callbacks: list[Callback], closing: bool = False) -> None:
    """The chunk meets its time limit (within the guard), and the session runs on with its state."""
    setup, code = spell(engine, callbacks, closing)
    assert worker.run("lua", KEEP["lua"])["ok"]
    for where, definition in setup:
        answer = worker.run(where, definition)
        assert answer["ok"], answer
    stopped_by_the_limit(worker, engine, code)
    for where in {where for where, _ in setup}:  # a callback's engine is free again: it stopped too
        assert worker.run(where, ALIVE[where]) == {"ok": True, "value": 42}


def stopped_by_the_limit(worker: Worker, engine: str, code: str) -> None:
    answer = worker.run(engine, code, timeout=LIMIT, guard=GUARD)
    assert not answer["ok"] and answer["error"] == "TimeLimitError", f"{answer}\n{code}"
    assert "time limit" in answer["message"]
    assert worker.run(engine, ALIVE[engine]) == {"ok": True, "value": 42}
    assert worker.run(engine, KEPT[engine]) == {"ok": True, "value": "before"}


# each class, by name -----------------------------------------------------------------------------
CLASSES = [
    # a callback that fails leaves the chunk's limit on
    *[(engine, [Callback(kind, engine, "error")]) for engine in ENGINES for kind in KINDS[engine]],
    # a short callback, called by Python until the limit
    *[(engine, [Callback("loop", other, "return")]) for engine in ENGINES for other in ENGINES],
    # a failing callback inside a failing callback
    *[(engine, [Callback("update", engine, "error", (Callback("handler", engine, "error"),))]) for engine in ENGINES],
    # a callback in another engine that runs away stops at the caller's limit
    *[(engine, [Callback("tool", other, "runaway")]) for engine in ENGINES for other in ENGINES if other != engine],
]


@pytest.mark.parametrize(("engine", "callbacks"), CLASSES,
                         ids=[f"{e}-" + "-".join(f"{c.where}.{c.kind}.{c.outcome}" for c in cbs) for e, cbs in CLASSES])
def test_a_callback_leaves_the_time_limit_on(worker, engine, callbacks):
    stops_at_the_limit(worker, engine, callbacks)


LUA_ON_THE_WAY_OUT = {
    "a <close> handler after an error": "local c <close> = setmetatable({}, {__close = function() "
                                        'while true do end end})\nerror("no")',
    "a <close> handler after the limit": "local c <close> = setmetatable({}, {__close = function() "
                                         "while true do end end})\nwhile true do end",
    "a finalizer on lupa's metatable": "pcall(function() local ok, e = pcall(Tool.call, {}, {}) "
                                       "getmetatable(e).__gc = function() while true do end end end)\n"
                                       "collectgarbage() collectgarbage()\nwhile true do end",
    "a finalizer on the empty list's metatable": 'pcall(function() getmetatable(json.decode("[]")).__gc = '
                                                 "function() while true do end end end)\n"
                                                 'local l = json.decode("[]") l = nil\n'
                                                 "collectgarbage() collectgarbage()\nwhile true do end",
}


@pytest.mark.parametrize("code", list(LUA_ON_THE_WAY_OUT.values()), ids=list(LUA_ON_THE_WAY_OUT))
def test_lua_code_on_the_way_out_is_under_the_limit(worker, code):
    assert worker.run("lua", KEEP["lua"])["ok"]
    stopped_by_the_limit(worker, "lua", code)


def test_a_lua_chunk_named_like_the_prelude_is_stopped_all_the_same(worker):
    """The prelude's own bookkeeping finishes after a stop; that exemption is by function, not by chunk name."""
    answer = worker.run("lua", "pcall(function() while true do end end)\nwhile true do end", timeout=LIMIT,
                        guard=GUARD, chunk="llmspell")
    assert answer["error"] == "TimeLimitError", answer


def test_no_python_object_in_lua_shows_its_metatable(session):
    """However a Python object reaches a script, lupa's shared metatable stays out of reach."""
    lua = session.engine("lua")
    assert lua.lua.eval("function(o) return getmetatable(o) end")(object()) == "python object"
    assert session.run('local t = json.decode("[]") setmetatable(t, {__index = {n = 1}}) return t.n', "lua") == 1
    assert session.run('local t = json.decode("[]") return t', "lua") == []


# every composition -------------------------------------------------------------------------------
OUTCOMES = ("return", "error", "runaway")


@st.composite
def callbacks(draw, engine: str, depth: int = 0) -> Callback:
    kind = draw(st.sampled_from(KINDS[engine]))
    where = draw(st.sampled_from(ENGINES)) if kind in DEFINE else engine
    inner = draw(st.lists(callbacks(where, depth + 1), max_size=1 if depth == 0 else 0))
    return Callback(kind, where, draw(st.sampled_from(OUTCOMES)), tuple(inner))


@pytest.mark.parametrize("engine", ENGINES)
def test_any_composition_of_callbacks_leaves_the_limit_on(worker, engine):
    @settings(max_examples=6, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(chain=st.lists(callbacks(engine), min_size=1, max_size=3),
           closing=st.booleans() if engine in CLOSING else st.just(False))
    def check(chain, closing):
        stops_at_the_limit(worker, engine, chain, closing)

    check()


# the stop button, through the CLI and a real kernel ----------------------------------------------
FAILED_CALLBACK = {  # a failing callback, a mark that the runaway loop is next, then the loop
    "lua": 'pcall(State.update, "k", function(v) error("no") end)\n'
           'Event.on("x", function(e) error("no") end)\nEvent.emit("x", {})\n'
           'fs.write("started", "1")\nwhile true do end',
    "js": 'try { await State.update("k", (v) => { throw new Error("no") }) } catch (e) {}\n'
          'await Event.on("x", (e) => { throw new Error("no") })\nawait Event.emit("x", {})\n'
          'await fs.write("started", "1")\nwhile (true) {}',
    "tengo": 'State.update("k", func(v) { return error("no") })\n'
             'Event.on("x", func(e) { return error("no") })\nEvent.emit("x", {})\n'
             'fs.write("started", "1")\nfor {}',
}
def wait_for(path: Path, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + GUARD
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        assert proc is None or proc.poll() is None, proc.stderr.read() if proc else ""
        time.sleep(0.05)
    time.sleep(0.2)  # into the loop


@pytest.mark.parametrize("engine", ENGINES)
def test_the_cli_time_limit_holds_after_a_failed_callback(tmp_path, engine):
    (tmp_path / f"spell.{EXT[engine]}").write_text(FAILED_CALLBACK[engine])
    result = llmspell("run", f"spell.{EXT[engine]}", "--timeout", "2", cwd=tmp_path, timeout=GUARD)
    assert result.returncode == 4, result.stderr
    assert "time limit" in result.stderr


def interrupted_cli(tmp_path: Path, name: str) -> subprocess.CompletedProcess:
    """Run a spell with `llmspell run`, SIGINT it once it is in its loop; return what it did."""
    proc = subprocess.Popen([sys.executable, "-m", "llmspell_kernel", "run", name], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(tmp_path / "started", proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("SIGINT did not stop the spell") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("engine", ENGINES)
def test_sigint_stops_the_cli_after_a_failed_callback(tmp_path, engine):
    (tmp_path / f"spell.{EXT[engine]}").write_text(FAILED_CALLBACK[engine])
    result = interrupted_cli(tmp_path, f"spell.{EXT[engine]}")
    assert result.returncode != 0 and "interrupted" in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr


RUNAWAY_TOOL = {
    "lua": 'Tool.register{name = "spin_lua", description = "runs away", params = {type = "object"}, '
           "fn = function(a) while true do end end}",
    "js": 'await Tool.register({name: "spin_js", description: "runs away", params: {type: "object"}, '
          "fn: (a) => { while (true) {} }})",
    "tengo": 'Tool.register({name: "spin_tengo", description: "runs away", params: {type: "object"}, '
             "fn: func(a) { for {} }})",
}
CALLS_RUNAWAY_TOOL = {
    "lua": 'fs.write("started", "1")\npcall(Tool.call, "spin_{other}", {{}})\nwhile true do end',
    "js": 'await fs.write("started", "1")\ntry {{ await Tool.call("spin_{other}", {{}}) }} catch (e) {{}}\n'
          "while (true) {{}}",
    "tengo": 'fs.write("started", "1")\nTool.call("spin_{other}", {{}})\nfor {{}}',
}
PAIRS = [(engine, other) for engine in ENGINES for other in ENGINES if other != engine]


@pytest.mark.parametrize(("engine", "other"), PAIRS, ids=[f"{e}-calls-{o}" for e, o in PAIRS])
def test_one_interrupt_stops_a_chunk_and_the_callback_it_waits_for(worker, engine, other):
    """The stop button is the run's: the callback in another engine stops, and so does its caller."""
    assert worker.run(other, RUNAWAY_TOOL[other])["ok"]
    started = worker.root / "started"
    started.unlink(missing_ok=True)
    worker.send(engine, CALLS_RUNAWAY_TOOL[engine].format(other=other))
    wait_for(started)
    worker.interrupt()
    answer = worker.answer(GUARD)
    assert answer["error"] == "InterruptedSpell", answer
    assert worker.run(engine, ALIVE[engine]) == {"ok": True, "value": 42}
    assert worker.run(other, ALIVE[other]) == {"ok": True, "value": 42}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_kernel_interrupt_stops_a_loop_after_a_failed_callback(tmp_path, engine):
    km, kc = start_new_kernel(kernel_name=f"llmspell-{engine}", cwd=str(tmp_path))
    try:
        reply, _ = execute(kc, KEEP[engine])
        assert reply["status"] == "ok"
        stopper = threading.Thread(target=lambda: (wait_for(tmp_path / "started"), km.interrupt_kernel()), daemon=True)
        stopper.start()
        reply, _ = execute(kc, FAILED_CALLBACK[engine], timeout=GUARD)  # each message within the guard
        assert reply["status"] == "error" and reply["ename"] == "InterruptedSpell", reply
        reply, outputs = execute(kc, KEPT[engine])
        assert reply["status"] == "ok"
        [result] = [content for kind, content in outputs if kind == "execute_result"]
        assert "before" in result["data"]["text/plain"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
