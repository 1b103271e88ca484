"""`llmspell batch`: a spell once per input line, on a Dask cluster (loaded lazily by cli.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli import _budget, _fail
from .errors import BudgetError, SpellError

EXIT_FAILED_INPUTS, EXIT_CANCELLED = 3, 130


@click.command()
@click.argument("spell", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--inputs", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="a JSONL file: one JSON object per line, bound as Spell.params (its `id` names the result)")
@click.option("-e", "--engine", help="lua, js or tengo (default: from the extension or shebang)")
@click.option("--cluster", default="local", show_default=True,
              help="local, local:N (N worker processes) or a Dask scheduler address (tcp://host:8786)")
@click.option("--store", help="the store the inputs' sessions share (redis://host:6379/0 across machines)")
@click.option("--session", "session_name", metavar="NAME", help="the session name in that store")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="the results file (JSONL); ids already done there are skipped (default: print to stdout)")
@click.option("--concurrency", type=click.IntRange(min=1),
              help="inputs run at once per local worker, their model calls overlapping (default 4)")
@click.option("--retries", type=click.IntRange(min=0), default=0, help="extra attempts for an input that fails")
@click.option("--model", help="the default model (a litellm model string)")
@click.option("--offline", is_flag=True, default=None, help="send every model to the mock provider")
@click.option("--budget", metavar="tokens=N,cost=USD",
              help="a token and/or cost budget for the whole batch; once spent, the unfinished inputs are BudgetError")
def batch(spell: Path, inputs: Path, engine: str | None, cluster: str, store: str | None, session_name: str | None,
          out: Path | None, concurrency: int | None, retries: int, model: str | None, offline: bool | None,
          budget: str | None) -> None:
    """Run SPELL once per input line of --inputs, on a Dask cluster; one result line per input id.

    Exit code 3 when an input failed, 6 when the batch stopped on its --budget (a resume with the same --out
    runs the rest), 130 when cancelled (Ctrl-C keeps the finished results in --out)."""
    from .batch import Progress, run_batch

    limits = _budget(budget)
    def show(progress: Progress) -> None:
        click.echo("\r" + progress.line(), nl=False, err=True)

    try:
        result = run_batch(spell, inputs, engine=engine, cluster=cluster, store=store, session=session_name, out=out,
                           concurrency=concurrency, retries=retries, settings={"model": model, "offline": offline},
                           on_progress=show, budget=limits)
    except SpellError as exc:
        _fail(exc)
    click.echo("", err=True)
    if out is None:
        for record in result.records:
            click.echo(json.dumps(record, ensure_ascii=False))
    summary = result.summary()
    click.echo(", ".join(f"{key}: {value}" for key, value in summary.items()), err=True)
    for record in result.failed:
        error = record["error"]
        where = f"{error['where']} " if error.get("where") else ""
        click.echo(f"  id {record['id']}: {where}{error['kind']}: {error['message']}", err=True)
    if result.cancelled:
        sys.exit(EXIT_CANCELLED)
    if result.over_budget:
        sys.exit(BudgetError.exit_code)
    if result.failed:
        sys.exit(EXIT_FAILED_INPUTS)
