"""Artifacts and state schemas, driven through real spells in every engine."""

from __future__ import annotations

import pytest

from llmspell_kernel.errors import ApiError, ConversionError


def test_artifacts_are_versioned_with_metadata(spell):
    assert spell(lua="return Artifact.store('report.md', '# Draft', {agent = 'writer'})",
                 tengo='Artifact.store("report.md", "# Draft", {agent: "writer"})',
                 js="await Artifact.store('report.md', '# Draft', {agent: 'writer'})") == 1
    assert spell(lua="return Artifact.store('report.md', '# Final', {agent = 'editor'})",
                 tengo='Artifact.store("report.md", "# Final", {agent: "editor"})',
                 js="await Artifact.store('report.md', '# Final', {agent: 'editor'})") == 2
    assert spell(lua="return Artifact.get('report.md')", tengo='Artifact.get("report.md")',
                 js="await Artifact.get('report.md')") == "# Final"
    assert spell(lua="return Artifact.get('report.md', 1)", tengo='Artifact.get("report.md", 1)',
                 js="await Artifact.get('report.md', 1)") == "# Draft"
    # bytes made in Python reach Lua as a string, Tengo as bytes, JavaScript as a Uint8Array
    spell.session.artifacts.store("data.bin", b"\x00\x01\x02\xff")
    assert spell(lua="return #Artifact.get('data.bin')", tengo='len(Artifact.get("data.bin"))',
                 js="(await Artifact.get('data.bin')).length") == 4
    with pytest.raises(ConversionError, match="not valid UTF-8"):
        spell(lua="Artifact.store('raw.bin', '\\255')", tengo='Artifact.store("raw.bin", "\\xff")',
              js="await Artifact.store('raw.bin', '\\ud800')")  # a lone surrogate: no UTF-8 can hold it
    listing = spell(lua="return Artifact.list()", tengo="Artifact.list()", js="await Artifact.list()")
    assert [(a["name"], a["version"], a["size"]) for a in listing] == [("data.bin", 1, 4), ("report.md", 2, 7)]
    report = listing[1]
    assert report["meta"] == {"agent": "editor"}
    assert report["author"]["engine"] == spell.engine and report["time"] > 0


LIST_NAMES = {  # the names of `Artifact.list(F)`, per engine
    "lua": "local out = {}\nfor i, a in ipairs(Artifact.list(F)) do out[i] = a.name end\nreturn out",
    "tengo": "out := []\nfor _, a in Artifact.list(F) { out = append(out, a.name) }\nout",
    "js": "const out = (await Artifact.list(F)).map((a) => a.name)\nout",
}


def _names(spell, **filters: str) -> list[str]:
    """The names `Artifact.list` gives for a filter written per engine (`lua=..., tengo=..., js=...`)."""
    return spell(**{engine: LIST_NAMES[engine].replace("(F)", f"({f})") for engine, f in filters.items()})


def test_artifact_list_filters_by_name_glob_and_meta(spell):
    spell(lua="""
        Artifact.store('a.md', 'x', {kind = 'draft'})
        Artifact.store('b.md', 'y', {kind = 'final'})
        Artifact.store('c.txt', 'z', {kind = 'final'})
    """, tengo="""
        Artifact.store("a.md", "x", {kind: "draft"})
        Artifact.store("b.md", "y", {kind: "final"})
        Artifact.store("c.txt", "z", {kind: "final"})
    """, js="""
        await Artifact.store('a.md', 'x', {kind: 'draft'})
        await Artifact.store('b.md', 'y', {kind: 'final'})
        await Artifact.store('c.txt', 'z', {kind: 'final'})
    """)
    assert _names(spell, lua="'*.md'", tengo='"*.md"', js="'*.md'") == ["a.md", "b.md"]
    assert _names(spell, lua="{meta = {kind = 'final'}}", tengo='{meta: {kind: "final"}}',
                  js="{meta: {kind: 'final'}}") == ["b.md", "c.txt"]
    assert _names(spell, lua="{name = '*.md', meta = {kind = 'final'}}",
                  tengo='{name: "*.md", meta: {kind: "final"}}', js="{name: '*.md', meta: {kind: 'final'}}") == ["b.md"]
    with pytest.raises(ApiError, match="filter is a name glob"):
        spell(lua="Artifact.list(42)", tengo="Artifact.list(42)", js="await Artifact.list(42)")


def test_artifact_delete_and_errors(spell):
    spell(lua="Artifact.store('gone.txt', 'bye')", tengo='Artifact.store("gone.txt", "bye")', js="await Artifact.store('gone.txt', 'bye')")
    assert spell(lua="return Artifact.delete('gone.txt')", tengo='Artifact.delete("gone.txt")', js="await Artifact.delete('gone.txt')") is True
    assert spell(lua="return Artifact.delete('gone.txt')", tengo='Artifact.delete("gone.txt")', js="await Artifact.delete('gone.txt')") is False
    with pytest.raises(ApiError, match=r"no artifact named 'gone\.txt'"):
        spell(lua="Artifact.get('gone.txt')", tengo='Artifact.get("gone.txt")', js="await Artifact.get('gone.txt')")
    spell(lua="Artifact.store('one.txt', 'v1')", tengo='Artifact.store("one.txt", "v1")', js="await Artifact.store('one.txt', 'v1')")
    with pytest.raises(ApiError, match="has versions 1 to 1, not 5"):
        spell(lua="Artifact.get('one.txt', 5)", tengo='Artifact.get("one.txt", 5)', js="await Artifact.get('one.txt', 5)")
    with pytest.raises(ApiError, match="content must be text or bytes"):
        spell(lua="Artifact.store('t', {1, 2})", tengo='Artifact.store("t", [1, 2])', js="await Artifact.store('t', [1, 2])")
    with pytest.raises(ApiError, match="meta must be a map"):
        spell(lua="Artifact.store('t', 'x', 'not a map')", tengo='Artifact.store("t", "x", "not a map")',
              js="await Artifact.store('t', 'x', 'not a map')")
    events = [e.type for e in spell.session.events.list(type="artifact.*")]
    assert events == ["artifact.store", "artifact.delete", "artifact.store"]


def test_state_schema_refuses_writes_that_do_not_match_and_names_the_path(spell):
    spell(lua="""State.schema('user', {type = 'object', required = {'name'},
                                       properties = {name = {type = 'string'}, age = {type = 'integer', minimum = 0}}})""",
          tengo="""State.schema("user", {type: "object", required: ["name"],
                                         properties: {name: {type: "string"}, age: {type: "integer", minimum: 0}}})""",
          js="""await State.schema('user', {type: 'object', required: ['name'],
                                      properties: {name: {type: 'string'}, age: {type: 'integer', minimum: 0}}})""")
    assert spell(lua="return State.set('user', {name = 'Ada', age = 36})",
                 tengo='State.set("user", {name: "Ada", age: 36})',
                 js="await State.set('user', {name: 'Ada', age: 36})") == 1
    assert spell(lua="return State.set('user.age', 37)", tengo='State.set("user.age", 37)', js="await State.set('user.age', 37)") == 2
    with pytest.raises(ApiError, match=r"state schema refuses user\.age: -1 is less than the minimum of 0"):
        spell(lua="State.set('user.age', -1)", tengo='State.set("user.age", -1)', js="await State.set('user.age', -1)")
    with pytest.raises(ApiError, match=r"refuses user: 'name' is a required property"):
        spell(lua="State.set('user', {age = 3})", tengo='State.set("user", {age: 3})', js="await State.set('user', {age: 3})")
    with pytest.raises(ApiError, match=r"refuses user\.name"):
        spell(lua="State.update('user', function(u) u.name = 42; return u end)",
              tengo='State.update("user", func(u) { u.name = 42; return u })',
              js="await State.update('user', (u) => { u.name = 42; return u })")
    assert spell(lua="return State.get('user')", tengo='State.get("user")', js="await State.get('user')") == {"name": "Ada", "age": 37}  # nothing refused was kept
    assert spell(lua="return State.version()", tengo="State.version()", js="await State.version()") == 2
    assert spell(lua="return State.set('other', -1)", tengo='State.set("other", -1)', js="await State.set('other', -1)") == 3  # keys without a schema are free
    with pytest.raises(ApiError, match="invalid schema"):
        spell(lua="State.schema('bad', {type = 'no-such-type'})", tengo='State.schema("bad", {type: "no-such-type"})',
              js="await State.schema('bad', {type: 'no-such-type'})")
