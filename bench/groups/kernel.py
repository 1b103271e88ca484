"""Kernel start to first result, per LLMSpell kernelspec, against a plain IPython kernel (python3) started the
same way: jupyter_client's KernelManager, then a client waiting for the kernel, then `1 + 1` as the first cell.
The time ends at the cell's execute_result, and includes the kernel process's imports."""

from __future__ import annotations

from ..figures import Figure, Target, note
from ..measure import Options, sample
from .jupyter import first_result_ms

KERNELSPECS = ("llmspell-lua", "llmspell-js", "llmspell-tengo")
BASELINE = "python3"


def run(options: Options) -> list[Figure]:
    from jupyter_client.kernelspec import KernelSpecManager

    installed = KernelSpecManager().find_kernel_specs()
    names = [name for name in KERNELSPECS if name in installed]
    figures = [note(f"{name}: not installed", "run `llmspell kernel install --sys-prefix`")
               for name in KERNELSPECS if name not in installed]
    if not names:
        return figures
    samplers = [lambda name=name: first_result_ms(name, "1 + 1") for name in (*names, BASELINE)]
    *ours, base = sample(*samplers, runs=options.runs(5))
    return [Figure(f"{name}: kernel start to first result", "ms", stat, base, f"plain ipykernel ({BASELINE})",
                   Target(1.2, "ratio")) for name, stat in zip(names, ours, strict=True)] + figures
