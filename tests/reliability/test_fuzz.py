"""Fuzzing, a fast sample (bench/fuzz_tengo.py runs a million Tengo inputs): the only acceptable
failure is a SpellError (llmspell_kernel/errors.py) — never another exception, a crash or a hang.

- the Tengo lexer (never raises), parser and compiler, and running what compiles under a budget:
  hypothesis text, and the grammar-aware generator with its mutator (tests/support/tengo_fuzz.py);
- values crossing Lua, JavaScript and Tengo and back: equal (after each engine's documented
  normalisation), or a SpellError;
- `%%spell` and `%spell` argument lines: a SpellError, or IPython's UsageError for a bad flag (the
  documented behaviour, see tests/test_magics.py::test_bad_flags_are_usage_errors).
"""

from __future__ import annotations

import math
import random
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.tengo_fuzz import Gen, Outcome, check, inputs, mutate

from llmspell_kernel.engines.tengo.lexer import Lexer
from llmspell_kernel.engines.tengo.tokens import EOF
from llmspell_kernel.errors import SpellError

FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings CPython prints about generated code
        yield


def assert_clean(outcome: Outcome) -> None:
    assert outcome.failure_count == 0, outcome.failures[:3]


# Tengo ------------------------------------------------------------------------------------------

TENGO_ALPHABET = st.sampled_from([*"abcxyz019_ .:;,=+-*/%&|^!<>?()[]{}\"'`\\\n\t",
                                  "func", "for", "if", "else", "in", "return", "import", "export", ":=", "...",
                                  "0x", "1e", "immutable", "error", "\x00", "\ufeff", "é", "\udcff"])


@FAST
@given(st.text(max_size=200))
def test_tengo_on_arbitrary_text(src):
    outcome = Outcome()
    check(src, outcome, run=True, run_budget=0.05)
    assert_clean(outcome)


@FAST
@given(st.lists(TENGO_ALPHABET, max_size=60).map("".join))
def test_tengo_on_token_soup(src):
    outcome = Outcome()
    check(src, outcome, run=True, run_budget=0.05)
    assert_clean(outcome)


@FAST
@given(st.integers(0, 2**32), st.integers(0, 4))
def test_tengo_generated_and_mutated_programs(seed, rounds):
    rng = random.Random(seed)
    program = Gen(rng).program()
    outcome = Outcome()
    check(program, outcome, run=True, run_budget=0.05)
    if rounds:
        check(mutate(program, rng, rounds), outcome, run=True, run_budget=0.05)
    assert_clean(outcome)


def test_tengo_stream_sample():
    """2,000 inputs of the bench's own stream (a fixed seed): the same checks, in CI."""
    outcome = Outcome()
    for i, src in enumerate(inputs(seed=20261124)):
        if i == 2000:
            break
        check(src, outcome, run=i % 4 == 0, run_budget=0.05)
    assert outcome.count == 2000
    assert_clean(outcome)


@pytest.mark.parametrize("src", [
    "export func(w) { }", "export range(1)", "export undefined_name",  # export outside a module is ignored
    "711 := 1", "(a) := 1", "f := func() { 7 := 1 }",                   # ':=' needs a name
    'x := import("\\x00rand")',                                          # NUL in a module name
    "x := 1\nif true { x := x + 1 }",                                     # a block's own declaration
    "arr := [1]\nfor true { arr := arr[0:]; break }",
])
def test_tengo_fuzz_findings_are_spell_errors(src):
    # regressions: AttributeError, ValueError ("embedded null byte"), UnboundLocalError escaped before
    from llmspell_kernel.engines.tengo import TengoRuntime

    try:
        TengoRuntime(stdout=lambda text: None).run(src, "finding.tengo", repl=True)
    except SpellError:
        pass
    assert Lexer(src).tokenize()[-1].kind == EOF


# values across engines ------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(st.characters(blacklist_categories=()), max_size=12) | st.binary(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(st.characters(blacklist_categories=()), max_size=6), inner, max_size=4),
                      max_leaves=12)

BACK = {"lua": "return v", "js": "v", "tengo": "v"}


def normalised(engine: str, value):
    """What a value is expected to come back as from `engine` (each engine's documented conversions)."""
    if isinstance(value, dict):
        items = {k: normalised(engine, v) for k, v in value.items()}
        if engine == "lua":  # a nil field is no field
            items = {k: v for k, v in items.items() if v is not None}
        return items
    if isinstance(value, list):
        items = [normalised(engine, v) for v in value]
        if engine == "lua":  # trailing nils end a Lua sequence
            while items and items[-1] is None:
                items.pop()
        return items
    if isinstance(value, bytes) and engine == "lua":  # a Lua string: text when it is UTF-8 (else refused)
        return value.decode("utf-8", "replace")
    return value


def same(a, b, lua: bool = False) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if lua and a in ([], {}) and b in ([], {}):
        return True  # an empty Lua table is both a list and a map
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], lua) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, lua) for x, y in zip(a, b, strict=True))
    if {type(a), type(b)} <= {int, float}:  # 1.0 crosses JavaScript as the number 1
        return a == b
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    from llmspell_kernel.runtime.session import Session

    with Session(offline=True, root=str(tmp_path_factory.mktemp("values"))) as session:
        yield session


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_values_cross_an_engine_and_back(shared, engine):
    run = shared.engine(engine)

    @FAST
    @given(VALUES)
    def roundtrip(value):
        try:
            run.set_global("v", value)
            back = shared.run(BACK[engine], engine)
        except SpellError:
            return  # refused clearly: an integer past 64 (JS: 53) bits, NaN in JSON, a lone surrogate, ...
        expected = normalised(engine, value)
        assert same(back, expected, engine == "lua"), f"{engine}: {value!r} came back as {back!r}"

    roundtrip()


def test_values_cross_all_three_engines_through_state(shared):
    @FAST
    @given(VALUES)
    def chain(value):
        try:
            shared.state.set("fuzz", value)  # refused clearly: NaN and infinities (not JSON), too deep
            shared.run("State.set('fuzz', State.get('fuzz'))", "lua")
            shared.run("await State.set('fuzz', await State.get('fuzz'))", "js")
            shared.run('State.set("fuzz", State.get("fuzz"))', "tengo")
        except SpellError:
            return
        shared.state.get("fuzz")  # whatever survived, it is readable

    chain()


def test_lone_surrogates_are_conversion_errors_not_crashes(shared):
    # regression: a Python string with a lone surrogate crashed QuickJS (SIGSEGV) and raised
    # UnicodeEncodeError from lupa; in a chunk's source text too
    from llmspell_kernel.errors import ConversionError, ScriptSyntaxError

    for engine in ("lua", "js", "tengo"):
        engine_obj = shared.engine(engine)
        with pytest.raises(ConversionError):  # Tengo holds Python strings: it refuses them on the way out
            engine_obj.set_global("bad", {"k": ["ok", "\ud800"]})
            shared.run({"lua": "return bad", "js": "bad", "tengo": "bad"}[engine], engine)
        with pytest.raises(ScriptSyntaxError, match="lone surrogate"):
            shared.run({"lua": "return '\udcff'", "js": "'\udcff'", "tengo": '"\udcff"'}[engine], engine)
        shared.state.set("bad", "x\udc80")
        with pytest.raises(ConversionError):
            shared.run({"lua": "return State.get('bad')", "js": "await State.get('bad')",
                        "tengo": 'v := State.get("bad")\nv'}[engine], engine)
        assert shared.run(BACK[engine].replace("v", "1"), engine) == 1


# %%spell and %spell argument lines ---------------------------------------------------------------

FLAG_WORDS = st.sampled_from(["lua", "js", "tengo", "cobol", "--timeout", "--model", "--in", "--out", "-p", "--param",
                              "0", "-1", "nan", "inf", "1e999", "0.2", "a=b", "=", "k=", "=v", "x,y", "'", '"', "\\",
                              "--", "-", "--nope", "é", "\x00", "numbers", "mock/echo"])


def accepted(error) -> bool:
    return error is None or isinstance(error, SpellError) or type(error).__name__ == "UsageError"


def test_spell_cell_argument_lines(ip):
    ip.user_ns["numbers"] = [1, 2, 3]

    @FAST
    @given(st.lists(FLAG_WORDS | st.text(max_size=6).filter(lambda t: "\n" not in t and "\r" not in t), max_size=6))
    def line(words):
        text = " ".join(words)
        result = ip.run_cell(f"%%spell {text}\nreturn 1", silent=True)
        assert accepted(result.error_in_exec), f"%%spell {text!r}: {type(result.error_in_exec).__name__}"

    line()


def test_spell_line_magic_config_and_quoting(ip):
    @FAST
    @given(st.lists(st.sampled_from(["nokv", "timeout=soon", "max_memory_mb=x", "llm_retries=", "bogus=1", "'",
                                     '"', "a b", "=", "event_capacity=ten"]), min_size=1, max_size=4))
    def line(words):
        result = ip.run_cell("%spell config " + " ".join(words), silent=True)
        assert accepted(result.error_in_exec), f"{words!r}: {type(result.error_in_exec).__name__}"

    line()
    for text in ['"unclosed', "config 'unclosed", "lua 'unclosed"]:
        result = ip.run_cell("%spell " + text, silent=True)
        assert isinstance(result.error_in_exec, SpellError), text  # regression: ValueError from shlex
    for line in ["lua 'unclosed", "lua --timeout nan", "lua --timeout -1"]:  # regressions: ValueError; NaN = no limit
        result = ip.run_cell(f"%%spell {line}\nreturn 1", silent=True)
        assert isinstance(result.error_in_exec, SpellError), line
