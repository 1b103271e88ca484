"""Artifacts and state schemas, driven through real Lua spells."""

from __future__ import annotations

import pytest

from llmspell_kernel.errors import ApiError, ConversionError


def test_artifacts_are_versioned_with_metadata(lua):
    assert lua("return Artifact.store('report.md', '# Draft', {agent = 'writer'})") == 1
    assert lua("return Artifact.store('report.md', '# Final', {agent = 'editor'})") == 2
    assert lua("return Artifact.get('report.md')") == "# Final"
    assert lua("return Artifact.get('report.md', 1)") == "# Draft"
    lua.session.artifacts.store("data.bin", b"\x00\x01\x02\xff")  # bytes made in Python reach Lua as a string
    assert lua("return #Artifact.get('data.bin')") == 4
    with pytest.raises(ConversionError, match="not valid UTF-8"):
        lua("Artifact.store('raw.bin', '\\255')")
    listing = lua("return Artifact.list()")
    assert [(a["name"], a["version"], a["size"]) for a in listing] == [("data.bin", 1, 4), ("report.md", 2, 7)]
    report = listing[1]
    assert report["meta"] == {"agent": "editor"}
    assert report["author"]["engine"] == "lua" and report["time"] > 0


def test_artifact_list_filters_by_name_glob_and_meta(lua):
    lua("""
        Artifact.store('a.md', 'x', {kind = 'draft'})
        Artifact.store('b.md', 'y', {kind = 'final'})
        Artifact.store('c.txt', 'z', {kind = 'final'})
    """)
    names = "local out = {}\nfor i, a in ipairs(Artifact.list({F})) do out[i] = a.name end\nreturn out"
    assert lua(names.replace("{F}", "'*.md'")) == ["a.md", "b.md"]
    assert lua(names.replace("{F}", "{meta = {kind = 'final'}}")) == ["b.md", "c.txt"]
    assert lua(names.replace("{F}", "{name = '*.md', meta = {kind = 'final'}}")) == ["b.md"]
    with pytest.raises(ApiError, match="filter is a name glob"):
        lua("Artifact.list(42)")


def test_artifact_delete_and_errors(lua):
    lua("Artifact.store('gone.txt', 'bye')")
    assert lua("return Artifact.delete('gone.txt')") is True
    assert lua("return Artifact.delete('gone.txt')") is False
    with pytest.raises(ApiError, match=r"no artifact named 'gone\.txt'"):
        lua("Artifact.get('gone.txt')")
    lua("Artifact.store('one.txt', 'v1')")
    with pytest.raises(ApiError, match="has versions 1 to 1, not 5"):
        lua("Artifact.get('one.txt', 5)")
    with pytest.raises(ApiError, match="content must be text or bytes"):
        lua("Artifact.store('t', {1, 2})")
    with pytest.raises(ApiError, match="meta must be a map"):
        lua("Artifact.store('t', 'x', 'not a map')")
    events = [e.type for e in lua.session.events.list(type="artifact.*")]
    assert events == ["artifact.store", "artifact.delete", "artifact.store"]


def test_state_schema_refuses_writes_that_do_not_match_and_names_the_path(lua):
    lua("""State.schema('user', {type = 'object', required = {'name'},
                                  properties = {name = {type = 'string'}, age = {type = 'integer', minimum = 0}}})""")
    assert lua("return State.set('user', {name = 'Ada', age = 36})") == 1
    assert lua("return State.set('user.age', 37)") == 2
    with pytest.raises(ApiError, match=r"state schema refuses user\.age: -1 is less than the minimum of 0"):
        lua("State.set('user.age', -1)")
    with pytest.raises(ApiError, match=r"refuses user: 'name' is a required property"):
        lua("State.set('user', {age = 3})")
    with pytest.raises(ApiError, match=r"refuses user\.name"):
        lua("State.update('user', function(u) u.name = 42; return u end)")
    assert lua("return State.get('user')") == {"name": "Ada", "age": 37}  # nothing refused was kept
    assert lua("return State.version()") == 2
    assert lua("return State.set('other', -1)") == 3  # keys without a schema are free
    with pytest.raises(ApiError, match="invalid schema"):
        lua("State.schema('bad', {type = 'no-such-type'})")
