"""The LLMSpell (JavaScript) kernel through jupyter_client, against the installed kernelspec."""

from __future__ import annotations

import unittest
from typing import ClassVar

import jupyter_kernel_test
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
from support.guards import GUARD
from test_kernel import execute

KERNEL = "llmspell-js"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    km, kc = start_new_kernel(kernel_name=KERNEL, cwd=str(tmp_path_factory.mktemp("js-kernel")))
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def text(outputs, kind="execute_result"):
    return next(content["data"]["text/plain"] for k, content in outputs if k == kind)


def test_js_kernelspec_is_installed():
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert spec.display_name == "LLMSpell (JavaScript)" and spec.language == "javascript"


def test_js_kernel_info(kernel):
    _, kc = kernel
    kc.kernel_info()
    info = kc.get_shell_msg(timeout=GUARD)["content"]
    assert info["language_info"]["name"] == "javascript" and info["language_info"]["file_extension"] == ".js"


def test_js_globals_persist_and_top_level_await_works(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "const greeting = 'hello'\nfunction twice(n) { return 2 * n }")
    assert reply["status"] == "ok"
    reply, outputs = execute(kc, "console.log(greeting)\nawait State.set('n', twice(21))\nawait State.get('n')")
    assert reply["status"] == "ok", reply
    assert outputs[0] == ("stream", {"name": "stdout", "text": "hello\n"})
    assert text(outputs) == "42"


def test_js_error_reply_shows_the_js_line(kernel):
    _, kc = kernel
    reply, outputs = execute(kc, "const fine = 1\nconst nothing = null\nnothing.field")
    assert reply["status"] == "error"
    trace = "\n".join(reply["traceback"])
    assert "cannot read property 'field' of null" in trace
    assert f"js cell[{reply['execution_count']}]:3" in trace and "nothing.field" in trace
    assert "site-packages" not in trace and "Traceback" not in trace
    assert outputs[-1][0] == "error"


def test_js_interrupt_stops_a_loop_and_globals_survive(kernel):
    km, kc = kernel
    reply, _ = execute(kc, "await State.set('survivor', 42)\nlet kept = 'yes'")
    assert reply["status"] == "ok"
    reply, _ = execute(kc, "console.log('looping')\nwhile (true) {}", interrupt=km)
    assert reply["status"] == "error" and reply["ename"] == "InterruptedSpell"
    reply, outputs = execute(kc, "(await State.get('survivor')) + kept")
    assert reply["status"] == "ok" and text(outputs) == "42yes"


def test_js_and_lua_cells_share_the_session(kernel):
    _, kc = kernel
    reply, _ = execute(kc, "%%spell lua\nState.set('from_lua', 'hi')")
    assert reply["status"] == "ok"
    reply, outputs = execute(kc, "await State.get('from_lua')")
    assert reply["status"] == "ok" and text(outputs) == "hi"


class JavaScriptKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL
    language_name = "javascript"
    file_extension = ".js"
    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'
    code_generate_error = 'throw new Error("boom")'
    code_execute_result: ClassVar = [{"code": "6 * 7", "result": "42"}, {"code": "'text'", "result": "text"}]
    code_display_data: ClassVar = [
        {"code": 'await Display.markdown("**hi**")', "mime": "text/markdown"},
        {"code": 'await Display.html("<b>hi</b>")', "mime": "text/html"},
        {"code": "await display({a: 1})", "mime": "application/json"},
    ]
    code_history_pattern = "6 ? 7"
    supported_history_operations = ("tail", "search")
    completion_samples: ClassVar = [{"text": "Agent.cr", "matches": {"create"}}]
    complete_code_samples: ClassVar = ["const x = 1", "function f(x) { return x }"]
    incomplete_code_samples: ClassVar = ["function f(x) {", "const t = ["]
    invalid_code_samples: ClassVar = ["f(1))"]
    code_inspect_sample = "Agent.create"


if __name__ == "__main__":
    unittest.main()
