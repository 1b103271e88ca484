"""Limits, per engine: what a runaway spell meets, and that the session survives it.

Each case runs with a 1 s time limit and a 64 MB memory limit (`Session(max_memory_mb=64)`, a chunk's
`timeout=`; `%%spell --timeout S` and `LLMSPELL_TIMEOUT` set the same budget). It must stop at the time
limit, or at its own limit sooner, with a SpellError (a 60 s guard fails a hang; how fast a limit stops a
spell is measured in bench/, not here); afterwards the same session runs
more code and still holds the state set before. The output flood goes through the real kernel
(jupyter_client): `Limits.max_output` (10 MB a chunk) truncates it with a notice.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from support.guards import guarded
from test_kernel import execute

from llmspell_kernel.errors import LimitError, MemoryLimitError, ScriptRuntimeError, SpellError, TimeLimitError
from llmspell_kernel.runtime.sandbox import MB, Limits
from llmspell_kernel.runtime.session import Session

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 1.0

# name -> ({engine: code}, the errors that are the right answer)
CASES = {
    "infinite_loop": ({
        "lua": "while true do end",
        "js": "while (true) {}",
        "tengo": "for {}",
    }, (TimeLimitError,)),
    "deep_recursion": ({
        "lua": "local function down(n) return down(n + 1) + 1 end\nreturn down(0)",
        "js": "function down(n) { return down(n + 1) + 1 }\ndown(0)",
        "tengo": "down := func(n) { return down(n + 1) + 1 }\ndown(0)",
    }, (LimitError, ScriptRuntimeError)),  # "stack overflow" in each (Tengo names it a runtime error, as real Tengo does)
    "memory_bomb": ({
        "lua": "local t = {}\nfor i = 1, 1e9 do t[i] = {i, i, i} end",
        "js": "const hog = []\nwhile (true) hog.push(new Array(100000).fill(1))",
        "tengo": "m := []\nfor { m = append(m, [1, 2, 3, 4, 5, 6, 7, 8]) }",
    }, (MemoryLimitError, TimeLimitError)),  # Tengo measures memory at its budget ticks: on a busy machine
                                             # the time limit may come first
    "huge_string": ({  # doubling: 2**40 characters, in 40 steps (no loop runs long enough to tick)
        "lua": "local s = 'x'\nfor i = 1, 40 do s = s .. s end\nreturn #s",
        "js": "let s = 'x'\nfor (let i = 0; i < 40; i++) s = s + s\ns.length",
        "tengo": 's := "x"\nfor i := 0; i < 40; i++ { s = s + s }\nlen(s)',
    }, (MemoryLimitError,)),
}

KEPT = {"lua": "return State.get('kept')", "js": "await State.get('kept')", "tengo": 'State.get("kept")'}
ALIVE = {"lua": "return 6 * 7", "js": "6 * 7", "tengo": "6 * 7"}


@pytest.fixture
def limited(tmp_path):
    with Session(offline=True, root=str(tmp_path), max_memory_mb=64) as session:
        yield session


def stopped(session: Session, engine: str, code: str, expected: tuple[type[SpellError], ...]) -> SpellError:
    """Run `code` with the time limit; assert it fails with `expected` (under the guard); return the error."""
    with guarded(), pytest.raises(SpellError) as info:
        session.run(code, engine, timeout=TIMEOUT)
    assert isinstance(info.value, expected), f"{engine}: {type(info.value).__name__}: {info.value}"
    return info.value


def survives(session: Session, engine: str) -> None:
    assert session.run(ALIVE[engine], engine) == 42
    assert session.run(KEPT[engine], engine) == "before"
    assert session.state.get("kept") == "before"


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_runaway_spell_is_stopped_and_the_session_survives(limited, engine, case):
    limited.state.set("kept", "before")
    codes, expected = CASES[case]
    error = stopped(limited, engine, codes[engine], expected)
    if case == "deep_recursion":
        assert "stack overflow" in error.message
    survives(limited, engine)


@pytest.fixture
def big_heap():
    """A long-lived kernel's Python heap: 600,000 lists of 100 references (a full collection takes ~0.5 s)."""
    shared: list = []
    gc.disable()  # building it must not be the slow part
    try:
        ballast = [[shared] * 100 for _ in range(600_000)]
    finally:
        gc.enable()
    yield
    del ballast


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_a_memory_bomb_in_a_big_python_heap_is_stopped_in_time(limited, big_heap, engine):
    # regression: Tengo's allocations set off full collections, each of which walked the whole Python
    # heap (0.7 s, twice, in the test process); objects older than the script are now frozen out of them
    limited.state.set("kept", "before")
    codes, expected = CASES["memory_bomb"]
    stopped(limited, engine, codes[engine], expected)
    survives(limited, engine)


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_objects_older_than_a_script_are_frozen_out_of_collections_while_it_runs(session, engine):
    session.tools.register("frozen", lambda args: gc.get_freeze_count(), "how many objects are frozen", None)
    code = {"lua": "return Tool.call('frozen', {})", "js": "await Tool.call('frozen', {})",
            "tengo": 'Tool.call("frozen", {})'}[engine]
    assert session.run(code, engine) > 10_000  # everything the process had made before the chunk
    assert gc.get_freeze_count() == 0  # and all of it back in the collector's care afterwards


HUGE_TOOL = {
    "lua": "local r = Tool.call('huge_json', {})\nreturn #r.items",
    "js": "const r = await Tool.call('huge_json', {})\nr.items.length",
    "tengo": 'r := Tool.call("huge_json", {})\nlen(r.items)',
}


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
@pytest.mark.parametrize("heap", ["small", "big"])
def test_a_tool_returning_huge_json_is_bounded(limited, engine, heap, request):
    """300,000 records (~35 MB as JSON) into an engine with 64 MB: it fits, or stops at a limit.

    regression (heap "big"): near Lua's limit, `_room` ran a full Python collection, which in a process
    with a large heap (CI's pytest, a long-lived kernel) outlasted the whole time limit
    """
    if heap == "big":
        request.getfixturevalue("big_heap")
    huge = {"items": [{"i": i, "text": "x" * 100} for i in range(300_000)]}
    limited.tools.register("huge_json", lambda args: huge, "returns a huge JSON value", None)
    limited.state.set("kept", "before")
    with guarded():
        try:
            assert limited.run(HUGE_TOOL[engine], engine, timeout=TIMEOUT) == 300_000
        except SpellError as error:  # Lua and JS: the memory (or, converting, the time) limit
            assert isinstance(error, (MemoryLimitError, TimeLimitError)), f"{type(error).__name__}: {error}"
    survives(limited, engine)


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_a_string_larger_than_the_memory_limit_is_refused_not_a_crash(limited, engine):
    # regression: lupa aborted the process ("PANIC: unprotected error ... not enough memory") when a
    # Python string past Lua's limit crossed in (State.get's fast path handed it over unchecked)
    limited.state.set("kept", "before")
    limited.state.set("big", "x" * (100 * MB))
    code = {"lua": "return #State.get('big')", "js": "(await State.get('big')).length",
            "tengo": 'len(State.get("big"))'}[engine]
    with guarded():
        try:
            assert limited.run(code, engine, timeout=TIMEOUT) == 100 * MB  # Tengo holds Python strings as they are
        except MemoryLimitError as error:
            assert "memory limit" in error.message
    limited.state.delete("big")
    survives(limited, engine)


def test_tengo_growth_without_loop_ticks_is_stopped_by_the_memory_limit(limited):
    # regression: 40 doublings never reached the loop's budget tick (every 10,000 iterations): the
    # process grew until the kernel (and the machine) ran out of memory
    limited.state.set("kept", "before")
    for code in ['s := "x"\nfor i := 0; i < 40; i++ { s += s }',
                 "a := [1]\nfor i := 0; i < 40; i++ { a = a + a }",
                 "a := [1]\nfor i := 0; i < 40; i++ { a = append(a, a...) }",
                 'b := bytes("x")\nfor i := 0; i < 40; i++ { b = b + b }',
                 # under real Tengo's string size limit (2^31 - 1 bytes; past it, its own error comes first)
                 't := import("text")\ns := t.repeat("x", 2000000000)']:
        stopped(limited, "tengo", code, (MemoryLimitError,))
    survives(limited, "tengo")


def test_tengo_values_under_a_megabyte_made_between_ticks_are_metered(limited):
    # regression: each value under 1 MB skipped the check, and 3,000 of them (no tick in between) took the
    # process to 2.6 GB with a 64 MB limit, and past a 5 s time limit; now every 1 MB made asks the budget.
    # Memory that earlier cases freed is reused before the process grows, so the time limit may come first.
    limited.state.set("kept", "before")
    for code in ['t := import("text")\na := []\nfor i := 0; i < 3000; i++ { a = append(a, t.repeat("x", 900000)) }',
                 't := import("text")\nc := t.repeat("x", 900000)\ns := ""\nfor i := 0; i < 3000; i++ { s += c }',
                 # 1.8 GB kept, under one tick: more than the memory earlier tests freed, which is reused first
                 'a := []\nfor i := 0; i < 9000; i++ { a = append(a, bytes(200000)) }']:
        stopped(limited, "tengo", code, (MemoryLimitError, TimeLimitError))
        limited.run("a := 0\ns := 0", "tengo")  # let this case's values go
    survives(limited, "tengo")


def test_the_output_cap_is_the_sandbox_default():
    assert Limits().max_output == 10 * MB


# the output flood, through the real kernel --------------------------------------------------------

FLOOD = {  # 100,000 lines of 1,000 characters: 100 MB printed
    "lua": "local line = string.rep('x', 999)\nfor i = 1, 100000 do print(line) end\nreturn 'flooded'",
    "js": "const line = 'x'.repeat(999)\nfor (let i = 0; i < 100000; i++) console.log(line)\n'flooded'",
    "tengo": 'fmt := import("fmt")\nline := ""\nfor i := 0; i < 999; i++ { line += "x" }\n'
             'for i := 0; i < 100000; i++ { fmt.println(line) }\n"flooded"',
}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "PYTHONPATH": str(REPO), "LLMSPELL_OFFLINE": "1"}  # this tree's code, whatever is installed
    km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path_factory.mktemp("flood")), env=env)
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_an_output_flood_is_truncated_and_the_kernel_stays_responsive(kernel, engine):
    execute(kernel, "State.set('kept', 'before')")
    reply, outputs = execute(kernel, f"%%spell {engine}\n{FLOOD[engine]}", timeout=120)
    assert reply["status"] == "ok", reply
    text = "".join(content["text"] for kind, content in outputs if kind == "stream" and content["name"] == "stdout")
    assert "[output truncated: more than 10,485,760 characters; the rest is discarded]" in text
    assert len(text) < 10 * MB + 1000  # the cap, not 100 MB
    results = [content["data"]["text/plain"] for kind, content in outputs if kind == "execute_result"]
    assert results and "flooded" in results[0]
    reply, outputs = execute(kernel, "return State.get('kept')")  # still responsive (under the guard)
    assert reply["status"] == "ok"
    assert [c["data"]["text/plain"] for k, c in outputs if k == "execute_result"] == ["before"]
