"""The kernelspecs: one per engine, written to share/ (installed by pip) or by `llmspell kernel install`.

`python -m llmspell_kernel.kernelspecs` regenerates share/jupyter/kernels; a test
checks that the committed files match.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

KERNELS = {
    "llmspell-lua": ("lua", "LLMSpell (Lua)", "lua"),
    "llmspell-tengo": ("tengo", "LLMSpell (Tengo)", "tengo"),
    "llmspell-js": ("js", "LLMSpell (JavaScript)", "javascript"),
}
LOGOS = ("logo-32x32.png", "logo-64x64.png")


def kernel_json(engine: str, display_name: str, language: str, python: str = "python") -> dict:
    return {
        "argv": [python, "-m", "llmspell_kernel.kernel", "-f", "{connection_file}",
                 f"--LLMSpellKernel.engine={engine}"],
        "display_name": display_name,
        "language": language,
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }


def write_specs(target: Path, python: str = "python") -> list[Path]:
    """Write every kernelspec folder under `target`; returns the folders."""
    written = []
    for name, (engine, display_name, language) in KERNELS.items():
        folder = target / name
        folder.mkdir(parents=True, exist_ok=True)
        spec = kernel_json(engine, display_name, language, python)
        (folder / "kernel.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        for logo in LOGOS:
            with files("llmspell_kernel.resources").joinpath(logo).open("rb") as src, open(folder / logo, "wb") as dst:
                shutil.copyfileobj(src, dst)
        written.append(folder)
    return written


def install(user: bool = False, prefix: str | None = None) -> list[str]:
    """Install the kernelspecs for this Python (`sys.executable`); returns the install paths."""
    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    paths = []
    with tempfile.TemporaryDirectory() as tmp:
        for folder in write_specs(Path(tmp), python=sys.executable):
            paths.append(manager.install_kernel_spec(str(folder), folder.name, user=user, prefix=prefix, replace=True))
    return paths


if __name__ == "__main__":
    write_specs(Path(sys.argv[1] if len(sys.argv) > 1 else "share/jupyter/kernels"))
