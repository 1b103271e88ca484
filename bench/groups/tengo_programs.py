"""The Tengo benchmark programs, each with the same algorithm hand-written in CPython.

A program's source is a template over `n` (its size); it leaves its answer in the global `out`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Program:
    name: str
    tengo: str  # `{n}` stands for the size
    python: Callable[[int], object]
    n: int  # the full size
    quick_n: int

    def source(self, n: int) -> str:
        return self.tengo.replace("{n}", str(n))


def _program(name: str) -> str:
    return (Path(__file__).parents[1] / "programs" / f"{name}.tengo").read_text(encoding="utf-8")


FIB = """
fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }
out := fib({n})
"""


def py_fib(n: int) -> int:
    def fib(k: int) -> int:
        return k if k < 2 else fib(k - 1) + fib(k - 2)
    return fib(n)


LOOP_SUM = """
sum := 0
for i := 1; i <= {n}; i++ { sum += i }
out := sum
"""


def py_loop_sum(n: int) -> int:
    total, i = 0, 1
    while i <= n:
        total += i
        i += 1
    return total


STRING_BUILD = """
build := func(n) {
  s := ""
  for i := 0; i < n; i++ { s += string(i % 10) }
  return s
}
out := len(build({n}))
"""


def py_string_build(n: int) -> int:
    s = ""
    for i in range(n):
        s += str(i % 10)
    return len(s)


MAP_OPS = """
m := {}
for i := 0; i < {n}; i++ { m["k" + string(i)] = i }
sum := 0
for i := 0; i < {n}; i++ { sum += m["k" + string(i)] }
out := sum
"""


def py_map_ops(n: int) -> int:
    m = {}
    for i in range(n):
        m["k" + str(i)] = i
    total = 0
    for i in range(n):
        total += m["k" + str(i)]
    return total


# the sort is shared with tests/tengo/test_fast_paths_bounds.py, which checks that it takes the fast paths
MERGE_SORT = _program("merge_sort")
SORT_CLOSURE = MERGE_SORT + """arr := []
seed := 42
for i := 0; i < {n}; i++ {
  seed = (seed * 1103515245 + 12345) % 2147483648
  arr = append(arr, seed % 100000)
}
sorted := merge_sort(arr, func(a, b) { return a < b })
out := sorted[0] * 100000 + sorted[len(sorted) - 1]
"""


def py_sort_closure(n: int) -> int:
    def merge_sort(arr: list, less: Callable[[int, int], bool]) -> list:
        if len(arr) <= 1:
            return arr
        mid = len(arr) // 2
        left, right = merge_sort(arr[:mid], less), merge_sort(arr[mid:], less)
        result, i, j = [], 0, 0
        while i < len(left) and j < len(right):
            if less(left[i], right[j]):
                result.append(left[i])
                i += 1
            else:
                result.append(right[j])
                j += 1
        result.extend(left[i:])
        result.extend(right[j:])
        return result
    arr, seed = [], 42
    for _ in range(n):
        seed = (seed * 1103515245 + 12345) % 2147483648
        arr.append(seed % 100000)
    ordered = merge_sort(arr, lambda a, b: a < b)
    return ordered[0] * 100000 + ordered[-1]


# grouping: appends through a map slot, and through a field of a map fetched from a map (issue 19's quadratic
# cases: `m[k] = append(m[k], v)`, `g.ids = append(g.ids, x)`)
GROUPING = _program("grouping")


def py_grouping(n: int) -> int:
    groups: dict[str, list[int]] = {}
    for i in range(n):
        k = "k" + str(i % 100)
        if k not in groups:
            groups[k] = []
        groups[k].append(i)
    records: dict[str, dict] = {}
    for i in range(n):
        k = "r" + str(i % 100)
        g = records.get(k)
        if g is None:
            g = records[k] = {"key": k, "ids": []}
        g["ids"].append(i)
    keys, sizes = [], []
    for k, v in groups.items():
        keys.append(k)
        sizes.append(len(v) + len(records["r" + k[1:]]["ids"]))
    return sum(sizes) * 1000 + len(keys)


# parser: a char-by-char tokenizer and a sum-of-products evaluation (issue 19's char case)
PARSER = _program("parser")


def py_parser(n: int) -> int:
    text = ""
    for i in range(n):
        text += str(i % 97) + (" * " if i % 3 == 0 else " + ")
    text += "1"
    tokens: list[int | str] = []
    num = ""
    for ch in text:
        if "0" <= ch <= "9":
            num += ch
        else:
            if num:
                tokens.append(int(num))
                num = ""
            if ch in "+*":
                tokens.append(ch)
    if num:
        tokens.append(int(num))
    total, prod = 0, 1
    for t in tokens:
        if t == "+":
            total += prod
            prod = 1
        elif t != "*":
            prod = prod * t % 1000003
    return (total + prod) % 1000003


PROGRAMS = [
    Program("fib30", FIB, py_fib, 30, 15),
    Program("loop_sum", LOOP_SUM, py_loop_sum, 10_000_000, 10_000),
    Program("string_build", STRING_BUILD, py_string_build, 200_000, 2_000),
    Program("map_ops", MAP_OPS, py_map_ops, 200_000, 2_000),
    Program("sort_closure", SORT_CLOSURE, py_sort_closure, 50_000, 500),
    Program("grouping", GROUPING, py_grouping, 200_000, 2_000),
    Program("parser", PARSER, py_parser, 100_000, 1_000),
]
