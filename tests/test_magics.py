"""`%load_ext llmspell_kernel` in a plain IPython shell: %%spell cells and Python on one store."""

from __future__ import annotations

import pytest
from IPython.testing.globalipapp import start_ipython

import llmspell_kernel
from llmspell_kernel.errors import ScriptRuntimeError


@pytest.fixture(scope="module")
def ip():
    shell = start_ipython()
    shell.run_line_magic("load_ext", "llmspell_kernel")
    yield shell
    shell.run_line_magic("unload_ext", "llmspell_kernel")


def cell(ip, line: str, body: str):
    result = ip.run_cell(f"%%spell {line}\n{body}")
    if result.error_in_exec is not None:
        raise result.error_in_exec
    return result.result


def test_globals_persist_and_python_sees_the_store(ip):
    cell(ip, "lua", "greeting = 'hello'\nState.set('topic', 'tides')")
    assert cell(ip, "lua", "return greeting").value == "hello"
    assert llmspell_kernel.session().state.get("topic") == "tides"
    assert ip.user_ns["get_ipython"]().llmspell_session is llmspell_kernel.session()


def test_in_and_out(ip):
    ip.user_ns["numbers"] = [1, 2, 3]
    cell(ip, "lua --in numbers --out total", "local s = 0\nfor _, n in ipairs(numbers) do s = s + n end\nreturn s")
    assert ip.user_ns["total"] == 6


def test_params_timeout_and_alias_magic(ip):
    assert cell(ip, "lua -p who=Ada", "return Spell.params.who").value == "Ada"
    result = ip.run_cell("%%lua\nreturn 'alias works'")
    assert result.result.value == "alias works"
    result = ip.run_cell("%%spell lua --timeout 0.2\nwhile true do end")
    assert type(result.error_in_exec).__name__ == "TimeLimitError"


def test_errors_keep_the_session(ip):
    with pytest.raises(ScriptRuntimeError):
        cell(ip, "lua", "error('boom')")
    assert cell(ip, "lua", "return greeting").value == "hello"


def test_rich_result_bundle(ip):
    bundle = cell(ip, "lua", "{a = 1}")._repr_mimebundle_()
    assert bundle["application/json"] == {"a": 1}


def test_bad_flags_are_usage_errors(ip):
    result = ip.run_cell("%%spell lua --nope\nreturn 1")
    assert result.error_in_exec is not None
    assert type(result.error_in_exec).__name__ == "UsageError"
