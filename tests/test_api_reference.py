"""docs/api.md matches the API table, names all of it, and its Lua examples run in a real session."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from support.examples import prepare

from llmspell_kernel.api import ALIASES, HANDLES, NAMESPACES, alias_functions, global_names
from llmspell_kernel.api.reference import FUTURE, JAVASCRIPT, LUA, TENGO, example, main, render, signature
from llmspell_kernel.api.spec import ApiFunction

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
REGENERATE = "python -m llmspell_kernel.api.reference"
FUNCTIONS: list[ApiFunction] = [f for t in [*NAMESPACES, *HANDLES] for f in t.functions().values()]

# What the examples' receiver variables hold. A handle type added to the table needs its variable here.
RECEIVERS = {
    "agent": 'Agent.create({name = "assistant"})',
    "tool": 'Tool.register({name = "echo", description = "Echo the arguments", '
            'params = {type = "object", properties = {text = {type = "string"}}}, fn = function(args) return args end})',
    "state": 'State.new({topic = "tides", draft = "..."})',
    "future": 'Agent.create({name = "helper"}):run_async("ready")',
    "workflow": 'Workflow.sequential({name = "pipeline", steps = {function(x) return x end}})',
    "timeline": 'Event.timeline()',
}
# The session every example starts from: the files, state versions and artifact the examples name.
WORLD = """
fs.write("notes/today.md", "# Today")
fs.write("notes/old.md", "old")
State.set("user", {name = "Ada"})
State.set("draft", "...")
Artifact.store("report.md", "# Tides")
"""
# The few examples that need more: an agent named "writer" (not in WORLD, since Agent.create makes one).
NEEDS = {
    "Agent.get": 'Agent.create({name = "writer"})',
    "Agent.remove": 'Agent.create({name = "writer"})',
    "Workflow.resume": 'Workflow.sequential({steps = {{tool = "uuid", args = {}}}})'
                       ':run(nil, {checkpoint = true, run_id = "run-1a2b3c4d5e6f"})',
}


def test_docs_api_md_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render(), f"docs/api.md is stale: run `{REGENERATE}` in the project root"


def test_check_flag_reports_a_stale_file(tmp_path, capsys):
    target = tmp_path / "api.md"
    assert main(["--check", "--output", str(target)]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert main(["--output", str(target)]) == 0
    assert main(["--check", "--output", str(target)]) == 0


def test_every_global_and_function_is_documented():
    text = render()
    missing = [name for name in global_names() if f"| `{name}` |" not in text]
    missing += [fn.qualname for fn in FUNCTIONS if f"#### `{signature(fn)}`\n" not in text]
    missing += [f"{a.name}.{short}" for a in ALIASES if a.names for short in alias_functions(a) if
                f"`{a.name}.{short}`" not in text]
    assert not missing


def test_every_function_has_an_example_in_every_language():
    assert [fn.qualname for fn in FUNCTIONS if fn.example is None] == []
    text = render()
    for fn in FUNCTIONS:
        for syntax in (LUA, JAVASCRIPT, TENGO):
            assert f"```{syntax.name}\n{example(fn, syntax)}\n```" in text


def _fn(owner: str, name: str, example: tuple, **kwargs: Any) -> ApiFunction:
    return ApiFunction(name, lambda: None, "", inspect.Signature(), owner=owner, example=example, **kwargs)


def test_examples_per_language():
    create = _fn("Agent", "create", ("Agent", {"name": "writer", "tools": ["calculator"]}))
    assert example(create, LUA) == 'Agent.create({name = "writer", tools = {"calculator"}})'
    assert example(create, JAVASCRIPT) == 'await Agent.create({name: "writer", tools: ["calculator"]})'
    assert example(create, TENGO) == 'Agent.create({name: "writer", tools: ["calculator"]})'
    run = _fn("AgentHandle", "run", ("agent", "x", "<fn>"), blocking=True)
    assert example(run, LUA) == 'agent:run("x", function(x) return x end)'
    assert example(run, JAVASCRIPT) == 'await agent.run("x", (x) => x)'
    assert example(run, TENGO) == 'agent.run("x", func(x) { return x })'
    name = _fn("AgentHandle", "name", ("agent",), is_property=True)
    assert {example(name, s) for s in (LUA, JAVASCRIPT, TENGO)} == {"agent.name"}
    display = _fn("", "display", ("", ["<future>", None]))
    assert [example(display, s) for s in (LUA, JAVASCRIPT, TENGO)] == [
        "display({future, nil})", "await display([future, null])", "display([future, undefined])"]


def test_literals_per_language():
    value = {"until": [1, 2.5, True, None], "a b": {"x": "<fn>"}, "f": "<future>", "s": 'say "hi"\n\\\x01'}
    assert LUA.literal(value) == ('{["until"] = {1, 2.5, true, nil}, ["a b"] = {x = function(x) return x end}, '
                                  'f = future, s = "say \\"hi\\"\\n\\\\\\x01"}')
    assert JAVASCRIPT.literal(value) == ('{until: [1, 2.5, true, null], "a b": {x: (x) => x}, '
                                         'f: future, s: "say \\"hi\\"\\n\\\\\\x01"}')
    assert TENGO.literal({"func": [], "if_": {}, "n": None}) == '{"func": [], if_: {}, n: undefined}'


def test_lua_literals_read_back_as_the_same_values(lua):
    value = {"text": 'quote " backslash \\ newline \n tab \t bell \x07 é', "list": [1, -2, 2.5, True, False],
             "nested": {"until": {"end": [{"x": "y"}]}, "dotted.key": "v"}}
    assert lua(f"return {LUA.literal(value)}") == value


def _uses_future(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_uses_future(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_uses_future(v) for v in value)
    return value == FUTURE


def test_every_receiver_variable_has_a_setup():
    namespaces = {ns.api_name for ns in NAMESPACES}
    variables = {fn.example[0] for fn in FUNCTIONS if fn.example and fn.example[0] not in namespaces}
    assert variables - {""} <= set(RECEIVERS), "add the new handle variable to RECEIVERS"


@pytest.mark.parametrize("fn", [f for f in FUNCTIONS if f.example is not None], ids=lambda f: f.qualname)
def test_lua_example_runs(session, fn, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "Ada")  # the user answers Spell.input
    receiver, *args = fn.example
    setup = [WORLD, NEEDS.get(fn.qualname, "")]
    if receiver in RECEIVERS:
        setup.append(f"local {receiver} = {RECEIVERS[receiver]}")
    if _uses_future(args) and receiver != "future":
        setup.append(f"local future = {RECEIVERS['future']}")
    prepare(session, fn)
    session.run("\n".join([*setup, f"return {example(fn, LUA)}"]), "lua")
