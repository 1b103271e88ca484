"""What a user reads when a cell fails, in each kernel (Lua, Tengo, JavaScript): the script's place, no Python internals (unless
debug=true), and provider failures that name the provider, the model and the reason."""

from __future__ import annotations

import os

import pytest
from jupyter_client.manager import start_new_kernel
from support.fake_openai import FakeOpenAI, Reply
from test_kernel import execute

CALL = {
    "lua": "return LLM.complete('hi', {{model = 'openai/fake-model', api_base = '{url}'}})",
    "tengo": 'LLM.complete("hi", {{model: "openai/fake-model", api_base: "{url}"}})',
    "js": 'await LLM.complete("hi", {{model: "openai/fake-model", api_base: "{url}"}})',
}
BROKEN = {"lua": "local t = nil\nreturn t.x", "tengo": "zero := 0\n1 / zero", "js": "const t = null;\nt.x"}


@pytest.fixture(scope="module", params=["lua", "tengo", "js"])
def kernel(request, tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("LLMSPELL_OFFLINE", "OPENAI_API_KEY")}
    km, kc = start_new_kernel(kernel_name=f"llmspell-{request.param}", cwd=str(tmp_path_factory.mktemp("err")),
                              env=env)
    yield request.param, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as fake:
        yield fake


def traceback_of(kc, code: str) -> str:
    reply, _ = execute(kc, code)
    assert reply["status"] == "error"
    return "\n".join(reply["traceback"])


def test_python_internals_only_with_debug(kernel):
    engine, kc = kernel
    plain = traceback_of(kc, BROKEN[engine])
    assert f"in {engine} cell[" in plain and "Traceback" not in plain and ".py" not in plain
    execute(kc, "%spell config debug=true")
    debug = traceback_of(kc, BROKEN[engine])
    assert "Python traceback (debug=true)" in debug and ".py" in debug
    execute(kc, "%spell config debug=false")
    assert "Traceback" not in traceback_of(kc, BROKEN[engine])


def test_a_missing_key_names_the_variable(kernel, server):
    engine, kc = kernel
    calls = server.calls
    trace = traceback_of(kc, CALL[engine].format(url=server.url))
    assert "MissingKeyError" in trace and "OPENAI_API_KEY" in trace
    assert server.calls == calls  # it failed before any request


def test_a_provider_failure_names_provider_model_and_reason(kernel, server):
    engine, kc = kernel
    execute(kc, "%%python\nimport os\nos.environ['OPENAI_API_KEY'] = 'sk-test-fake'")
    server.clear()
    server.push(*[Reply.error(500, "the fake is down") for _ in range(3)])
    trace = traceback_of(kc, CALL[engine].format(url=server.url))
    assert "openai model 'openai/fake-model' failed (HTTP 500) after 3 attempts" in trace
    assert "the fake is down" in trace and "LLMError" in trace
    assert "Traceback" not in trace
