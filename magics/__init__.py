"""The IPython extension: `%%spell lua|js|tengo` cells and the `%spell` line magic.

Installed as `llmspell_kernel.magics`; `%load_ext llmspell_kernel` loads it.
One Session lives per IPython shell, so every cell of every engine, and Python
itself (`llmspell_kernel.session()`), sees the same agents, tools, state and events.
"""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..errors import ApiError, SpellError
from ..runtime.current import set_current_session
from ..runtime.render import mime_bundle
from ..runtime.session import Session
from ..widgets.progress import WorkflowProgress


class SpellResult:
    """A cell's value, shown through the IPython display protocol (JSON for maps and lists)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return mime_bundle(self.value)

    def __repr__(self) -> str:
        return mime_bundle(self.value)["text/plain"]


def _params(pairs: list[str] | None) -> dict[str, str]:
    params = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ApiError(f"-p takes key=value, not {pair!r}")
        params[key] = value
    return params


@magics_class
class SpellMagics(Magics):
    def __init__(self, shell: Any, session: Session | None = None) -> None:
        super().__init__(shell)
        self._storing_history = False
        self._attach(session or Session())

    def _attach(self, session: Session) -> None:
        """Make `session` the one every %%spell cell, Tab and `llmspell_kernel.session()` use."""
        self.session = session
        session.display_hook = self._display
        session.events.add_sink(WorkflowProgress(display, own=session.events.is_own))
        self.shell.llmspell_session = session
        set_current_session(session)

    def _display(self, value: Any, mime: str | None) -> None:
        if mime is None and getattr(type(value), "_ipython_display_", None) is not None:
            display(value)  # an object that displays itself
            return
        display(mime_bundle(value, mime), raw=True)

    @magic_arguments()
    @argument("engine", nargs="?", default="lua", help="lua, js or tengo (default: lua)")
    @argument("--timeout", type=float, default=None, help="time limit for the cell, in seconds")
    @argument("--model", default=None, help="the default model for this cell (a litellm model string)")
    @argument("--in", dest="inputs", default=None, help="Python variables to pass in as script globals: a,b")
    @argument("--out", default=None, help="a Python variable to receive the cell's value")
    @argument("-p", "--param", action="append", help="a Spell.params entry: key=value (repeatable)")
    @cell_magic
    def spell(self, line: str, cell: str) -> SpellResult | None:
        """Run the cell as a spell in Lua, JavaScript or Tengo, in the notebook's shared session."""
        try:
            args = parse_argstring(self.spell, line)
        except ValueError as exc:  # an unclosed quote (a bad flag is IPython's UsageError)
            raise ApiError(f"%%spell: cannot split {line!r}: {exc}") from None
        if args.timeout is not None and not args.timeout >= 0:  # NaN would be no limit at all
            raise ApiError(f"--timeout takes a number of seconds >= 0, not {args.timeout}")
        session = self.session
        engine = session.engine(args.engine)
        if args.inputs:
            for name in (n.strip() for n in args.inputs.split(",") if n.strip()):
                if name not in self.shell.user_ns:
                    raise ApiError(f"--in {name}: no Python variable named {name!r}")
                engine.set_global(name, self.shell.user_ns[name])
        if args.param:
            session.params = _params(args.param)
        previous_model = session.llm.default_model
        if args.model:
            session.llm.default_model = args.model
        try:
            value = engine.execute(cell, chunk=self._cell_name(), timeout=args.timeout)
        finally:
            session.llm.default_model = previous_model
        if args.out:
            self.shell.user_ns[args.out] = value
        return None if value is None else SpellResult(value)

    @line_magic("spell")
    def spell_line(self, line: str) -> Any:
        """`%spell engines` lists engines; `%spell config key=value …` changes settings;
        `%spell session [NAME]` shows the session, or switches to the named, persisted one;
        `%spell batch SPELL --inputs FILE.jsonl [--cluster …]` runs a spell once per input on Dask;
        `%spell events [type-glob]` opens the live event timeline; `%spell state [key-glob]` opens the
        state history; `%spell mcp add NAME -- COMMAND ARGS…` (or `--url URL`) configures an MCP server and
        `%spell mcp list` lists them; `%spell ENGINE CODE` runs one line of script."""
        try:
            words = shlex.split(line)
        except ValueError as exc:  # an unclosed quote
            raise ApiError(f"%spell: cannot split {line!r}: {exc}") from None
        if not words:
            return SpellResult({"engines": list(self.session.live_engines), "model": self.session.llm.model_for(None)})
        command, rest = words[0], words[1:]
        if command == "engines":
            from ..engines import engine_names

            return SpellResult(engine_names())
        if command == "session":
            if rest:  # switch: a named session resumes from its store
                previous = self.session
                self._attach(Session(session=rest[0]))
                previous.close()
            store = self.session.store
            return SpellResult({"session": self.session.config.session, "store": store.name,
                                "path": str(getattr(store, "path", "")) or None, "version": self.session.state.version})
        if command == "batch":
            from .batch import run_batch_magic

            return run_batch_magic(self.session, rest, display)
        if command == "events":
            return self.session.events.widget(rest[0] if rest else None)
        if command == "state":
            return self.session.state.widget(rest[0] if rest else None)
        if command == "config":
            bad = [w for w in rest if "=" not in w]
            if bad:
                raise ApiError(f"%spell config takes key=value pairs, not {bad[0]!r}")
            try:
                self.session.configure(dict(w.split("=", 1) for w in rest))
            except ValueError as exc:  # a value of the wrong kind: timeout=soon
                raise ApiError(f"%spell config: {exc}") from None
            SpellError.show_python_traceback = self.session.config.debug
            return SpellResult({k: v for k, v in self.session.config.__dict__.items()})
        if command == "mcp":
            return SpellResult(self._mcp(rest))
        value = self.session.engine(command).execute(line.split(None, 1)[1] if rest else "",
                                                     chunk=self._cell_name())
        return None if value is None else SpellResult(value)

    def _mcp(self, words: list[str]) -> Any:
        """`%spell mcp list`, `%spell mcp add NAME -- COMMAND ARGS…`, `%spell mcp add NAME --url URL`."""
        usage = "usage: %spell mcp list | %spell mcp add NAME -- COMMAND [ARGS…] | %spell mcp add NAME --url URL"
        if words == ["list"]:
            return self.session.mcp.describe()
        if len(words) >= 4 and words[0] == "add" and words[2] == "--":
            spec = self.session.mcp.add(words[1], words[3], words[4:])
        elif len(words) == 4 and words[0] == "add" and words[2] == "--url":
            spec = self.session.mcp.add(words[1], url=words[3])
        else:
            raise ApiError(usage)
        return spec.describe()

    def note_cell(self, info: Any) -> None:
        """`pre_run_cell` hook: whether the running cell is stored in the history (and so counted)."""
        self._storing_history = bool(getattr(info, "store_history", False))

    def _cell_name(self) -> str:
        """`cell[N]`, N being the running cell's execution count.

        IPython 9 increments `execution_count` before a cell runs and IPython 8 after it, but both
        store a counted cell's input first, so the input history's length names it. A cell that is
        not stored does not move the count.
        """
        if self._storing_history:
            return f"cell[{len(self.shell.history_manager.input_hist_raw) - 1}]"
        return f"cell[{self.shell.execution_count}]"


def load_ipython_extension(ipython: Any) -> None:
    if getattr(ipython, "llmspell_session", None) is not None:
        return
    magics = SpellMagics(ipython)
    ipython.register_magics(magics)
    ipython.events.register("pre_run_cell", magics.note_cell)
    _register_completer(ipython)
    # %%lua, %%js and %%tengo, like %%bash beside %%script
    for engine in ("lua", "js", "tengo"):
        ipython.register_magic_function(
            lambda line, cell, _e=engine: magics.spell(f"{_e} {line}", cell), "cell", engine)


def _register_completer(ipython: Any) -> None:
    """Tab inside a `%%spell` cell completes the spell (IPython's matcher API v2, IPython ≥ 8.6)."""
    try:
        from IPython.core.completer import SimpleCompletion, context_matcher
    except ImportError:  # an older IPython: cells still run, without spell completion
        return

    @context_matcher()
    def spell_matcher(context: Any) -> dict[str, Any]:
        from ..introspect import complete, spell_cell  # on the first Tab, not while the kernel starts

        cell = spell_cell(context.full_text)
        lines = context.full_text.split("\n")
        cursor = sum(len(line) + 1 for line in lines[: context.cursor_line]) + context.cursor_position
        if cell is None or cursor < cell[2]:
            return {"completions": [], "suppress": False}
        engine, source, offset = cell
        found = complete(ipython.llmspell_session, engine, source, cursor - offset)
        kinds = {item["text"]: item["type"] for item in found.types}
        return {"completions": [SimpleCompletion(m, type=kinds.get(m)) for m in found.matches], "suppress": True,
                "matched_fragment": source[found.start:found.end]}

    ipython.Completer.custom_matchers.append(spell_matcher)
    ipython.llmspell_matcher = spell_matcher


def unload_ipython_extension(ipython: Any) -> None:
    session = getattr(ipython, "llmspell_session", None)
    if session is not None:
        magics = ipython.magics_manager.registry.get("SpellMagics")
        if magics is not None and magics.note_cell in ipython.events.callbacks["pre_run_cell"]:
            ipython.events.unregister("pre_run_cell", magics.note_cell)
        matcher = getattr(ipython, "llmspell_matcher", None)
        if matcher in ipython.Completer.custom_matchers:
            ipython.Completer.custom_matchers.remove(matcher)
        session.close()
        ipython.llmspell_session = None
        set_current_session(None)
