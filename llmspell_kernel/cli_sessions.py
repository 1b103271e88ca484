"""`llmspell session|state|events`: named sessions from the command line.

A session is a SQLite file under the user data dir (see `runtime/store`). Export and import
use one JSON file with a format version, so a session can move between machines.
"""

from __future__ import annotations

import fnmatch
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .errors import ApiError
from .runtime.store import session_path, sessions_dir
from .runtime.store.base import decode, encode
from .runtime.store.sqlite import SQLiteStore

EXPORT_FORMAT = "llmspell-session"
EXPORT_VERSION = 3  # 2 added agents, tools and checkpoints; 3 tags bytes as store schema 4 does; 1 and 2 import
ALL = 2**62  # "every event" for load_events


def _open(name: str) -> SQLiteStore:
    try:
        path = session_path(name)
    except ApiError as exc:
        raise click.BadParameter(exc.message, param_hint="SESSION") from None
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in sessions_dir().glob("*.sqlite3"))) or "none"
        raise click.BadParameter(f"no session named {name!r}; sessions: {known}", param_hint="SESSION")
    return SQLiteStore(path)


def _state(store: SQLiteStore) -> Any:
    """The store's versions, rebuilt as the session would rebuild them."""
    from .runtime.state import StateStore

    return StateStore(backend=_ReadOnly(store))


class _ReadOnly:
    """A backend view that replays but never writes (the CLI only reads a session's state)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    def load_changes(self) -> list[dict[str, Any]]:
        return self.store.load_changes()

    def save_change(self, change: dict[str, Any]) -> None:
        raise click.ClickException("the CLI reads sessions; change them from a spell")


def _json(value: Any) -> str:
    return json.dumps(json.loads(encode(value)), indent=2, ensure_ascii=False, sort_keys=True)


@click.group("session")
def session() -> None:
    """List, show, export, import and delete named sessions."""


@session.command("list")
def session_list() -> None:
    """The named sessions, with their versions, events and last change."""
    for path in sorted(sessions_dir().glob("*.sqlite3")):
        store = SQLiteStore(path)
        counts = store.counts()
        store.close()
        changed = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{path.stem:24} {counts['versions']:>7} versions {counts['events']:>8} events  {changed}")


@session.command("show")
@click.argument("name")
def session_show(name: str) -> None:
    """A session's file, counts and top-level keys."""
    store = _open(name)
    state = _state(store)
    click.echo(_json({"session": name, "path": str(store.path), **store.counts(), "version": state.version,
                      "keys": state.keys(), "schema_version": store.schema_version}))
    store.close()


@session.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="the file (default: stdout)")
def session_export(name: str, output: Path | None) -> None:
    """Write a session (state changes, events, agents, tools and checkpoints) as one JSON file."""
    store = _open(name)
    document = {"format": EXPORT_FORMAT, "format_version": EXPORT_VERSION, "session": name,
                "changes": store.load_changes(), "events": store.load_events(ALL), "agents": store.load_agents(),
                "tools": store.load_tools(), "checkpoints": store.list_checkpoints()}
    store.close()
    text = encode(document)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


@session.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--name", help="the new session's name (default: the exported one)")
def session_import(file: Any, name: str | None) -> None:
    """Create a session from an exported JSON file; an existing session is never overwritten."""
    text = file.read()
    try:
        document = decode(text)
        if isinstance(document, dict) and document.get("format_version", 0) < 3:  # bytes had the old tag
            document = decode(text, legacy=True)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc.msg}", param_hint="FILE") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise click.BadParameter("not an llmspell session export", param_hint="FILE")
    if document.get("format_version", 0) > EXPORT_VERSION:
        raise click.BadParameter(f"format version {document['format_version']} is newer than this llmspell's "
                                 f"({EXPORT_VERSION})", param_hint="FILE")
    name = name or document["session"]
    path = session_path(name)
    if path.exists():
        raise click.UsageError(f"a session named {name!r} exists; delete it first or import with --name")
    store = SQLiteStore(path)
    for change in document["changes"]:
        store.save_change(change)
    for event in document["events"]:
        store.save_event(event)
    for agent in document.get("agents", []):
        store.save_agent(agent)
    for tool in document.get("tools", []):
        store.save_tool(tool)
    for checkpoint in document.get("checkpoints", []):
        store.save_checkpoint(checkpoint)
    click.echo(f"imported {len(document['changes'])} versions and {len(document['events'])} events as {name!r}")
    store.close()


@session.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="do not ask")
def session_delete(name: str, yes: bool) -> None:
    """Delete a session's file."""
    _open(name).close()
    if not yes:
        click.confirm(f"delete the session {name!r} and its whole history?", abort=True)
    path = session_path(name)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    click.echo(f"deleted {name!r}")


@click.command("state")
@click.argument("name")
@click.option("--at", "at", type=int, help="the state as it was at this version")
@click.option("--diff", nargs=2, type=int, metavar="V1 V2", help="the paths added, removed and changed (as State.diff)")
def state(name: str, at: int | None, diff: tuple[int, int] | None) -> None:
    """A session's state: now, at a version, or a diff of two versions."""
    store = _open(name)
    versions = _state(store)
    try:
        if diff:
            click.echo(_json(versions.diff(*diff)))
        else:
            click.echo(_json(versions.to_dict(version=at)))
    except ApiError as exc:
        raise click.BadParameter(exc.message) from None
    finally:
        store.close()


@click.command("events")
@click.argument("name")
@click.option("--type", "kind", help="a glob of event types (tool.*)")
@click.option("--limit", type=int, default=100, show_default=True, help="the newest N events")
@click.option("--follow", is_flag=True, help="keep printing new events as they are saved (Ctrl-C stops)")
def events(name: str, kind: str | None, limit: int, follow: bool) -> None:
    """A session's events, one JSON object per line."""
    store = _open(name)

    def show(event: dict[str, Any]) -> None:
        if kind is None or fnmatch.fnmatchcase(event["type"], kind):
            click.echo(encode(event))

    rows = store.events_after(0)
    matching = [e for _, e in rows if kind is None or fnmatch.fnmatchcase(e["type"], kind)]
    for event in matching[-limit:] if limit > 0 else []:
        click.echo(encode(event))
    last = rows[-1][0] if rows else 0
    try:
        while follow:
            time.sleep(0.2)
            fresh = store.events_after(last)
            for _, event in fresh:
                show(event)
            last = fresh[-1][0] if fresh else last
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
