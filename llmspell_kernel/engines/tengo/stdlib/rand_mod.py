"""rand: seedable pseudo-random numbers (runtime `seed` argument)."""

from __future__ import annotations

import random
from typing import Any

from ._args import define


def make(rt: Any) -> dict[str, Any]:
    r = random.Random(rt.seed)
    m: dict[str, Any] = {}
    define(m, "int", 0, "", lambda: r.getrandbits(63))
    define(m, "float", 0, "", r.random)
    define(m, "intn", 1, "i", lambda n: r.randrange(n) if n > 0 else 0)
    define(m, "exp_float", 0, "", lambda: r.expovariate(1.0))
    define(m, "norm_float", 0, "", lambda: r.gauss(0.0, 1.0))
    define(m, "perm", 1, "i", lambda n: r.sample(range(n), n) if n > 0 else [])
    define(m, "seed", 1, "i", lambda s: r.seed(s))
    define(m, "read", 1, "a", lambda b: len(b) if type(b) is bytes else 0)
    return m
