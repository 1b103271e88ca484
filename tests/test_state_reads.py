"""`State.get` answers from a live mirror of the latest version: it must never disagree with the store."""

from __future__ import annotations

import json


def test_fast_reads_follow_every_kind_of_write(spell):
    spell(lua="State.set('n', 1)\nState.set('s', 'text')\nState.set('m', {a = 1})",
          tengo='State.set("n", 1)\nState.set("s", "text")\nState.set("m", {a: 1})',
          js="await State.set('n', 1)\nawait State.set('s', 'text')\nawait State.set('m', {a: 1})")
    assert spell(lua="return {State.get('n'), State.get('s'), State.get('m').a}",
                 tengo='[State.get("n"), State.get("s"), State.get("m").a]',
                 js="const got = [await State.get('n'), await State.get('s'), (await State.get('m')).a]\ngot") == [1, "text", 1]
    spell(lua="State.update('n', function(v) return v + 1 end)", tengo='State.update("n", func(v) { return v + 1 })',
          js="await State.update('n', (v) => v + 1)")
    assert spell(lua="return State.get('n')", tengo='State.get("n")', js="await State.get('n')") == 2
    spell(lua="State.delete('s')", tengo='State.delete("s")', js="await State.delete('s')")
    assert spell(lua="return State.get('s', 'gone')", tengo='State.get("s", "gone")', js="await State.get('s', 'gone')") == "gone"
    assert spell(lua="return State.get('s', {fallback = true})",
                 tengo='State.get("s", {fallback: true})',
                 js="await State.get('s', {fallback: true})") == {"fallback": True}
    spell(lua="State.rollback(2)", tengo="State.rollback(2)", js="await State.rollback(2)")  # n = 1, s = 'text', no m
    assert spell(lua="return {State.get('n'), State.get('s'), State.get('m', 'none')}",
                 tengo='[State.get("n"), State.get("s"), State.get("m", "none")]',
                 js="const back = [await State.get('n'), await State.get('s'), await State.get('m', 'none')]\nback") == [1, "text", "none"]
    spell(lua="State.set('m.b', 7)", tengo='State.set("m.b", 7)', js="await State.set('m.b', 7)")
    assert spell(lua="return State.get('m.b')", tengo='State.get("m.b")', js="await State.get('m.b')") == 7
    # a Python int the engine cannot hold takes the full path and its error
    spell.session.state.set("big", 2**70)
    assert "does not fit" in spell(lua="local ok, err = pcall(State.get, 'big')\nreturn err",
                                   tengo='r := State.get("big")\nis_error(r) ? r.value : "no error"',
                                   js="let err = 'no error'\ntry { await State.get('big') } catch (e) { err = e.message }\nerr")


def test_scoped_reads_see_their_own_scope(spell):
    spell(lua="State.set('k', 'root')\nlocal s = State.scope('agent:a')\ns:set('k', 'scoped')",
          tengo='State.set("k", "root")\ns := State.scope("agent:a")\ns.set("k", "scoped")',
          js="await State.set('k', 'root')\nconst s = await State.scope('agent:a')\nawait s.set('k', 'scoped')")
    assert spell(lua="return {State.get('k'), State.scope('agent:a'):get('k')}",
                 tengo='[State.get("k"), State.scope("agent:a").get("k")]',
                 js="const both = [await State.get('k'), await (await State.scope('agent:a')).get('k')]\nboth") == ["root", "scoped"]


def test_reads_return_copies_of_maps(spell):
    spell(lua="State.set('m', {list = {1, 2}})", tengo='State.set("m", {list: [1, 2]})', js="await State.set('m', {list: [1, 2]})")
    assert spell(lua="local m = State.get('m')\nm.list[1] = 99\nreturn State.get('m').list[1]",
                 tengo='m := State.get("m")\nm.list[0] = 99\nState.get("m").list[0]',
                 js="const m = await State.get('m')\nm.list[0] = 99\n;(await State.get('m')).list[0]") == 1


SCALARS = {  # each must read back as itself, in every engine, whichever path answers
    "empty": "", "m": "m", "n": "n", "s": "s", "unicode": "héllo → 世界 🎉", "long": "x" * 70_000,
    "zero": 0, "negative": -7, "int32_max": 2**31 - 1, "past_int32": 2**31, "int32_min": -(2**31),
    "below_int32": -(2**31) - 1, "2**40": 2**40, "safe_max": 2**53 - 1, "safe_min": -(2**53 - 1),
    "float": 1.5, "tiny": 5e-324,
    "huge_float": 1e300, "true": True, "false": False,
}


def test_every_kind_of_scalar_reads_back_unchanged(spell):
    # JS answers these without JSON (`_host_fast`): its "s"/"n"/"m" tags must never show through
    for key, value in SCALARS.items():
        spell.session.state.set(key, value)
    keys = list(SCALARS)
    got = spell(lua=f"local out = {{}}\nfor i, k in ipairs({_lua_list(keys)}) do out[i] = State.get(k, 'absent') end\n"
                    "return out",
                tengo=f"out := []\nfor k in {json.dumps(keys)} {{ out = append(out, State.get(k, \"absent\")) }}\nout",
                js=f"const out = []\nfor (const k of {json.dumps(keys)}) out.push(await State.get(k, 'absent'))\nout")
    assert got == list(SCALARS.values())
    spell.session.state.set("none", None)  # a stored None is a value: the default does not replace it
    assert spell(lua="return State.get('none', 'absent')", tengo='State.get("none", "absent")',
                 js="await State.get('none', 'absent')") is None


def test_defaults_of_every_kind_come_back_as_given(spell):
    for default_code, expected in [("'d'", "d"), ("0", 0), ("2.5", 2.5), ("true", True)]:
        tengo_default = default_code.replace("'", '"')
        assert spell(lua=f"return State.get('missing', {default_code})", tengo=f'State.get("missing", {tengo_default})',
                     js=f"await State.get('missing', {default_code})") == expected
    assert spell(lua="return State.get('missing')", tengo='State.get("missing")', js="await State.get('missing')") is None


def test_a_value_the_engine_cannot_hold_fails_clearly_on_every_path(spell):
    spell.session.state.set("past_safe", 2**53 + 1)  # JS: not a safe integer; Lua and Tengo: fine
    spell.session.state.set("surrogate", "a\ud800b")  # not valid UTF-8: Lua and JS refuse it, Tengo holds it
    errors = spell(lua="local out = {}\nfor _, k in ipairs({'past_safe', 'surrogate'}) do\n"
                       "  local ok, err = pcall(State.get, k)\n  out[#out + 1] = ok and 'ok' or tostring(err)\nend\n"
                       "return out",
                   tengo='out := []\nfor k in ["past_safe", "surrogate"] {\n  r := State.get(k)\n'
                         '  out = append(out, is_error(r) ? string(r.value) : "ok")\n}\nout',
                   js="const out = []\nfor (const k of ['past_safe', 'surrogate']) {\n"
                      "  try { await State.get(k); out.push('ok') } catch (e) { out.push(e.message) }\n}\nout")
    if spell.engine == "js":
        assert "safe integers" in errors[0]
    else:
        assert errors[0] == "ok"
    assert errors[1] == "ok" if spell.engine == "tengo" else "surrogate" in errors[1]
    assert spell(lua="return 1", tengo="1", js="1") == 1  # and the engine lives on


def _lua_list(items: list) -> str:
    return "{" + ", ".join(f"'{item}'" for item in items) + "}"
