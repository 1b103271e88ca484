"""`State.get` answers from a live mirror of the latest version: it must never disagree with the store."""

from __future__ import annotations


def test_fast_reads_follow_every_kind_of_write(lua):
    lua("State.set('n', 1)\nState.set('s', 'text')\nState.set('m', {a = 1})")
    assert lua("return {State.get('n'), State.get('s'), State.get('m').a}") == [1, "text", 1]
    lua("State.update('n', function(v) return v + 1 end)")
    assert lua("return State.get('n')") == 2
    lua("State.delete('s')")
    assert lua("return State.get('s', 'gone')") == "gone"
    assert lua("return State.get('s', {fallback = true})") == {"fallback": True}
    lua("State.rollback(2)")  # n = 1, s = 'text', no m
    assert lua("return {State.get('n'), State.get('s'), State.get('m', 'none')}") == [1, "text", "none"]
    lua("State.set('m.b', 7)")
    assert lua("return State.get('m.b')") == 7
    lua.session.state.set("big", 2**70)  # a Python int Lua cannot hold takes the full path and its error
    assert "does not fit" in lua("local ok, err = pcall(State.get, 'big')\nreturn err")


def test_scoped_reads_see_their_own_scope(lua):
    lua("State.set('k', 'root')\nlocal s = State.scope('agent:a')\ns:set('k', 'scoped')")
    assert lua("return {State.get('k'), State.scope('agent:a'):get('k')}") == ["root", "scoped"]


def test_reads_return_copies_of_maps(lua):
    lua("State.set('m', {list = {1, 2}})")
    assert lua("local m = State.get('m')\nm.list[1] = 99\nreturn State.get('m').list[1]") == 1
