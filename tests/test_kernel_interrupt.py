"""The interrupt button during a long model call, in every kernel: the cell stops, the request is dropped,
and the next cell finds the session intact."""

from __future__ import annotations

import os

import pytest
from jupyter_client.manager import start_new_kernel
from support.fake_openai import Reply
from support.guards import GUARD, wait_until
from test_kernel import execute

CALL = {
    "lua": "State.set('before', 1)\nreturn LLM.complete('hold on', {{model = 'openai/fake-model', api_base = '{url}'}})",
    "tengo": 'State.set("before", 1)\nLLM.complete("hold on", {{model: "openai/fake-model", api_base: "{url}"}})',
    "js": 'await State.set("before", 1)\nawait LLM.complete("hold on", {{model: "openai/fake-model", api_base: "{url}"}})',
}
AFTER = {"lua": "return State.get('before') + 1", "tengo": 'State.get("before") + 1',
         "js": '(await State.get("before")) + 1'}


@pytest.mark.parametrize("engine", ["lua", "tengo", "js"])
def test_interrupting_a_model_call(engine, server, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "LLMSPELL_OFFLINE"}
    env["OPENAI_API_KEY"] = "sk-test-fake"
    km, kc = start_new_kernel(kernel_name=f"llmspell-{engine}", cwd=str(tmp_path), env=env)
    try:
        server.push(Reply.delayed(600, Reply.text("far too late")))  # ten times the guard
        msg_id = kc.execute(CALL[engine].format(url=server.url))
        wait_until(lambda: server.calls, "the model request")  # the request is in flight
        assert server.calls == 1
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=GUARD)  # the call itself would take 600 s: the interrupt cut it short
        while reply["parent_header"].get("msg_id") != msg_id:  # a late kernel_info reply from start-up
            reply = kc.get_shell_msg(timeout=GUARD)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] in ("InterruptedSpell", "KeyboardInterrupt")
        assert "interrupted" in "\n".join(reply["content"]["traceback"]).lower()
        wait_until(lambda: server.abandoned, "the HTTP request's end")
        assert server.abandoned == 1, "the HTTP request was left running"
        reply, outputs = execute(kc, AFTER[engine])
        assert reply["status"] == "ok"
        [result] = [content for kind, content in outputs if kind == "execute_result"]
        assert result["data"]["text/plain"] == "2"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
