"""What a newcomer meets first: a lean `llmspell run`, a first tool call without jsonschema's grammars, model
errors before litellm is imported, litellm warmed in the background, and examples that fail clearly.

These tests prove behaviour (which modules a fresh process holds, which error arrives), never speed: the
figures are in bench/ (`python -m bench startup`). Each check runs in a fresh interpreter, since this one
has imported everything already.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmspell_kernel.errors import LLMError, MissingKeyError
from llmspell_kernel.runtime.llm.models import check_model, provider_of, providers

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEAVY = ("litellm", "jsonschema", "distributed", "dask", "ssl", "http.client", "urllib.request", "importlib.metadata", "rfc3987_syntax")
TRIVIAL = {"lua": ("spell.lua", "print(1)"), "js": ("spell.js", "console.log(1)"),
           "tengo": ("spell.tengo", 'fmt := import("fmt")\nfmt.println(1)')}


def fresh(code: str, tmp_path: Path, **env: str) -> dict:
    """Run `code` in a new interpreter (offline unless told, no config, no key); it prints one JSON line."""
    environ = {**os.environ, "LLMSPELL_CONFIG": os.devnull, **env}
    for name in ("OPENAI_API_KEY", "LLMSPELL_MODEL", "LLMSPELL_OFFLINE"):
        if name not in env:
            environ.pop(name, None)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, env=environ,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("engine", sorted(TRIVIAL))
def test_a_trivial_spell_imports_none_of_the_heavy_modules(engine, tmp_path):
    name, code = TRIVIAL[engine]
    (tmp_path / name).write_text(code)
    seen = fresh(f"""
        import json, sys
        from llmspell_kernel.cli import main
        try:
            main(["run", {name!r}], standalone_mode=False)
        finally:
            print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
    """, tmp_path)
    assert seen == []


def test_the_lazy_session_commands_are_still_there(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "llmspell_kernel", "--help"], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for command in ("run", "engines", "kernel", "session", "state", "events"):
        assert f"  {command} " in listed.stdout
    helped = subprocess.run([sys.executable, "-m", "llmspell_kernel", "session", "--help"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert helped.returncode == 0 and "export" in helped.stdout


# the first tool call ---------------------------------------------------------------------------------------


def test_the_first_tool_call_names_the_field_without_the_format_libraries(tmp_path):
    out = fresh("""
        import json, sys
        from llmspell_kernel.runtime.session import Session
        from llmspell_kernel.errors import ApiError
        with Session(offline=True) as s:
            ok = s.run('return Tool.call("calculator", {expression = "6*7"})')
            try:
                s.run('return Tool.call("calculator", {expression = 5})')
            except ApiError as exc:
                error = exc.message
            hidden = "rfc3987_syntax" in sys.modules or "isoduration" in sys.modules
        import importlib.util
        findable = importlib.util.find_spec("rfc3987_syntax") is not None  # not left blocked for others
        print(json.dumps({"ok": ok, "error": error, "loaded": hidden, "findable": findable}))
    """, tmp_path)
    assert out["ok"] == 42
    assert out["error"] == "tool 'calculator': argument 'expression': 5 is not of type 'string'"
    assert out["loaded"] is False
    assert out["findable"] is _installed("rfc3987_syntax")


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_registering_a_tool_checks_its_schema_the_same_way(lua):
    with pytest.raises(Exception) as info:
        lua('Tool.register({name = "bad", fn = function(a) return 1 end, params = {type = "nonsense"}})')
    assert "tool 'bad': invalid params schema:" in str(info.value)
    lua('Tool.register({name = "add", fn = function(a) return a.x + a.y end, params = {type = "object", '
        'properties = {x = {type = "number"}, y = {type = "number"}}, required = {"x", "y"}}})')
    assert lua('return Tool.call("add", {x = 1, y = 2})') == 3
    with pytest.raises(Exception, match="tool 'add': missing required argument 'y'"):
        lua('return Tool.call("add", {x = 1})')


# model strings and keys, before litellm ---------------------------------------------------------------------

MODEL_ERRORS = """
    import json, sys
    from llmspell_kernel.runtime.session import Session
    from llmspell_kernel.errors import SpellError
    out = {}
    with Session(offline=False) as s:
        for engine, code in CASES:
            try:
                s.run(code, engine)
                out[engine + " " + code] = None
            except SpellError as exc:
                out[engine + " " + code] = [type(exc).__name__, exc.message]
    out["litellm"] = "litellm" in sys.modules
    print(json.dumps(out))
"""


def test_model_errors_arrive_before_litellm_is_imported_in_every_engine(tmp_path):
    cases = [
        ("lua", 'return LLM.complete("hi", {model = "openai/gpt-4o-mini"})'),
        ("js", 'await LLM.complete("hi", {model: "anthropic/claude-3-5-haiku-latest"})'),
        ("tengo", 'LLM.complete("hi", {model: "gpt-4o-mini"})'),
        ("lua", 'return Agent.create({model = "groq/llama3-8b-8192"}):run("hi")'),
        ("lua", 'return LLM.complete("hi", {model = "opnai/gpt-4o"})'),
        ("lua", 'return LLM.complete("hi", {model = "openai /gpt-4o"})'),
    ]
    out = fresh(f"CASES = {cases!r}\n" + textwrap.dedent(MODEL_ERRORS), tmp_path)
    assert out.pop("litellm") is False
    results = list(out.values())
    assert results[0] == ["MissingKeyError", results[0][1]] and "OPENAI_API_KEY" in results[0][1]
    assert results[1][0] == "MissingKeyError" and "ANTHROPIC_API_KEY" in results[1][1]
    assert results[2][0] == "MissingKeyError" and "OPENAI_API_KEY" in results[2][1]  # a bare name litellm maps
    assert results[3][0] == "MissingKeyError" and "GROQ_API_KEY" in results[3][1]
    assert results[4][0] == "LLMError" and "unknown provider 'opnai'" in results[4][1] and "openai" in results[4][1]
    assert results[5][0] == "LLMError" and "malformed model string 'openai /gpt-4o'" in results[5][1]


def test_the_model_check_knows_litellms_providers_and_models(monkeypatch):
    assert {"openai", "anthropic", "ollama", "openrouter", "bedrock"} <= providers()
    assert provider_of("openai/anything") == "openai"
    assert provider_of("gpt-4o-mini") == "openai"
    assert provider_of("no-such-model") is None
    assert check_model("ollama/llama3") == "ollama"  # a provider without a key
    assert check_model("no-such-model") is None  # a bare name only litellm can judge: it decides
    assert check_model("foo/bar", api_base="http://127.0.0.1:1") is None  # litellm may know the endpoint
    for bad in ("", "/gpt", "openai/", "a//b", "gpt 4", None, 5):
        with pytest.raises(LLMError, match="malformed model string"):
            check_model(bad)
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingKeyError, match="needs GEMINI_API_KEY or GOOGLE_API_KEY"):
        check_model("gemini/gemini-1.5-pro")
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    assert check_model("gemini/gemini-1.5-pro") == "gemini"
    assert check_model("openai/gpt-4o", api_key="sk-given") == "openai"


def test_a_real_default_model_starts_litellm_in_the_background(tmp_path):
    out = fresh("""
        import json, sys, threading
        from llmspell_kernel.runtime.session import Session
        s = Session()
        loaders = [t for t in threading.enumerate() if t.name == "llmspell-litellm-import"]
        for t in loaders:
            t.join(200)
        print(json.dumps({"started": len(loaders), "litellm": "litellm" in sys.modules}))
        s.close()
    """, tmp_path, LLMSPELL_MODEL="openai/fake-model", OPENAI_API_KEY="sk-test-fake")
    assert out == {"started": 1, "litellm": True}


def test_an_agent_that_would_fail_does_not_start_litellm(tmp_path):
    out = fresh("""
        import json, sys, threading
        from llmspell_kernel.runtime.session import Session
        with Session(offline=False) as s:
            s.run('Agent.create({name = "a", model = "openai/gpt-4o-mini"})')  # no key: the run will say so
            s.run('Agent.create({name = "b", model = "mock/echo"})')
            started = [t.name for t in threading.enumerate() if t.name == "llmspell-litellm-import"]
        print(json.dumps({"started": started, "litellm": "litellm" in sys.modules}))
    """, tmp_path)
    assert out == {"started": [], "litellm": False}


def test_first_call_through_the_background_import_reaches_the_server(tmp_path, server):
    out = fresh(f"""
        import json
        from llmspell_kernel.runtime.session import Session
        with Session(offline=False) as s:
            s.run('a = Agent.create({{model = "openai/fake-model", api_base = "{server.url}"}})')
            print(json.dumps(s.run('return a:run("echo this")')))
    """, tmp_path, OPENAI_API_KEY="sk-test-fake")
    assert out == "echo this"
    assert server.calls == 1


# the examples without a key -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir()))
def test_each_example_without_a_key_names_the_variable(example, tmp_path):
    shutil.copy(EXAMPLES / example, tmp_path)
    env = {**os.environ, "LLMSPELL_CONFIG": os.devnull, "LLMSPELL_MODEL": "openai/gpt-4o-mini"}
    for name in ("OPENAI_API_KEY", "LLMSPELL_OFFLINE"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "-m", "llmspell_kernel", "run", example], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("MissingKeyError: model ") and "needs OPENAI_API_KEY" in first
    assert f"{example}:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "research.md").exists()  # nothing written for a run that failed


# Tengo's compiled-code cache --------------------------------------------------------------------------------

TENGO_RUN = """
    import json, sys
    from llmspell_kernel.engines.tengo import runtime
    compiled = []
    real = runtime.compile_chunk
    runtime.compile_chunk = lambda *a, **k: compiled.append(a[1]) or real(*a, **k)  # counts, then compiles
    out = []
    rt = runtime.TengoRuntime(stdout=out.append, import_root=".", allow_os=False)
    rt.run(open("main.tengo").read(), "main.tengo")
    print(json.dumps({"out": "".join(out), "compiled": len(compiled), "functions": len(runtime.FUNC_SOURCES)}))
"""


def _tengo_program(folder: Path, factor: int) -> None:
    (folder / "lib.tengo").write_text(f"export {{ scale: func(x) {{ return x * {factor} }} }}\n")
    (folder / "main.tengo").write_text('fmt := import("fmt")\nlib := import("./lib")\n'
                                       "f := func(n) { return n + 1 }\nfmt.println(lib.scale(f(20)), 'c')\n")


def test_compiled_tengo_is_reused_by_the_next_process_until_a_module_changes(tmp_path):
    cache = tmp_path / "cache"
    _tengo_program(tmp_path, 2)
    first = fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(cache))
    second = fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(cache))
    assert first["out"] == second["out"] == "42c\n"
    assert first["compiled"] == 2 and second["compiled"] == 0  # main and its module, then neither
    assert second["functions"] == first["functions"] > 0  # function sources kept: a cached func can be stored
    assert len(list(cache.iterdir())) == 1 and (cache.stat().st_mode & 0o777) == 0o700
    _tengo_program(tmp_path, 3)  # the imported module changes: compiled again
    changed = fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(cache))
    assert changed["out"] == "63c\n" and changed["compiled"] == 2


def test_the_tengo_cache_is_not_read_from_a_folder_others_can_write_nor_used_when_off(tmp_path):
    cache = tmp_path / "cache"
    _tengo_program(tmp_path, 2)
    fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(cache))
    cache.chmod(0o777)
    assert fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(cache))["compiled"] == 2
    cache.chmod(0o700)
    off = fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(cache), LLMSPELL_TENGO_CACHE="0")
    assert off["compiled"] == 2 and off["out"] == "42c\n"
    other = tmp_path / "other"
    fresh(TENGO_RUN, tmp_path, LLMSPELL_TENGO_CACHE_DIR=str(other), LLMSPELL_TENGO_CACHE="0")
    assert not other.exists()


def test_every_handle_type_names_a_class_that_exists():
    import importlib

    from llmspell_kernel.api import HANDLES
    from llmspell_kernel.api.spec import type_key

    for handle in HANDLES:
        module, _, name = handle.wraps.partition(":")
        cls = getattr(importlib.import_module(module), name)
        assert isinstance(cls, type) and type_key(cls) == handle.wraps, handle
