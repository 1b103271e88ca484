"""The `llmspell` command: run spells outside Jupyter, and manage kernels.

Exit codes: 0 ok, 1 internal error, 2 usage, 3 script error, 4 timeout, 5 sandbox violation, 6 budget exceeded.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import click

from . import __version__
from .errors import SpellError, unexpected

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2


def _fail(error: SpellError) -> None:
    lines = error.render()
    click.echo("\n".join(lines), err=True)
    sys.exit(error.exit_code)


class LazyGroup(click.Group):
    """A group whose subgroups are imported when used (click's lazily-loaded subcommands): `llmspell run`
    does not import the session commands."""

    LAZY: ClassVar[dict[str, str]] = {"session": "cli_sessions", "state": "cli_sessions", "events": "cli_sessions",
                                      "batch": "cli_batch", "mcp": "cli_mcp"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module = importlib.import_module(f".{self.LAZY[cmd_name]}", __package__)
            self.add_command(getattr(module, cmd_name))
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="llmspell")
def main() -> None:
    """Run LLM spells written in Lua, JavaScript or Tengo."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-e", "--engine", help="lua, js or tengo (default: from the extension or shebang)")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="a Spell.params entry (repeatable)")
@click.option("--timeout", type=float, callback=lambda ctx, param, value: _positive_seconds(value),
              help="time limit for the spell, in seconds (a positive number)")
@click.option("--model", help="the default model (a litellm model string)")
@click.option("--offline", is_flag=True, default=None, help="send every model to the mock provider")
@click.option("--session", "session_name", metavar="NAME", callback=lambda ctx, param, value: _session_name(value),
              help="run in a named, persisted session (1-64 letters, digits, '-' and '_')")
@click.option("--watch", is_flag=True, help="run again whenever the file or a module beside it changes")
@click.option("--record", "record", metavar="FILE", help="record every real model call to FILE (JSON Lines)")
@click.option("--replay", "replay", metavar="FILE", help="answer every real model call from a recorded FILE")
@click.option("--budget", metavar="tokens=N,cost=USD", help="a token and/or cost budget for the session's model calls")
def run(file: Path, engine: str | None, params: tuple[str, ...], timeout: float | None, model: str | None,
        offline: bool | None, session_name: str | None, watch: bool, record: str | None,
        replay: str | None, budget: str | None) -> None:
    """Run a spell FILE and print its result."""
    from .engines import find_engine
    from .runtime.sandbox import read_text
    from .runtime.session import Session

    if record and replay:
        raise click.UsageError("--record and --replay exclude each other: record once, then replay")
    values = {}
    for pair in params:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="-p")
        values[key] = value
    limits = {f"budget_{key}": value for key, value in _budget(budget).items()}  # the session settings
    try:
        source = read_text(file)  # once: FILE may be a pipe such as /dev/stdin
    except SpellError as exc:
        raise click.UsageError(exc.message) from None
    try:
        name = find_engine(name=engine, path=file, code=source)
    except SpellError as exc:
        raise click.UsageError(exc.message) from None
    try:
        with Session(model=model, offline=offline, session=session_name, llm_record=record,
                     llm_replay=replay, **limits) as session:
            if watch:
                _watch(session, file, name, values, timeout)
            else:
                _echo_result(session.run_file(file, name, params=values, timeout=timeout, source=source))
    except SpellError as exc:
        _fail(exc)
    except Exception as exc:
        _fail(unexpected(exc))


def _positive_seconds(value: float | None) -> float | None:
    if value is not None and not (0 < value < float("inf")):  # NaN fails every comparison
        raise click.BadParameter(f"{value} is not a positive number of seconds", param_hint="--timeout")
    return value


def _session_name(value: str | None) -> str | None:
    from .runtime.store import check_session_name

    try:
        return None if value is None else check_session_name(value)
    except SpellError as exc:
        raise click.BadParameter(exc.message, param_hint="--session") from None


def _budget(text: str | None) -> dict[str, float | int]:
    """`--budget tokens=N,cost=USD` as a budget map {tokens, cost}."""
    from .runtime.spend import parse_budget_text

    try:
        return parse_budget_text(text)
    except SpellError as exc:
        raise click.BadParameter(exc.message, param_hint="--budget") from None


def _echo_result(result: object) -> None:
    from .runtime.render import as_text

    text = as_text(result)
    if text:
        click.echo(text)


def _watch(session: Any, file: Path, engine: str, params: dict[str, str], timeout: float | None) -> None:
    """Run, then run again on every change of the file or a module beside it, in the same session."""
    click.echo(f"watching {file} and its folder's {file.suffix} files (Ctrl-C stops)", err=True)
    try:
        while True:
            seen = _mtimes(file)
            try:
                _echo_result(session.run_file(file, engine, params=params, timeout=timeout))
            except SpellError as exc:  # a broken edit: report it and wait for the next one
                click.echo("\n".join(exc.render()), err=True)
            while _mtimes(file) == seen:
                time.sleep(0.2)
            click.echo(f"--- {file.name}: a change, running again", err=True)
    except KeyboardInterrupt:
        return


def _mtimes(file: Path) -> dict[Path, int]:
    """Modification times of the spell and of the modules it may import (same extension, same folder tree)."""
    found = {file: file.stat().st_mtime_ns}
    for path in itertools.islice(file.parent.rglob(f"*{file.suffix}"), 500):  # stop early in a large tree
        if not any(part.startswith(".") for part in path.relative_to(file.parent).parts):
            found[path] = path.stat().st_mtime_ns
    return found


@main.command()
def engines() -> None:
    """List the engines, with their versions and limits."""
    from .engines import engine_class, engine_names
    from .runtime.session import Session

    with Session() as session:
        limits = session.sandbox.limits
        for name in engine_names():
            try:
                version = session.engine(name).version()
            except Exception as exc:
                version = f"unavailable ({exc})"
            cls = engine_class(name)
            click.echo(f"{name:8} {version:32} extensions: {' '.join(cls.file_extensions):12} "
                       f"timeout: {limits.timeout or 'none'}  memory: {(limits.max_memory or 0) // 2**20} MB")


@main.group()
def kernel() -> None:
    """Install and list the LLMSpell Jupyter kernels."""


@kernel.command("install")
@click.option("--user", is_flag=True, help="install for the current user")
@click.option("--sys-prefix", is_flag=True, help="install into this Python's prefix (a virtualenv or conda env)")
@click.option("--prefix", type=click.Path(), help="install under this prefix")
def kernel_install(user: bool, sys_prefix: bool, prefix: str | None) -> None:
    """Install the kernelspecs for this Python."""
    from .kernelspecs import install

    if sum(bool(x) for x in (user, sys_prefix, prefix)) > 1:
        raise click.UsageError("choose one of --user, --sys-prefix and --prefix")
    for path in install(user=user, prefix=sys.prefix if sys_prefix else prefix):
        click.echo(f"installed {path}")


@kernel.command("list")
def kernel_list() -> None:
    """List the installed LLMSpell kernelspecs."""
    from jupyter_client.kernelspec import KernelSpecManager

    for name, path in sorted(KernelSpecManager().find_kernel_specs().items()):
        if name.startswith("llmspell"):
            click.echo(f"{name:20} {path}")


if __name__ == "__main__":
    main()
