"""Every chunk is a `spell.*` span at the root of its events; streams emit `llm.chunk`."""

from __future__ import annotations

import pytest

from llmspell_kernel.errors import ScriptRuntimeError


def test_a_chunk_is_the_root_span_of_its_events(spell):
    spell(lua="Agent.create({name = 'root'}):run('hi')", tengo='Agent.create({name: "root"}).run("hi")',
          js="await new Agent({name: 'root'}).run('hi')", chunk="cell[1]")
    events = {e.id: e for e in spell.session.events.list()}
    request = next(e for e in events.values() if e.type == "llm.request")
    node = request
    while node.parent_id in events:
        node = events[node.parent_id]
    assert node.type == "spell.start" and node.data == {"engine": spell.engine, "chunk": "cell[1]"}
    [done] = spell.session.events.list(type="spell.complete")
    assert done.parent_id == node.id and done.duration is not None


def test_a_failing_chunk_ends_its_span_with_spell_error(spell):
    with pytest.raises(ScriptRuntimeError):
        spell(lua="error('broken cell')", tengo='error("broken cell")', js="throw new Error('broken cell')", chunk="cell[2]")
    [error] = spell.session.events.list(type="spell.error")
    assert "broken cell" in error.data["error"] and error.data["chunk"] == "cell[2]"


def test_streams_emit_llm_chunk_events_under_their_request(spell):
    spell(lua="LLM.stream('one two three', function(c) end)", tengo='LLM.stream("one two three", func(c) {})',
          js="await LLM.stream('one two three', (c) => {})")
    [request] = spell.session.events.list(type="llm.request")
    chunks = spell.session.events.list(type="llm.chunk")
    assert [c.data["text"] for c in chunks] == ["one", " two", " three"]
    assert {c.parent_id for c in chunks} == {request.id}
    spell(lua="Agent.create({name = 'quiet'}):run('no stream')", tengo='Agent.create({name: "quiet"}).run("no stream")',
          js="await (await Agent.create({name: 'quiet'})).run('no stream')")
    assert len(spell.session.events.list(type="llm.chunk")) == 3  # a plain run emits no chunks
