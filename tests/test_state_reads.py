"""`State.get` answers from a live mirror of the latest version: it must never disagree with the store."""

from __future__ import annotations


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
