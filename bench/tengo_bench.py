"""Tengo-in-Python benchmarks vs hand-written CPython (not part of the test suite).

Run: python bench/tengo_bench.py [--json out.json] [--repeat N]  (best of N runs, default 3)
"""

from __future__ import annotations

import json
import sys
import time

sys.path.insert(0, ".")

from llmspell_kernel.engines.tengo import TengoRuntime

TENGO = {
    "fib30": """
fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }
out := fib(30)
""",
    "loop_sum_10m": """
sum := 0
for i := 1; i <= 10000000; i++ { sum += i }
out := sum
""",
    "string_build": """
build := func(n) {
  s := ""
  for i := 0; i < n; i++ { s += string(i % 10) }
  return s
}
out := len(build(200000))
""",
    "map_200k": """
m := {}
for i := 0; i < 200000; i++ { m["k" + string(i)] = i }
sum := 0
for i := 0; i < 200000; i++ { sum += m["k" + string(i)] }
out := sum
""",
    "merge_sort_50k": """
merge_sort := func(arr, less) {
  if len(arr) <= 1 { return arr }
  mid := len(arr) / 2
  left := merge_sort(arr[:mid], less)
  right := merge_sort(arr[mid:], less)
  result := []
  i := 0
  j := 0
  for i < len(left) && j < len(right) {
    if less(left[i], right[j]) {
      result = append(result, left[i])
      i++
    } else {
      result = append(result, right[j])
      j++
    }
  }
  for i < len(left) { result = append(result, left[i]); i++ }
  for j < len(right) { result = append(result, right[j]); j++ }
  return result
}
arr := []
seed := 42
for i := 0; i < 50000; i++ {
  seed = (seed * 1103515245 + 12345) % 2147483648
  arr = append(arr, seed % 100000)
}
sorted := merge_sort(arr, func(a, b) { return a < b })
out := sorted[0]
""",
}


def py_fib() -> int:
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    return fib(30)


def py_loop() -> int:
    s = 0
    i = 1
    while i <= 10000000:
        s += i
        i += 1
    return s


def py_string() -> int:
    def build(n: int) -> str:
        s = ""
        for i in range(n):
            s += str(i % 10)
        return s
    return len(build(200000))


def py_map() -> int:
    m = {}
    for i in range(200000):
        m["k" + str(i)] = i
    s = 0
    for i in range(200000):
        s += m["k" + str(i)]
    return s


def py_merge() -> int:
    def merge_sort(arr: list, less) -> list:
        if len(arr) <= 1:
            return arr
        mid = len(arr) // 2
        left = merge_sort(arr[:mid], less)
        right = merge_sort(arr[mid:], less)
        result = []
        i = j = 0
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
    arr = []
    seed = 42
    for _ in range(50000):
        seed = (seed * 1103515245 + 12345) % 2147483648
        arr.append(seed % 100000)
    return merge_sort(arr, lambda a, b: a < b)[0]


PY = {"fib30": py_fib, "loop_sum_10m": py_loop, "string_build": py_string, "map_200k": py_map,
      "merge_sort_50k": py_merge}


def main() -> None:
    results = {}
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    for name, src in TENGO.items():
        t_tengo = t_py = float("inf")
        for _ in range(repeat):  # best of N, for both sides
            rt = TengoRuntime()  # a fresh session each time: the chunk's first run
            rt.compile(src)  # compile outside the timing, like a warm cache
            t0 = time.perf_counter()
            rt.run(src)
            t_tengo = min(t_tengo, time.perf_counter() - t0)
            t0 = time.perf_counter()
            expected = PY[name]()
            t_py = min(t_py, time.perf_counter() - t0)
        got = rt.get_global("out")
        assert got == expected, (name, got, expected)
        results[name] = {"tengo_s": round(t_tengo, 3), "python_s": round(t_py, 3), "ratio": round(t_tengo / t_py, 2)}
        print(f"{name:16s} tengo {t_tengo:7.3f}s  python {t_py:7.3f}s  ratio {t_tengo / t_py:5.2f}")
    t0 = time.perf_counter()
    for _ in range(100):
        TengoRuntime().run("x := 1")
    results["new_runtime_trivial_ms"] = round((time.perf_counter() - t0) * 10, 3)
    print(f"new runtime + trivial run: {results['new_runtime_trivial_ms']} ms")
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
