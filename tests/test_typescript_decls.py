"""llmspell.d.ts matches the API table and declares all of it, as the JavaScript engine binds it."""

from __future__ import annotations

import re

from llmspell_kernel.api import ALIASES, HANDLES, NAMESPACES
from llmspell_kernel.api.typescript import OUTPUT, camel, main, render, ts_type


def test_the_shipped_declarations_are_up_to_date():
    assert OUTPUT.read_text(encoding="utf-8") == render(), "run `python -m llmspell_kernel.api.typescript`"
    assert main(["--check"]) == 0


def test_check_fails_on_a_stale_file(tmp_path):
    stale = tmp_path / "llmspell.d.ts"
    stale.write_text("// old\n")
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0 and main(["--check", "--output", str(stale)]) == 0


def test_every_global_function_and_method_is_declared_with_its_camel_case_form():
    text = render()
    for ns in NAMESPACES:
        if ns.api_name:
            assert f"declare const {ns.api_name}: {{" in text
    for alias in ALIASES:
        assert f"declare const {alias.name}: {{" in text
    for handle in HANDLES:
        assert re.search(rf"interface {handle.api_name}\b", text)
    for owner in [*NAMESPACES, *HANDLES]:
        for fn in owner.functions().values():
            for name in (fn.name, *fn.aliases):
                assert re.search(rf"\b{name}\"?[(:]", text), f"{owner.api_name}.{name} is not declared"
                if "_" in name.strip("_"):
                    assert re.search(rf"\b{camel(name)}\(", text)
    # new Agent({...}), its options typed from the table
    assert re.search(r"new \(opts\?: \{ name\?: string; model\?: string; .*\} \| null\): AgentHandle;", text)
    assert "declare function display(" in text


def test_python_annotations_become_typescript_types():
    assert ts_type("dict[str, list[str]] | None") == "Record<string, string[]> | null"
    assert ts_type("int | float") == "number"
    assert ts_type("StateValue") == "StateValue" and ts_type("Agent") == "AgentHandle"
    assert ts_type("SomethingElse") == "any"
