"""A `%%spell lua` cell against a Python cell (`pass`), in a real IPython kernel with `%load_ext llmspell_kernel`,
timed from the client: execute request to execute reply, the mean over a batch of cells. The session and its
Lua engine are started by the warm-up round first, so the figure is the per-cell cost."""

from __future__ import annotations

from ..figures import Figure
from ..measure import Options, sample
from .jupyter import kernel, run_cell

SPELL = "%%spell lua\nlocal x = 1"
PYTHON = "pass"


def run(options: Options) -> list[Figure]:
    cells = options.n(20, quick=2)
    with kernel("python3") as (_, client):
        run_cell(client, "%load_ext llmspell_kernel")

        def mean_ms(code: str):
            return lambda: sum(run_cell(client, code) for _ in range(cells)) / cells

        spell, python = sample(mean_ms(SPELL), mean_ms(PYTHON), runs=options.runs(7))
    return [Figure("%%spell lua cell (local x = 1), execute request to reply", "ms", spell, python,
                   "Python cell (pass)")]
