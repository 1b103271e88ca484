"""Tab, Shift-Tab and Enter through the real kernels (Lua, Tengo and JavaScript): complete, inspect and
is_complete requests, and Spell.input through the frontend."""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel
from support.guards import GUARD
from test_kernel import execute

SETUP = {
    "lua": "Agent.create({name = 'writer'})\nState.set('user', {name = 'Ada'})\nscribe = Agent.get('writer')\n"
           "counter = 3\nsettings = {alpha = 1}",
    "tengo": 'Agent.create({name: "writer"})\nState.set("user", {name: "Ada"})\nscribe := Agent.get("writer")\n'
             'counter := 3\nsettings := {alpha: 1}',
    "js": 'await Agent.create({name: "writer"})\nawait State.set("user", {name: "Ada"})\n'
          'const scribe = await Agent.get("writer")\nconst counter = 3\nconst settings = {alpha: 1}',
}
# (code with | for the cursor, a completion that must be offered, the text it replaces)
COMPLETIONS = [
    ("Agent.|", "create", ""),
    ("Agent.cr|", "create", "cr"),
    ("Sta|", "State", "Sta"),
    ("State.hi|", "history", "hi"),
    ("tools.ex|", "execute", "ex"),
    ("Spell.|", "params", ""),
    ("scribe.ru|", "run_async", "ru"),
    ("cou|", "counter", "cou"),
    ("settings.al|", "alpha", "al"),
    ("Agent.get(\"wr|", "writer", "wr"),
    ("Tool.call(\"calc|", "calculator", "calc"),
    ("State.get(\"user.|", "user.name", "user."),
    ("Workflow.par|", "parallel", "par"),
    ("disp|", "display", "disp"),
]
KEYWORDS = {"lua": ("loc|", "local"), "tengo": ("fun|", "func"), "js": ("cons|", "const")}
INCOMPLETE = {"lua": "function f(x)\n  return x", "tengo": "f := func(x) {\n  return x",
              "js": "function f(x) {\n  return x"}
INVALID = {"lua": "x = = 1", "tengo": "x := )", "js": "let = = 1"}
COMPLETE = {"lua": "x = 1", "tengo": "x := 1", "js": "let x = 1"}
COMMENT = {"lua": "-- 🌊\n", "tengo": "// 🌊\n", "js": "// 🌊\n"}
TITLE = {"lua": "Lua", "tengo": "Tengo", "js": "JavaScript"}
INPUT = {"lua": "return 'hi ' .. Spell.input('Name? ')", "tengo": '"hi " + Spell.input("Name? ")',
         "js": '"hi " + await Spell.input("Name? ")'}
NO_INPUT = {"lua": "return Spell.input('Name? ')", "tengo": 'Spell.input("Name? ")',
            "js": 'await Spell.input("Name? ")'}


@pytest.fixture(scope="module", params=["lua", "tengo", "js"])
def kernel(request, tmp_path_factory):
    km, kc = start_new_kernel(kernel_name=f"llmspell-{request.param}", cwd=str(tmp_path_factory.mktemp("intro")))
    reply, _ = execute(kc, SETUP[request.param])
    assert reply["status"] == "ok", reply
    yield request.param, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def complete(kc, marked: str) -> dict:
    code = marked.replace("|", "")
    kc.complete(code, marked.index("|"))
    return kc.get_shell_msg(timeout=GUARD)["content"]


def inspect(kc, code: str, cursor: int | None = None) -> dict:
    kc.inspect(code, len(code) if cursor is None else cursor)
    return kc.get_shell_msg(timeout=GUARD)["content"]


def is_complete(kc, code: str) -> dict:
    kc.is_complete(code)
    return kc.get_shell_msg(timeout=GUARD)["content"]


@pytest.mark.parametrize(("marked", "expected", "replaced"), COMPLETIONS, ids=[c[0] for c in COMPLETIONS])
def test_completion(kernel, marked, expected, replaced):
    _, kc = kernel
    reply = complete(kc, marked)
    assert reply["status"] == "ok"
    assert expected in reply["matches"], reply["matches"]
    cursor = marked.index("|")
    assert (reply["cursor_start"], reply["cursor_end"]) == (cursor - len(replaced), cursor)


def test_keywords_and_unicode_offsets(kernel):
    engine, kc = kernel
    marked, keyword = KEYWORDS[engine]
    assert keyword in complete(kc, marked)["matches"]
    # code points, not UTF-16 units or bytes: an emoji before the cursor counts as one
    reply = complete(kc, COMMENT[engine] + "Agent.cr|")
    assert reply["matches"] == ["create"] and reply["cursor_start"] == 11


def test_completion_in_a_named_engine_cell(kernel):
    engine, kc = kernel
    other = "tengo" if engine != "tengo" else "lua"
    reply = complete(kc, f"%%spell {other}\nAgent.cr|")
    assert reply["matches"] == ["create"]
    prefix = len(f"%%spell {other}\n")
    assert (reply["cursor_start"], reply["cursor_end"]) == (prefix + 6, prefix + 8)
    assert "print" in complete(kc, "%%python\npri|")["matches"]  # Python cells complete as Python


def test_inspection_of_api_names_handles_and_values(kernel):
    engine, kc = kernel
    reply = inspect(kc, "Agent.create")
    assert reply["found"]
    text = reply["data"]["text/plain"]
    assert "Agent.create(opts?)" in text and "register it in the session" in text
    assert f"Example ({TITLE[engine]})" in text
    agent = inspect(kc, "scribe")["data"]["text/plain"]
    assert "<Agent writer (mock/echo)" in agent and '"calls": 0' in agent
    assert "**counter**: int" in inspect(kc, "counter")["data"]["text/plain"]
    assert "run(input, opts?)" in inspect(kc, "scribe.run", 8)["data"]["text/plain"]
    assert inspect(kc, "nothing_here")["found"] is False


def test_is_complete(kernel):
    engine, kc = kernel
    assert is_complete(kc, INCOMPLETE[engine]) == {"status": "incomplete", "indent": "  "}
    assert is_complete(kc, COMPLETE[engine])["status"] == "complete"
    assert is_complete(kc, INVALID[engine])["status"] == "invalid"
    assert is_complete(kc, "%%spell lua\nfor i = 1, 3 do")["status"] == "incomplete"


def test_tab_in_a_spell_cell_of_an_ipython_kernel(tmp_path):
    """`%load_ext llmspell_kernel` in the ordinary Python kernel: Tab inside `%%spell` completes the spell."""
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        reply, _ = execute(kc, "%load_ext llmspell_kernel")
        assert reply["status"] == "ok", reply
        execute(kc, "%%spell lua\nscribe = Agent.create({name = 'writer'})")
        for marked, expected in [("%%spell lua\nAgent.cr|", ["create"]), ("%%tengo\nState.hist|", ["history"]),
                                 ("%%lua\nscribe:ch|", ["chat"]), ("%%spell lua\nAgent.get('wr|", ["writer"])]:
            reply = complete(kc, marked)
            cursor = marked.index("|")
            assert reply["matches"] == expected, (marked, reply["matches"])
            assert reply["cursor_end"] == cursor
            assert marked[reply["cursor_start"]:cursor] == expected[0][: cursor - reply["cursor_start"]]
        assert "print" in complete(kc, "pri|")["matches"]  # Python cells are untouched
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_spell_input_asks_the_frontend(kernel):
    engine, kc = kernel
    code = INPUT[engine]
    msg_id = kc.execute(code, allow_stdin=True)
    request = kc.get_stdin_msg(timeout=GUARD)
    assert request["msg_type"] == "input_request" and request["content"]["prompt"] == "Name? "
    kc.input("Ada")
    reply = kc.get_shell_msg(timeout=GUARD)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    while True:
        msg = kc.get_iopub_msg(timeout=GUARD)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_result":
            assert msg["content"]["data"]["text/plain"] == "hi Ada"
            break
    # a frontend that allows no input gets a clear error, not a hang (in Tengo, an error value as the result)
    msg_id = kc.execute(NO_INPUT[engine], allow_stdin=False)
    reply = kc.get_shell_msg(timeout=GUARD)
    assert reply["content"]["status"] == "error"
    assert "this frontend does not accept input" in reply["content"]["evalue"]
