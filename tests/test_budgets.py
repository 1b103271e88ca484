"""Token and cost budgets (runtime/spend.py): per spell run, per agent and per session, in every engine,
through the kernel and the CLI; costs come from litellm's prices for a model served by the fake OpenAI server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
from support.fake_openai import FakeOpenAI, Reply
from test_kernel import execute

from llmspell_kernel.errors import ApiError, BudgetError
from llmspell_kernel.runtime.session import Session

REPO = Path(__file__).resolve().parents[1]
LONG = "word " * 100  # about 130 estimated prompt tokens (characters / 4, with the message's JSON)

# a run budget of 30 tokens: the first call (12 tokens of mock/echo) fits, the long one is refused before sending
RUN_BUDGET = {
    "lua": f'Spell.budget({{tokens = 30}})\nlocal a = Agent.create({{name = "w"}})\na:run("one two three")\n'
           f'return a:run("{LONG}")',
    "tengo": f'Spell.budget({{tokens: 30}})\na := Agent.create({{name: "w"}})\na.run("one two three")\n'
             f'a.run("{LONG}")',
    "js": f'Spell.budget({{tokens: 30}})\nconst a = await Agent.create({{name: "w"}})\nawait a.run("one two three")\n'
          f'await a.run("{LONG}")',
}


def test_a_run_budget_refuses_the_call_before_it_is_sent(spell):
    with pytest.raises(BudgetError, match=r"run budget: this call needs about \d+ prompt tokens and 6 of 30 "
                                          r"tokens are spent; refused before sending"):
        spell(**RUN_BUDGET)
    events = spell.session.events
    assert len(events.list(type="llm.request")) == 1  # the refused call never reached the provider
    spend = events.list(type="budget.spend")
    assert [e.data["spent_tokens"] for e in spend] == [6]  # mock/echo: 3 prompt + 3 completion words
    (exceeded,) = events.list(type="budget.exceeded")
    assert exceeded.data["scope"] == "run" and exceeded.data["when"] == "before" and exceeded.data["tokens"] == 30


def test_a_run_budget_lasts_until_the_chunk_ends(spell):
    status = spell(lua='Spell.budget({tokens = 500, cost = 0.5})\nAgent.create({}):run("a b")\nreturn Spell.budget()',
                   tengo='Spell.budget({tokens: 500, cost: 0.5})\nAgent.create({}).run("a b")\nSpell.budget()',
                   js='Spell.budget({tokens: 500, cost: 0.5})\nawait (await Agent.create({})).run("a b")\nSpell.budget()')
    assert status == {"scope": "run", "tokens": 500, "cost": 0.5, "spent_tokens": 4, "spent_cost": 0.0}
    assert spell(lua="return Spell.budget()", tengo="Spell.budget()", js="Spell.budget()") == {}
    long_run = {"lua": f'return Agent.create({{}}):run("{LONG}")', "tengo": f'Agent.create({{}}).run("{LONG}")',
                "js": f'await (await Agent.create({{}})).run("{LONG}")'}
    assert spell(**long_run) == LONG  # the next chunk has no budget


def test_an_agent_budget_counts_over_its_runs_and_only_its_calls(spell):
    code = {"lua": 'local a = Agent.create({name = "thrifty", budget = {tokens = 25}})\n'
                   'local b = Agent.create({name = "free"})\n'
                   'a:run("one two three")\nb:run("one two three four five six seven")\nreturn a:run("four five six seven eight nine ten eleven")',
            "tengo": 'a := Agent.create({name: "thrifty", budget: {tokens: 25}})\nb := Agent.create({name: "free"})\n'
                     'a.run("one two three")\nb.run("one two three four five six seven")\na.run("four five six seven eight nine ten eleven")',
            "js": 'const a = await Agent.create({name: "thrifty", budget: {tokens: 25}})\n'
                  'const b = await Agent.create({name: "free"})\nawait a.run("one two three")\n'
                  'await b.run("one two three four five six seven")\nawait a.run("four five six seven eight nine ten eleven")'}
    with pytest.raises(BudgetError, match=r"agent:thrifty budget: .* 6 of 25 tokens are spent"):
        spell(**code)
    (exceeded,) = spell.session.events.list(type="budget.exceeded")
    assert exceeded.data["scope"] == "agent:thrifty"


@pytest.mark.parametrize("limits, message", [
    ("{tokens = 0}", "tokens must be a positive whole number"),
    ("{tokens = 1.5}", "tokens must be a positive whole number"),
    ("{cost = -1}", "cost must be a non-negative number"),
    ("{dollars = 1}", "unknown budget key(s) dollars"),
    ("5", "a budget is a map"),
])
def test_bad_budgets_are_clear_errors(lua, limits, message):
    with pytest.raises(ApiError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lua(f"Spell.budget({limits})")
    with pytest.raises(ApiError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lua(f"Agent.create({{budget = {limits}}})")


# cost: a priced model (litellm knows gpt-4o-mini) served by the fake server ---------------------------------------


@pytest.fixture
def priced(env):
    with FakeOpenAI() as server:
        # 1M prompt tokens at $0.15/M and 500k completion tokens at $0.60/M: $0.45
        server.push(Reply.text("hello", usage=(1_000_000, 500_000)))
        yield server


def test_a_session_cost_budget_stops_an_overspending_call(priced):
    with Session(offline=False, budget_cost=0.40) as session:
        code = f'local a = Agent.create({{model = "openai/gpt-4o-mini", api_base = "{priced.url}"}})\nreturn a:run("hi")'
        with pytest.raises(BudgetError, match=r"session budget exceeded: spent \$0\.45 of \$0\.40"):
            session.run(code, "lua")
        (spend,) = session.events.list(type="budget.spend")
        assert spend.data["spent_cost"] == pytest.approx(0.45) and spend.data["cost"] == 0.40
        assert session.events.list(type="budget.exceeded")[0].data["when"] == "after"
        assert session.agents.get("agent_1").usage.cost == pytest.approx(0.45)  # paid for, so counted
        # overspent: the next call is refused before it is sent
        with pytest.raises(BudgetError, match="refused before sending"):
            session.run('return Agent.create({}):run("again")', "lua")
        assert priced.calls == 1


def test_the_cli_budget_option_and_exit_code(tmp_path):
    spell = tmp_path / "long.lua"
    spell.write_text(f'return Agent.create({{}}):run("{LONG}")\n')
    env = {**os.environ, "PYTHONPATH": str(REPO), "LLMSPELL_OFFLINE": "1", "LLMSPELL_CONFIG": os.devnull}
    done = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", str(spell), "--budget", "tokens=50"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 6, done.stderr
    assert done.stderr.startswith("BudgetError: session budget: this call needs about")
    assert "Traceback" not in done.stderr
    bad = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", str(spell), "--budget", "lots"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert bad.returncode == 2 and "expected tokens=N and/or cost=USD" in bad.stderr
    config = tmp_path / "config.toml"
    config.write_text("budget_tokens = 50\n")
    done = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", str(spell)], capture_output=True,
                          text=True, env={**env, "LLMSPELL_CONFIG": str(config)}, cwd=tmp_path, timeout=120)
    assert done.returncode == 6 and "session budget" in done.stderr


# through the kernel, in each engine --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["lua", "tengo", "js"])
def test_a_budget_error_in_the_kernel(engine, tmp_path):
    km, kc = start_new_kernel(kernel_name=f"llmspell-{engine}", cwd=str(tmp_path),
                              env={**os.environ, "LLMSPELL_OFFLINE": "1"})
    try:
        reply, _ = execute(kc, RUN_BUDGET[engine], timeout=60)
        assert reply["status"] == "error"
        assert reply["ename"] == "BudgetError" or "BudgetError" in reply["evalue"], reply
        assert "refused before sending" in reply["evalue"]
        long_run = {"lua": f'return Agent.create({{}}):run("{LONG}")', "tengo": f'Agent.create({{}}).run("{LONG}")',
                    "js": f'await (await Agent.create({{}})).run("{LONG}")'}
        reply, outputs = execute(kc, long_run[engine], timeout=60)
        assert reply["status"] == "ok", reply  # the session goes on, and the run's budget ended with its cell
        assert any(kind == "execute_result" and "word word" in out["data"]["text/plain"] for kind, out in outputs)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_timeline_totals_show_spend_against_the_budget(session):
    from llmspell_kernel.widgets.timeline import EventTimeline

    timeline = EventTimeline(session.events)
    try:
        session.run('Spell.budget({tokens = 100, cost = 0.4})\nAgent.create({}):run("one two")', "lua")
        budget = timeline.summary()["budget"]
        assert budget == {"scope": "run", "tokens": 100, "cost": 0.4, "spent_tokens": 4, "spent_cost": 0.0}
    finally:
        timeline.close()


def test_a_priced_call_that_does_not_fit_is_refused_by_its_estimated_cost(env):
    with FakeOpenAI() as server, Session(offline=False, budget_cost=0.0005) as session:
        server.push(Reply.text("a", usage=(1000, 500)), Reply.text("b", usage=(1000, 500)))  # $0.00045 each
        ask = f'return Agent.create({{model = "openai/gpt-4o-mini", api_base = "{server.url}"}}):run("hi")'
        assert session.run(ask, "lua") == "a"
        with pytest.raises(BudgetError, match=r"spent \$0\.000900 of \$0\.000500"):
            session.run(ask, "lua")
        # litellm is loaded now: the next prompt is priced from litellm.model_cost before it is sent
        with pytest.raises(BudgetError, match=r"this call costs about \$0\.0000\d\d and \$0\.000900 of \$0\.000500 "
                                              "is spent; refused before sending"):
            session.run(ask, "lua")
        assert server.calls == 2
        refused = session.events.list(type="budget.exceeded")[-1].data
        assert refused["when"] == "before" and refused["call_cost"] > 0


def test_direct_model_calls_count_too(lua):
    """LLM.complete and LLM.stream go through the same client: the run's budget refuses them as well."""
    assert lua('Spell.budget({tokens = 100})\nreturn LLM.complete("one two")') == "one two"
    with pytest.raises(BudgetError, match="run budget"):
        lua(f'Spell.budget({{tokens = 20}})\nreturn LLM.stream("{LONG}", function(t) end)')
    spent = [e.data["spent_tokens"] for e in lua.session.events.list(type="budget.spend")]
    assert spent == [4]
