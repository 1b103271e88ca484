"""Tengo fuzzing: a grammar-aware program generator, a mutator, and one check per input.

Used by `tests/reliability/test_fuzz.py` (a fast sample) and `bench/fuzz_tengo.py` (a million inputs).
The contract checked: the lexer never raises (its errors are collected), and compiling (lexing,
parsing, resolving, generating Python) or running a program fails only with a SpellError (in
practice a TengoError): never an IndexError, a RecursionError, a crash or a hang.
"""

from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from llmspell_kernel.engines.tengo import TengoRuntime
from llmspell_kernel.engines.tengo.lexer import Lexer
from llmspell_kernel.errors import SpellError, TimeLimitError

KEYWORDS = ["break", "continue", "else", "for", "func", "error", "immutable", "if", "return", "export",
            "true", "false", "in", "undefined", "import"]
OPERATORS = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "&^", "+=", "-=", "*=", "/=", "%=", "&=", "|=",
             "^=", "<<=", ">>=", "&^=", "&&", "||", "++", "--", "==", "<", ">", "=", "!", "!=", "<=", ">=", ":=",
             "...", "(", ")", "[", "]", "{", "}", ",", ".", ";", ":", "?"]
BUILTINS = ["len", "copy", "append", "delete", "splice", "string", "int", "bool", "float", "char", "bytes",
            "time", "is_int", "is_float", "is_string", "is_bool", "is_char", "is_bytes", "is_array",
            "is_immutable_array", "is_map", "is_immutable_map", "is_iterable", "is_time", "is_error",
            "is_undefined", "is_function", "is_callable", "type_name", "format", "range"]
STDLIB = ["fmt", "math", "text", "times", "json", "base64", "hex", "enum", "rand", "os"]
ODD_TEXT = ["\x00", "\ufeff", "\u00e9", "\U0001f600", "\\", "\\u", "\\x", "\\U0010ffff", "\\400", "'", '"', "`",
            "/*", "*/", "//", "\r", "\t", "\n", "0x", "0b", "0o", "1e", "1e+", "0x1p", "_", "$", "#", "@", "\udcff",
            "9" * 30, "0x" + "f" * 20, "1" * 400, "(" * 50, "[" * 50, "{" * 50]

BINOPS = ["+", "-", "*", "/", "%", "&", "|", "^", "&^", "<<", ">>", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
ASSIGN_OPS = ["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&^="]


class Gen:
    """Random Tengo programs, mostly well-formed, reaching every construct of the grammar."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.names = ["a", "b", "c", "x", "y", "f", "g", "m", "arr", "s"]
        self.counter = 0

    def name(self) -> str:
        return self.r.choice(self.names)

    def literal(self) -> str:
        r = self.r
        k = r.randrange(14)
        if k == 0:
            return str(r.choice([0, 1, 7, 2**31, 2**63 - 1, 2**62, r.randrange(0, 1000)]))
        if k == 1:
            return r.choice(["0.5", "1.5e3", ".25", "1e308", "1e-320", "3.0", "0x1p-2", "1e400"])
        if k == 2:
            return '"' + r.choice(["", "hello", "a\\nb", "\\u00e9", "\\x41", "\\t", "😀", "\\\"q\\\""]) + '"'
        if k == 3:
            return "'" + r.choice(["a", "\\n", "\\u00e9", "é", "\\x7f", "\\'"]) + "'"
        if k == 4:
            return "`" + r.choice(["raw", "a\nb", "\\n", ""]) + "`"
        if k == 5:
            return r.choice(["true", "false", "undefined"])
        if k == 6:
            return r.choice(["0x1F", "0o17", "0b101", "017", "1_000", "0x_ff"])
        return str(r.randrange(0, 100))

    def expr(self, depth: int = 0) -> str:
        r = self.r
        if depth > 3:
            return r.choice([self.literal(), self.name()])
        k = r.randrange(22)
        if k < 4:
            return self.literal()
        if k < 7:
            return self.name()
        if k < 10:
            return f"{self.expr(depth + 1)} {r.choice(BINOPS)} {self.expr(depth + 1)}"
        if k == 10:
            return f"{r.choice(['-', '!', '^', '+'])}{self.expr(depth + 1)}"
        if k == 11:
            return "[" + ", ".join(self.expr(depth + 1) for _ in range(r.randrange(4))) + "]"
        if k == 12:
            keys = ["k", "v", "name", '"q"', "x1"]
            items = [f"{r.choice(keys)}: {self.expr(depth + 1)}"
                     for _ in range(r.randrange(4))]
            return "{" + ", ".join(items) + "}"
        if k == 13:
            return f"{self.expr(depth + 1)}[{self.expr(depth + 1)}]"
        if k == 14:
            lo = self.expr(depth + 1) if r.random() < 0.5 else ""
            hi = self.expr(depth + 1) if r.random() < 0.5 else ""
            return f"{self.name()}[{lo}:{hi}]"
        if k == 15:
            return f"{self.name()}.{r.choice(['k', 'v', 'name', 'value', 'x'])}"
        if k == 16:
            args = ", ".join(self.expr(depth + 1) for _ in range(r.randrange(4)))
            spread = "..." if args and r.random() < 0.1 else ""
            return f"{r.choice(BUILTINS + self.names)}({args}{spread})"
        if k == 17:
            return f"{self.expr(depth + 1)} ? {self.expr(depth + 1)} : {self.expr(depth + 1)}"
        if k == 18:
            params = r.sample(["p", "q", "w"], r.randrange(3))
            if params and r.random() < 0.2:
                params[-1] = "..." + params[-1]
            return f"func({', '.join(params)}) {{ {self.block(depth + 1, 'f')} }}"
        if k == 19:
            return f"immutable({r.choice(['[1, 2]', '{a: 1}', self.expr(depth + 1)])})"
        if k == 20:
            return f"error({self.expr(depth + 1)})"
        return f"({self.expr(depth + 1)})"

    def fresh(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def stmt(self, depth: int = 0, ctx: str = "") -> str:
        """One statement; `ctx` holds "f" inside a function and "l" inside a loop."""
        r = self.r
        k = r.randrange(17)
        if k < 4:
            return f"{self.fresh() if r.random() < 0.9 else self.name()} := {self.expr(depth)}"
        if k < 6:
            target = self.name() if r.random() < 0.7 else f"{self.name()}[{self.expr(depth + 1)}]"
            return f"{target} {r.choice(ASSIGN_OPS)} {self.expr(depth)}"
        if k == 6:
            return f"{self.name()}{r.choice(['++', '--'])}"
        if k == 7 and depth < 3:
            tail = f" else {{ {self.block(depth + 1, ctx)} }}" if r.random() < 0.5 else ""
            if r.random() < 0.2:
                tail = f" else if {self.expr(depth + 1)} {{ {self.block(depth + 1, ctx)} }}"
            return f"if {self.expr(depth + 1)} {{ {self.block(depth + 1, ctx)} }}{tail}"
        if k == 8 and depth < 3:
            n = r.randrange(0, 20)
            return f"for i := 0; i < {n}; i++ {{ {self.block(depth + 1, ctx + 'l')} }}"
        if k == 9 and depth < 3:
            return f"for k, v in {self.expr(depth + 1)} {{ {self.block(depth + 1, ctx + 'l')} }}"
        if k == 10 and depth < 3:
            return f"for {self.expr(depth + 1)} {{ {self.block(depth + 1, ctx + 'l')} ; break }}"
        if k == 11:
            allowed = (["break", "continue"] if "l" in ctx else []) + \
                (["return", f"return {self.expr(depth + 1)}"] if "f" in ctx else [])
            if allowed or r.random() < 0.05:
                return r.choice(allowed or ["break", "return 1"])
            return self.expr(depth)
        if k == 12:
            return f'{self.fresh()} := import("{r.choice(STDLIB)}")'
        if k == 13:
            params = ", ".join(r.sample(["p", "q"], r.randrange(3)))
            return f"{self.fresh()} := func({params}) {{ {self.block(depth + 1, 'f')} }}"
        if k == 14 and r.random() < 0.1:
            return f"{self.name()}, {self.name()} := {self.expr(depth)}, {self.expr(depth)}" if r.random() < 0.3 \
                else f"export {self.expr(depth)}"
        if k == 15:
            return f"{self.fresh()} := {self.expr(depth)}"
        return self.expr(depth)

    def block(self, depth: int = 0, ctx: str = "") -> str:
        sep = self.r.choice(["; ", "\n"])
        return sep.join(self.stmt(depth, ctx) for _ in range(self.r.randrange(0, 4)))

    PRELUDE = ('a := 1\nb := 2.5\nc := "text"\nx := [1, "two", 3.0]\ny := {k: 1, v: "w"}\n'
               'f := func(p, q) { return p }\ng := func(...p) { return len(p) }\nm := immutable({name: "n"})\n'
               'arr := [1, 2, 3]\ns := "abc"\n')

    def program(self) -> str:
        body = "\n".join(self.stmt() for _ in range(self.r.randrange(1, 10))) + "\n"
        return (self.PRELUDE if self.r.random() < 0.8 else "") + body


def mutate(src: str, rng: random.Random, rounds: int | None = None) -> str:
    """Byte-level and token-level damage: cut, duplicate, splice, insert keywords, operators, odd text."""
    text = src
    for _ in range(rounds or rng.randrange(1, 5)):
        n = len(text)
        i = rng.randrange(n + 1)
        j = min(n, i + rng.randrange(0, 12))
        k = rng.randrange(8)
        if k == 0 and n:
            text = text[:i] + text[j:]
        elif k == 1:
            text = text[:i] + text[i:j] * rng.randrange(2, 6) + text[j:]
        elif k == 2:
            text = text[:i] + rng.choice(KEYWORDS) + " " + text[i:]
        elif k == 3:
            text = text[:i] + rng.choice(OPERATORS) + text[i:]
        elif k == 4:
            text = text[:i] + rng.choice(ODD_TEXT) + text[i:]
        elif k == 5:
            text = text[:i] + chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x3000)])) + text[j:]
        elif k == 6 and n > 2:
            a, b = sorted(rng.sample(range(n), 2))
            text = text[:a] + text[b:] + text[a:b]
        else:
            text = text[:i] + rng.choice(BUILTINS) + "(" + text[i:]
    return text


@dataclass
class Outcome:
    """What the inputs did: ok, expected SpellError failures, and the bugs."""

    count: int = 0
    compiled: int = 0
    spell_errors: int = 0
    ran: int = 0
    resource_stops: int = 0  # a run stopped by the fuzzer's own budget (time) or MemoryError
    failures: list[dict[str, Any]] = field(default_factory=list)
    failure_count: int = 0
    slowest: float = 0.0  # CPU seconds
    slowest_input: str = ""

    def fail(self, src: str, phase: str, exc: BaseException) -> None:
        self.failure_count += 1
        key = (phase, type(exc).__name__, str(exc)[:80])
        if len(self.failures) < 50 and not any((f["phase"], f["type"], f["message"][:80]) == key
                                               for f in self.failures):
            self.failures.append({"phase": phase, "type": type(exc).__name__, "message": str(exc)[:300],
                                  "input": src[:2000]})


class _Hang(BaseException):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang()


def check(src: str, outcome: Outcome, *, run: bool = False, run_budget: float = 0.05,
          hang_after: float = 10.0) -> None:
    """Lex, compile and (optionally) run one input; record what happened in `outcome`."""
    outcome.count += 1
    began = time.process_time()
    # CPU time, not wall time: a fuzzer running under `nice` on a busy machine waits without hanging
    use_alarm = hang_after > 0 and hasattr(signal, "setitimer")
    if use_alarm:
        previous = signal.signal(signal.SIGVTALRM, _alarm)
        signal.setitimer(signal.ITIMER_VIRTUAL, hang_after)
    try:
        try:
            Lexer(src).tokenize()
        except _Hang:
            raise
        except BaseException as exc:  # the lexer collects its errors: it never raises
            outcome.fail(src, "lex", exc)
            return
        rt = TengoRuntime(stdout=lambda text: None, budget_hook=_deadline_hook(run_budget))
        try:
            rt.compile(src, "fuzz.tengo", repl=True)
            outcome.compiled += 1
        except SpellError:
            outcome.spell_errors += 1
            return
        except _Hang:
            raise
        except BaseException as exc:
            outcome.fail(src, "compile", exc)
            return
        if not run:
            return
        rt.budget_hook = _deadline_hook(run_budget)
        try:
            rt.run(src, "fuzz.tengo", repl=True)
            outcome.ran += 1
        except TimeLimitError:
            outcome.resource_stops += 1
        except MemoryError:
            outcome.resource_stops += 1
        except SpellError:
            outcome.spell_errors += 1
        except _Hang:
            raise
        except BaseException as exc:
            outcome.fail(src, "run", exc)
    except _Hang:
        outcome.fail(src, "hang", TimeoutError(f"no answer within {hang_after} s of CPU time"))
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, previous)
        spent = time.process_time() - began
        if spent > outcome.slowest:
            outcome.slowest, outcome.slowest_input = spent, src[:500]


def _deadline_hook(seconds: float):
    deadline = time.process_time() + seconds

    def hook() -> None:
        if time.process_time() > deadline:
            raise TimeLimitError(f"fuzz budget of {seconds} s")

    return hook


def inputs(seed: int, seeds: list[str] | None = None):
    """An endless stream of inputs: generated programs, mutated generated programs, mutated seeds."""
    rng = random.Random(seed)
    gen = Gen(rng)
    corpus = list(seeds or [])
    while True:
        roll = rng.random()
        if roll < 0.35:
            yield gen.program()
        elif roll < 0.85 or not corpus:
            yield mutate(gen.program(), rng)
        else:
            yield mutate(rng.choice(corpus), rng)
