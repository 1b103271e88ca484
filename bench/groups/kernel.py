"""Kernel start to first result, per LLMSpell kernelspec, against a plain IPython kernel (python3) started the
same way: jupyter_client's KernelManager, then a client waiting for the kernel, then `1 + 1` as the first cell.
The time ends at the cell's execute_result, and includes the kernel process's imports (from bytecode, as
after `pip install`)."""

from __future__ import annotations

from ..figures import Figure, Target, note
from ..measure import Options, sample
from .jupyter import first_result_ms

KERNELSPECS = ("llmspell-lua", "llmspell-js", "llmspell-tengo")
BASELINE = "python3"


def _compiled_like_an_install() -> None:
    """Write our bytecode, as pip does when it installs a package: an editable checkout, or one run with
    PYTHONDONTWRITEBYTECODE, has none, and each kernel would compile our sources at start (60 ms for Tengo)
    while ipykernel's come compiled."""
    import compileall
    from pathlib import Path

    import llmspell_kernel.magics

    import llmspell_kernel

    for package in (llmspell_kernel, llmspell_kernel.magics):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def run(options: Options) -> list[Figure]:
    from jupyter_client.kernelspec import KernelSpecManager

    _compiled_like_an_install()

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
