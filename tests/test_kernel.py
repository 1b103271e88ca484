"""The LLMSpell (Lua) and LLMSpell (Tengo) kernels through jupyter_client, against the installed kernelspecs."""

from __future__ import annotations

import unittest
from typing import Any, ClassVar

import jupyter_kernel_test
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
from support.guards import GUARD

KERNEL = "llmspell-lua"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    km, kc = start_new_kernel(kernel_name=KERNEL, cwd=str(tmp_path_factory.mktemp("kernel")))
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def execute(kc, code: str, timeout: float = GUARD, interrupt: Any = None):
    """Run a cell; return the reply content and the iopub messages (type, content) it caused.

    With `interrupt` (the kernel manager), interrupt the cell when its first output arrives: a cell that
    prints and then loops is interrupted once it runs, never before it starts."""
    msg_id = kc.execute(code)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream" and not outputs and interrupt is not None:
            interrupt.interrupt_kernel()
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind in ("stream", "execute_result", "display_data", "error"):
            outputs.append((kind, msg["content"]))
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:  # a late reply to an earlier request (kernel_info)
        reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"], outputs


def test_kernelspec_is_installed():
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.display_name == "LLMSpell (Lua)" and spec.language == "lua"


def test_kernel_info_names_lua(kernel):
    _, kc = kernel
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=GUARD)["content"]
    assert info["language_info"]["name"] == "lua"
    assert info["implementation"] == "llmspell"


def test_a_lua_cell_returns_an_execute_result(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "return 1 + 1")
    assert reply["status"] == "ok"
    assert outputs == [("execute_result", {"data": {"text/plain": "2"}, "metadata": {},
                                           "execution_count": reply["execution_count"]})]


def test_maps_render_as_json(kernel):
    _, kc = kernel
    _, outputs = execute(kc, "{a = 1, list = {1, 2}}")
    data = outputs[0][1]["data"]
    assert data["application/json"] == {"a": 1, "list": [1, 2]}


def test_runtime_error_reply_shows_the_lua_line(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "local ok = 1\nlocal t = nil\nreturn t.x")
    assert reply["status"] == "error"
    trace = "\n".join(reply["traceback"])
    assert "attempt to index a nil value" in trace
    assert f"cell[{reply['execution_count']}]:3" in trace and "return t.x" in trace
    assert "site-packages" not in trace and "Traceback" not in trace
    assert outputs[-1][0] == "error"


def test_interrupt_stops_a_loop_and_state_survives(kernel):
    km, kc = kernel
    reply, _ = execute(kc, "State.set('survivor', 42)\nkept_global = 'yes'")
    assert reply["status"] == "ok"
    reply, _ = execute(kc, "print('looping')\nwhile true do end", interrupt=km)
    assert reply["status"] == "error" and reply["ename"] == "InterruptedSpell"
    reply, outputs = execute(kc, "return State.get('survivor') .. kept_global")
    assert reply["status"] == "ok" and outputs[0][1]["data"]["text/plain"] == "42yes"


def test_python_cells_see_the_same_session(kernel):
    _, kc = kernel
    execute(kc, "State.set('shared', 'from lua')")
    reply, outputs = execute(kc, "%%python\nimport llmspell_kernel\nllmspell_kernel.session().state.get('shared')")
    assert reply["status"] == "ok"
    assert outputs[0][1]["data"]["text/plain"] == "'from lua'"


def test_seed_example_runs_in_the_kernel(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, 'local a = Agent.new({name = "k_analyzer", model = "gpt-4"})\n'
                                 'local state = State.new({data = "..."})\nlocal result = a:run(state)\n'
                                 'return result:get("output")')
    assert reply["status"] == "ok", reply
    assert outputs[0][1]["data"]["text/plain"] == '{"data": "..."}'


# the LLMSpell (Tengo) kernel -----------------------------------------------------------------
TENGO_KERNEL = "llmspell-tengo"


@pytest.fixture(scope="module")
def tengo_kernel(tmp_path_factory):
    km, kc = start_new_kernel(kernel_name=TENGO_KERNEL, cwd=str(tmp_path_factory.mktemp("tengo-kernel")))
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_tengo_kernelspec_is_installed():
    spec = KernelSpecManager().get_kernel_spec(TENGO_KERNEL)
    assert spec.display_name == "LLMSpell (Tengo)" and spec.language == "tengo"


def test_tengo_kernel_info_highlights_as_go(tengo_kernel):
    _, kc = tengo_kernel
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=GUARD)["content"]
    assert info["language_info"]["name"] == "tengo" and info["language_info"]["file_extension"] == ".tengo"
    assert info["language_info"]["codemirror_mode"] == "go" and info["language_info"]["pygments_lexer"] == "go"
    assert "(tengo)" in info["banner"]


def test_tengo_variables_persist_across_cells(tengo_kernel):
    _, kc = tengo_kernel
    reply, _ = execute(kc, 'greeting := "hello"\nn := 41')
    assert reply["status"] == "ok"
    reply, outputs = execute(kc, 'fmt := import("fmt")\nfmt.println(greeting)\nn + 1')
    assert reply["status"] == "ok"
    assert ("stream", {"name": "stdout", "text": "hello\n"}) in outputs
    [result] = [content for kind, content in outputs if kind == "execute_result"]
    assert result["data"]["text/plain"] == "42"


def test_tengo_runtime_error_reply_shows_the_tengo_line(tengo_kernel):
    _, kc = tengo_kernel
    reply, outputs = execute(kc, "ok := 1\nzero := 0\nbad := ok / zero")
    assert reply["status"] == "error"
    trace = "\n".join(reply["traceback"])
    assert "integer divide by zero" in trace
    assert f"tengo cell[{reply['execution_count']}]:3:" in trace and "bad := ok / zero" in trace
    assert "site-packages" not in trace and "Traceback" not in trace
    assert outputs[-1][0] == "error"


def test_tengo_api_error_is_a_value_in_the_cell(tengo_kernel):
    _, kc = tengo_kernel
    reply, outputs = execute(kc, 'r := Agent.get("nope")\nis_error(r) ? "error value: " + r.value : "?"')
    assert reply["status"] == "ok"
    assert outputs[0][1]["data"]["text/plain"].startswith("error value: no agent named 'nope'")


def test_tengo_interrupt_stops_a_loop_and_state_survives(tengo_kernel):
    km, kc = tengo_kernel
    reply, _ = execute(kc, 'State.set("survivor", 42)\nkept := "yes"')
    assert reply["status"] == "ok"
    reply, _ = execute(kc, 'fmt := import("fmt")\nfmt.println("looping")\nfor {}', interrupt=km)
    assert reply["status"] == "error" and reply["ename"] == "InterruptedSpell"
    reply, outputs = execute(kc, 'string(State.get("survivor")) + kept')
    assert reply["status"] == "ok" and outputs[0][1]["data"]["text/plain"] == "42yes"


def test_tengo_and_lua_cells_share_the_session(tengo_kernel):
    _, kc = tengo_kernel
    reply, _ = execute(kc, "%%spell lua\nState.set('from_lua', 'hi')")
    assert reply["status"] == "ok"
    reply, outputs = execute(kc, 'State.get("from_lua")')
    assert reply["status"] == "ok" and outputs[0][1]["data"]["text/plain"] == "hi"


class TengoKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = TENGO_KERNEL
    language_name = "tengo"
    file_extension = ".tengo"
    code_hello_world = 'fmt := import("fmt")\nfmt.println("hello, world")'
    code_generate_error = "x := 1 / 0"
    code_execute_result: ClassVar = [{"code": "6 * 7", "result": "42"}, {"code": '"text"', "result": "text"}]
    code_display_data: ClassVar = [
        {"code": 'Display.markdown("**hi**")', "mime": "text/markdown"},
        {"code": 'Display.html("<b>hi</b>")', "mime": "text/html"},
        {"code": "display({a: 1})", "mime": "application/json"},
    ]
    code_history_pattern = "6 ? 7"
    supported_history_operations = ("tail", "search")
    completion_samples: ClassVar = [{"text": "Agent.cr", "matches": {"create"}},
                                    {"text": "fun", "matches": {"func"}}]
    complete_code_samples: ClassVar = ["x := 1", "f := func(x) { return x }"]
    incomplete_code_samples: ClassVar = ["f := func(x) {", "a := [1,"]
    invalid_code_samples: ClassVar = ["x := )"]
    code_inspect_sample = "Agent.create"


class LuaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL
    language_name = "lua"
    file_extension = ".lua"
    code_hello_world = 'print("hello, world")'
    code_generate_error = 'error("boom")'
    code_execute_result: ClassVar = [{"code": "6 * 7", "result": "42"}, {"code": "'text'", "result": "text"}]
    code_display_data: ClassVar = [
        {"code": 'Display.markdown("**hi**")', "mime": "text/markdown"},
        {"code": 'Display.html("<b>hi</b>")', "mime": "text/html"},
        {"code": "display({a = 1})", "mime": "application/json"},
    ]
    code_history_pattern = "6 ? 7"
    supported_history_operations = ("tail", "search")
    completion_samples: ClassVar = [{"text": "Agent.cr", "matches": {"create"}},
                                    {"text": "loc", "matches": {"local"}}]
    complete_code_samples: ClassVar = ["x = 1", "function f(x) return x end"]
    incomplete_code_samples: ClassVar = ["function f(x)", "local t = {"]
    invalid_code_samples: ClassVar = ["x = = 1"]
    code_inspect_sample = "Agent.create"


if __name__ == "__main__":
    unittest.main()
