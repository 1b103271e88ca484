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

    # Tab, Shift-Tab and Enter inside a spell: answered from the API table and the live engine -----
    def _spell_at(self, code: str) -> tuple[str, str, int] | None:
        """(engine, spell source, offset of the source in `code`), or None for a Python or magic cell."""
        from .introspect import spell_cell

        return spell_cell(code, self.engine)

    def do_complete(self, code: str, cursor_pos: int | None) -> dict[str, Any]:  # type: ignore[override]
        cursor_pos = len(code) if cursor_pos is None else cursor_pos
        spell = self._spell_at(code)
        if spell is None or cursor_pos < spell[2]:
            return super().do_complete(code, cursor_pos)
        from .introspect import complete

        engine, source, offset = spell
        found = complete(self.shell.llmspell_session, engine, source, cursor_pos - offset)
        found.start, found.end = found.start + offset, found.end + offset
        for item in found.types:
            item["start"], item["end"] = item["start"] + offset, item["end"] + offset
        return found.reply()

    def do_inspect(self, code: str, cursor_pos: int, detail_level: int = 0,  # type: ignore[override]
                   omit_sections: Any = ()) -> dict[str, Any]:
        spell = self._spell_at(code)
        if spell is None or cursor_pos < spell[2]:
            return super().do_inspect(code, cursor_pos, detail_level, omit_sections)
        from .introspect import inspect

        engine, source, offset = spell
        text = inspect(self.shell.llmspell_session, engine, source, cursor_pos - offset)
        if text is None:
            return {"status": "ok", "found": False, "data": {}, "metadata": {}}
        return {"status": "ok", "found": True, "data": {"text/markdown": text, "text/plain": text}, "metadata": {}}

    def do_is_complete(self, code: str) -> dict[str, Any]:  # type: ignore[override]
        spell = self._spell_at(code)
        if spell is None:
            return super().do_is_complete(code)
        from .introspect import is_complete

        engine, source, _ = spell
        if not source.strip():
            return {"status": "incomplete", "indent": ""} if spell[2] else {"status": "complete"}
        return is_complete(self.shell.llmspell_session, engine, source)

    def _as_spell(self, lines: list[str]) -> list[str]:
        text = "".join(lines)
        if not text.strip() or text.lstrip().startswith("%"):
            return lines
        return [f"%%spell {self.engine}\n", *lines]


if __name__ == "__main__":
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=LLMSpellKernel)
