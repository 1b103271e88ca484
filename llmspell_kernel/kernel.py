"""The LLMSpell kernel: IPython's kernel, where every cell is a spell.

A cell runs as `%%spell <engine>` unless it starts with `%` (so `%%python`,
`%%spell js` and line magics still work). The rewrite happens in an input
transformer, so history keeps what the user typed. Widgets, comms, stdin and
history come from ipykernel.
"""

from __future__ import annotations

import ast
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from traitlets import Unicode

from . import __version__


class LLMSpellKernel(IPythonKernel):
    implementation = "llmspell"
    implementation_version = __version__
    engine = Unicode("lua", config=True, help="The engine that runs cells without a magic: lua, js or tengo.")

    @property
    def language_info(self) -> dict[str, Any]:  # type: ignore[override]
        from .engines import engine_class

        return dict(engine_class(self.engine).language_info)

    @property
    def banner(self) -> str:  # type: ignore[override]
        return f"LLMSpell {__version__} ({self.engine}): spells in Lua, JavaScript and Tengo, with agents and state."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shell.extension_manager.load_extension("llmspell_kernel")
        self.shell.input_transformers_cleanup.insert(0, self._as_spell)
        self.shell.register_magic_function(self._python_cell, "cell", "python")

    def _python_cell(self, line: str, cell: str) -> Any:
        """`%%python`: run the cell as Python in the kernel's namespace; the last expression is its value."""
        tree = ast.parse(cell, filename="<python cell>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        namespace = self.shell.user_ns
        exec(compile(tree, "<python cell>", "exec"), namespace)
        if last is not None:
            return eval(compile(ast.Expression(last.value), "<python cell>", "eval"), namespace)
        return None

    def _as_spell(self, lines: list[str]) -> list[str]:
        text = "".join(lines)
        if not text.strip() or text.lstrip().startswith("%"):
            return lines
        return [f"%%spell {self.engine}\n", *lines]


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=LLMSpellKernel)
