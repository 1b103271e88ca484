"""The conformance suite: every spell in tests/conformance prints the same output in every engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmspell_kernel.conformance import check, main, spell_names

SUITE = Path(__file__).parent / "conformance"
ENGINES = ["lua", "tengo", "js"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", spell_names(SUITE))
def test_spell_output_matches_in_every_engine(name, engine):
    outcome = check(SUITE, name, engine)
    assert outcome.status != "missing", f"write tests/conformance/{name} for {engine}"
    assert outcome.status == "pass", outcome.diff()


def test_the_suite_covers_every_function_and_method():
    from llmspell_kernel.api.table import HANDLES, NAMESPACES

    source = "\n".join(p.read_text(encoding="utf-8") for p in SUITE.glob("*.lua"))
    missing = [f"{ns.api_name}.{fn.name}" for ns in NAMESPACES for fn in ns.functions().values()
               if not any((f"{ns.api_name}.{n}(" if ns.api_name else f"{n}(") in source
                          for n in (fn.name, *fn.aliases))]
    missing += [f"{h.api_name}.{fn.name}" for h in HANDLES for fn in h.functions().values()
                if not any(form in source for form in (f":{fn.name}(", f".{fn.name}"))]
    assert not missing, f"no conformance spell uses {', '.join(missing)}"


def test_the_runner_reports_a_table_and_fails_on_a_difference(tmp_path, capsys):
    (tmp_path / "greet.lua").write_text('display("hello")')
    (tmp_path / "greet.tengo").write_text('display("hello")')
    (tmp_path / "greet.out").write_text("hello\n")
    assert main([str(tmp_path), "--engine", "lua", "--engine", "tengo"]) == 0
    assert "| greet | ✓ | ✓ |" in capsys.readouterr().out
    (tmp_path / "greet.tengo").write_text('display("hullo")')
    (tmp_path / "boom.lua").write_text('error("broken")')
    (tmp_path / "boom.out").write_text("")
    assert main([str(tmp_path), "--engine", "lua", "--engine", "tengo"]) == 1
    out = capsys.readouterr().out
    assert "| greet | ✓ | ✗ |" in out and "-hello\n+hullo" in out
    assert "| boom | ✗ | – |" in out and "+uncaught RuntimeError: broken" in out
    assert "| **agreement** | 1/2 | 0/2 |" in out
