"""OpenTelemetry traces: every chunk, workflow, step, agent run, model call and tool call is a span with its
parent and the GenAI attributes, in every engine (the SDK's in-memory exporter), and over OTLP/HTTP to a real
receiver (tests/support/otlp_receiver.py) from the CLI and from a kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from jupyter_client.manager import start_new_kernel
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from support.otlp_receiver import OtlpReceiver

from llmspell_kernel.runtime.session import Session
from llmspell_kernel.runtime.telemetry import TraceSink

# a workflow whose first step is an agent that calls a tool, and whose second step changes the state
SPELLS = {
    "lua": """
        Agent.create({name = 'helper', model = 'mock/script', tools = {'calculator'},
                      responses = {{tool = 'calculator', args = {expression = '6*7'}}, 'It is 42.'}})
        local wf = Workflow.sequential({name = 'flow', steps = {
            'helper', function(x) State.set('answer', x) return x end}})
        return wf:run('What is 6*7?').output""",
    "js": """
        await Agent.create({name: 'helper', model: 'mock/script', tools: ['calculator'],
                            responses: [{tool: 'calculator', args: {expression: '6*7'}}, 'It is 42.']})
        const wf = await Workflow.sequential({name: 'flow', steps: [
            'helper', async (x) => { await State.set('answer', x); return x }]})
        ;(await wf.run('What is 6*7?')).output""",
    "tengo": """
        Agent.create({name: "helper", model: "mock/script", tools: ["calculator"],
                      responses: [{tool: "calculator", args: {expression: "6*7"}}, "It is 42."]})
        wf := Workflow.sequential({name: "flow", steps: [
            "helper", func(x) { State.set("answer", x); return x }]})
        wf.run("What is 6*7?").output""",
}


def traced(session: Session, capture_content: bool = False) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    session.events.add_sink(TraceSink(provider, capture_content=capture_content))
    return exporter


def by_name(spans) -> dict:
    """The spans other than model calls (which repeat), by name."""
    found = {}
    for span in (s for s in spans if not s.name.startswith("chat ")):
        assert span.name not in found, f"two spans called {span.name}"
        found[span.name] = span
    return found


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_a_workflow_run_is_a_tree_of_genai_spans(engine, session):
    exporter = traced(session)
    assert session.run(SPELLS[engine], engine, chunk="cell-7") == "It is 42."
    spans = by_name(exporter.get_finished_spans())
    spell, flow = spans["spell cell-7"], spans["workflow flow"]
    step1, step2 = spans["step helper"], spans["step step_2"]
    agent, tool = spans["invoke_agent helper"], spans["execute_tool calculator"]
    chats = [s for s in exporter.get_finished_spans() if s.name == "chat mock/script"]
    assert len(chats) == 2 and len(spans) == 6

    def parent(span):
        return span.parent.span_id if span.parent else None

    assert parent(spell) is None
    assert parent(flow) == spell.context.span_id
    assert parent(step1) == parent(step2) == flow.context.span_id
    assert parent(agent) == step1.context.span_id
    assert [parent(c) for c in chats] == [agent.context.span_id] * 2
    assert parent(tool) == agent.context.span_id
    assert len({s.context.trace_id for s in spans.values()}) == 1

    assert spell.attributes["llmspell.engine"] == engine and spell.attributes["llmspell.cell"] == "cell-7"
    assert spell.attributes["llmspell.state.version"] == 1
    assert step2.attributes["llmspell.state.version"] == 1
    [change] = step2.events
    assert change.name == "state.change" and change.attributes["llmspell.state.key"] == "answer"
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "helper"
    first, second = chats
    assert first.kind == SpanKind.CLIENT
    assert first.attributes["gen_ai.operation.name"] == "chat"
    assert first.attributes["gen_ai.request.model"] == "mock/script"
    assert first.attributes["gen_ai.provider.name"] == "mock"
    assert second.attributes["gen_ai.usage.output_tokens"] == 3  # "It is 42." in words
    assert second.attributes["gen_ai.usage.input_tokens"] > 0
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.name"] == "calculator"
    # start and end are the events' own times, nested within the parent's
    for child, outer in ((flow, spell), (agent, step1), (tool, agent)):
        assert outer.start_time <= child.start_time <= child.end_time <= outer.end_time
    # content is not captured unless asked for
    for span in spans.values():
        assert not [name for name in span.attributes if "messages" in name or "arguments" in name
                    or "result" in name or "output" in name or "input" in name.split(".")[-1]]


def test_content_is_captured_only_when_asked(session):
    exporter = traced(session, capture_content=True)
    session.run(SPELLS["lua"], "lua", chunk="c")
    spans = exporter.get_finished_spans()
    first = next(s for s in spans if s.name == "chat mock/script")
    assert json.loads(first.attributes["gen_ai.input.messages"])[-1] == {"role": "user",
                                                                        "content": "What is 6*7?"}
    second = [s for s in spans if s.name == "chat mock/script"][1]
    assert json.loads(second.attributes["gen_ai.output.messages"])[0]["content"] == "It is 42."
    tool = next(s for s in spans if s.name == "execute_tool calculator")
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"expression": "6*7"}
    assert tool.attributes["gen_ai.tool.call.result"] == "42"


def test_a_failure_is_an_error_span_and_the_session_goes_on(session):
    exporter = traced(session)
    with pytest.raises(Exception, match="boom"):
        session.run("Tool.register({name = 'bad', description = 'x', fn = function() error('boom') end})\n"
                    "return Tool.call('bad', {})", "lua", chunk="failing")
    spans = by_name(exporter.get_finished_spans())
    assert spans["execute_tool bad"].status.status_code == StatusCode.ERROR
    assert "boom" in spans["execute_tool bad"].status.description
    assert spans["spell failing"].status.status_code == StatusCode.ERROR
    assert session.run("return 1 + 1", "lua") == 2


def test_a_real_model_call_carries_no_key(env, server, tmp_path):
    with Session(root=str(tmp_path), offline=False) as s:
        exporter = traced(s, capture_content=True)
        s.run(f'return LLM.complete("hi", {{model = "openai/gpt-4o-mini", api_base = "{server.url}", '
              'api_key = "sk-secret-in-a-call"})')
    [chat] = [sp for sp in exporter.get_finished_spans() if sp.name.startswith("chat")]
    assert chat.attributes["gen_ai.provider.name"] == "openai"
    assert chat.attributes["gen_ai.request.model"] == "openai/gpt-4o-mini"
    text = json.dumps([dict(sp.attributes) for sp in exporter.get_finished_spans()])
    assert "sk-secret-in-a-call" not in text and "sk-test-fake" not in text


def test_the_cli_exports_over_otlp_http(tmp_path):
    (tmp_path / "spell.lua").write_text(SPELLS["lua"])
    with OtlpReceiver() as receiver:
        result = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", "spell.lua"], cwd=tmp_path,
                                env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                                     "OTEL_SERVICE_NAME": "spell-tests"},
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "It is 42."
        spans = receiver.wait_for(lambda spans: len(spans) >= 8)  # sent before the process ended
    names = {s["name"]: s for s in spans}
    assert {"workflow flow", "step helper", "invoke_agent helper", "execute_tool calculator",
            "chat mock/script"} <= set(names)
    [spell] = [s for s in spans if s["name"].startswith("spell ")]
    assert spell["attributes"]["llmspell.cell"].endswith("spell.lua")
    assert spell["parent_span_id"] == "" and spell["resource"]["service.name"] == "spell-tests"
    agent = names["invoke_agent helper"]
    assert names["execute_tool calculator"]["parent_span_id"] == agent["span_id"]
    assert agent["attributes"]["gen_ai.agent.name"] == "helper"
    assert {s["trace_id"] for s in spans} == {spell["trace_id"]}
    assert spell["attributes"]["llmspell.engine"] == "lua"


def test_a_kernel_exports_each_cell(tmp_path):
    with OtlpReceiver() as receiver:
        km, kc = start_new_kernel(kernel_name="llmspell-lua", cwd=str(tmp_path),
                                  env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                                       "OTEL_BSP_SCHEDULE_DELAY": "100"})
        try:
            reply = kc.execute_interactive(SPELLS["lua"], timeout=120)
            assert reply["content"]["status"] == "ok"
            spans = receiver.wait_for(lambda spans: any(s["name"] == "invoke_agent helper" for s in spans))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    spell = next(s for s in spans if s["name"].startswith("spell "))
    chats = [s for s in spans if s["name"] == "chat mock/script"]
    agent = next(s for s in spans if s["name"] == "invoke_agent helper")
    assert [c["parent_span_id"] for c in chats] == [agent["span_id"]] * 2
    assert chats[1]["attributes"]["gen_ai.usage.output_tokens"] == 3
    assert spell["attributes"]["llmspell.cell"] and spell["attributes"]["llmspell.engine"] == "lua"


def test_the_config_setting_exports_and_close_sends_the_rest(tmp_path, monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    with OtlpReceiver() as receiver:
        with Session(offline=True, root=str(tmp_path), otel_endpoint=receiver.url) as s:
            assert s.telemetry is not None
            s.run(SPELLS["tengo"], "tengo", chunk="configured")
            s.configure({"otel_capture_content": True})
            s.run('return LLM.complete("captured now")', "lua", chunk="second")
        spans = receiver.wait_for(lambda spans: any(sp["name"] == "spell second" for sp in spans), timeout=10)
        assert receiver.requests >= 1
    names = [sp["name"] for sp in spans]
    assert "spell configured" in names and "invoke_agent helper" in names
    chats = [sp for sp in spans if sp["name"] == "chat mock/echo"]
    assert json.loads(chats[0]["attributes"]["gen_ai.input.messages"]) == [{"role": "user", "content": "captured now"}]
    assert not any("gen_ai.input.messages" in sp["attributes"] for sp in spans if sp["name"] == "chat mock/script")


def test_no_endpoint_or_a_disabled_sdk_means_no_tracing(tmp_path, monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    with Session(offline=True, root=str(tmp_path)) as s:
        assert s.telemetry is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    with Session(offline=True, root=str(tmp_path)) as s:
        assert s.telemetry is None
    with pytest.raises(Exception, match="otel_endpoint cannot change in a running session"), \
            Session(offline=True, root=str(tmp_path)) as s:
        s.configure({"otel_endpoint": "http://127.0.0.1:9"})


def test_python_calls_are_traced_too(session):
    exporter = traced(session)
    agent = session.agents.create({"name": "py", "model": "mock/script", "tools": ["calculator"],
                                   "responses": [{"tool": "calculator", "args": {"expression": "2+2"}}, "Four."]})
    assert agent.run("2+2?") == "Four."
    spans = by_name(exporter.get_finished_spans())
    assert set(spans) == {"invoke_agent py", "execute_tool calculator"}
    assert spans["invoke_agent py"].parent is None
    assert spans["execute_tool calculator"].parent.span_id == spans["invoke_agent py"].context.span_id
    assert not spans["invoke_agent py"].attributes.get("llmspell.engine")  # no engine: Python


def test_an_unreachable_collector_fails_no_spell(tmp_path):
    from support.fake_openai import closed_port_url

    (tmp_path / "spell.lua").write_text(SPELLS["lua"])
    endpoint = closed_port_url().removesuffix("/v1")
    result = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", "spell.lua"], cwd=tmp_path,
                            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                                 "OTEL_EXPORTER_OTLP_TIMEOUT": "1"},
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "It is 42."
    assert "Traceback" not in result.stderr
