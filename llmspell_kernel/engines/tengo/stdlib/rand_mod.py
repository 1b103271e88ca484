"""rand: seedable pseudo-random numbers (runtime `seed` argument), and `rand.rand(seed)` generators.

The numbers come from Python's generator, not Go's math/rand: a seed gives the same sequence every run,
but not the sequence real Tengo gives for it (see docs/tengo.md).
"""

from __future__ import annotations

import random
from typing import Any

from ..values import GoPanic, ImmMap
from ._args import define


def _functions(r: random.Random) -> dict[str, Any]:
    """The functions the module and each `rand.rand(seed)` object share, over one generator."""
    def intn(n: int) -> int:
        if n <= 0:
            raise GoPanic("invalid argument to Int63n")  # as Go's math/rand does
        return r.randrange(n)

    m: dict[str, Any] = {}
    define(m, "int", 0, "", lambda: r.getrandbits(63))
    define(m, "float", 0, "", r.random)
    define(m, "intn", 1, "i", intn)
    define(m, "exp_float", 0, "", lambda: r.expovariate(1.0))
    define(m, "norm_float", 0, "", lambda: r.gauss(0.0, 1.0))
    define(m, "perm", 1, "n", lambda n: r.sample(range(n), n) if n > 0 else [])
    define(m, "seed", 1, "i", lambda s: r.seed(s))
    define(m, "read", 1, "a", lambda b: len(b) if type(b) is bytes else 0)
    return m


def make(rt: Any) -> dict[str, Any]:
    m = _functions(random.Random(rt.seed))
    define(m, "rand", 1, "i", lambda seed: ImmMap(_functions(random.Random(seed))))
    return m
