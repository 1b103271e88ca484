"""An API call with arguments of the wrong kind is the script's mistake: an ApiError that names the function,
the parameter and both kinds, in every engine, never a Python TypeError; and the session goes on."""

from __future__ import annotations

import pytest

from llmspell_kernel.errors import ApiError

CASES = [
    # (lua, js, tengo, the message)
    ('Tool.call({}, {})', 'await Tool.call({}, {})', 'Tool.call({}, {})',
     "Tool.call(name, args?): name must be a string, not a map"),
    ('Artifact.get({})', 'await Artifact.get({})', 'Artifact.get({})',
     "Artifact.get(name, version?): name must be a string, not a map"),
    ('Prompt.render("x", 1)', 'await Prompt.render("x", 1)', 'Prompt.render("x", 1)',
     "Prompt.render(template, vars?): vars must be a map or nil, not an integer"),
    ('State.schema({}, {})', 'await State.schema({}, {})', 'State.schema({}, {})',
     "State.schema(key, json_schema): key must be a string, not a map"),
    # kept for later, so checked at once: a wrong pattern would fail at every later event
    ('Event.on(5, function() end)', 'await Event.on(5, () => 1)', 'Event.on(5, func() {})',
     "Event.on(pattern, fn): pattern must be a string, not an integer"),
]


@pytest.mark.parametrize(("lua", "js", "tengo", "message"), CASES, ids=[c[3].split("(")[0] for c in CASES])
def test_wrong_kinds_of_arguments_are_usage_errors(spell, lua, js, tengo, message):
    with pytest.raises(ApiError) as info:
        spell(lua=f"return {lua}", js=js, tengo=tengo)
    assert message in info.value.message
    assert "TypeError" not in str(info.value)
    # the session goes on, and events still flow (a bad Event.on pattern was never kept)
    assert spell(lua='State.set("k", 1); return State.get("k")', js='await State.set("k", 1); await State.get("k")',
                 tengo='State.set("k", 1)\nState.get("k")') == 1
