"""`%load_ext llmspell_kernel` in a plain IPython shell: %%spell cells and Python on one store."""

from __future__ import annotations

import pytest

import llmspell_kernel
from llmspell_kernel.errors import ScriptRuntimeError


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


def test_spell_tengo_cells_keep_globals_and_share_the_store(ip):
    cell(ip, "tengo", 'tengo_greeting := "hello from tengo"\nState.set("tengo_topic", "tides")')
    assert cell(ip, "tengo", "tengo_greeting").value == "hello from tengo"
    assert llmspell_kernel.session().state.get("tengo_topic") == "tides"
    assert cell(ip, "lua", "return State.get('tengo_topic')").value == "tides"
    result = ip.run_cell("%%tengo\nSpell.engine")
    assert result.result.value == "tengo"


def test_spell_tengo_in_out_and_params(ip):
    ip.user_ns["numbers"] = [1, 2, 3]
    cell(ip, "tengo --in numbers --out tengo_total -p scale=10",
         "s := 0\nfor n in numbers { s += n }\ns * int(Spell.params.scale)")
    assert ip.user_ns["tengo_total"] == 60


def test_spell_tengo_errors_name_the_cell_and_line(ip):
    result = ip.run_cell("%%spell tengo\nok := 1\nbad := ok + []")
    error = result.error_in_exec
    assert isinstance(error, ScriptRuntimeError)
    assert error.chunk == f"cell[{ip.execution_count}]" and error.line == 2
    result = ip.run_cell("%%spell tengo --timeout 0.2\nfor {}")
    assert type(result.error_in_exec).__name__ == "TimeLimitError"


def test_spell_js_cells_keep_globals_await_and_share_the_store(ip):
    cell(ip, "js", "const jsGreeting = 'hello from js'\nawait State.set('js_topic', 'tides')")
    assert cell(ip, "js", "jsGreeting").value == "hello from js"
    assert llmspell_kernel.session().state.get("js_topic") == "tides"
    assert cell(ip, "lua", "return State.get('js_topic')").value == "tides"
    assert ip.run_cell("%%js\nSpell.engine").result.value == "js"
    ip.user_ns["numbers"] = [1, 2, 3]
    cell(ip, "js --in numbers --out js_total -p scale=10", "numbers.reduce((a, b) => a + b, 0) * Number(Spell.params.scale)")
    assert ip.user_ns["js_total"] == 60
    result = ip.run_cell("%%spell js --timeout 0.2\nwhile (true) {}")
    assert type(result.error_in_exec).__name__ == "TimeLimitError"
    result = ip.run_cell("%%spell js\nconst fine = 1\nnull.x")
    assert isinstance(result.error_in_exec, ScriptRuntimeError) and result.error_in_exec.line == 2


def test_config_changes_the_running_session(ip):
    session = llmspell_kernel.session()
    try:
        ip.run_line_magic("spell", "config timeout=0.3 allowed_hosts=example.com model=mock/echo offline=true")
        assert session.sandbox.limits.timeout == 0.3 and session.sandbox.allowed_hosts == ["example.com"]
        assert session.llm.default_model == "mock/echo" and session.llm.offline is True
        result = ip.run_cell("%%spell lua\nwhile true do end")  # the new limit stops it, with no --timeout
        assert type(result.error_in_exec).__name__ == "TimeLimitError"
        result = ip.run_cell("%spell config root=/")
        assert "root cannot change in a running session" in str(result.error_in_exec)
        assert session.sandbox.root != "/"
    finally:
        ip.run_line_magic("spell", "config timeout= allowed_hosts= model= offline=false")
    assert session.sandbox.limits.timeout is None and session.sandbox.allowed_hosts == []
