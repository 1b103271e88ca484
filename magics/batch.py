"""`%spell batch SPELL --inputs FILE …`: the notebook's way into `llmspell batch`, with a live progress bar."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..errors import ApiError, SpellError
from ..runtime.session import Session
from ..widgets.batch_progress import BatchProgress

PER_SESSION = ("store", "session")  # each input's session gets these from --store/--session, not the notebook's


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # a usage error, not SystemExit
        raise ApiError(f"%spell batch: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%spell batch", add_help=False)
    parser.add_argument("spell")
    parser.add_argument("--inputs", required=True)
    parser.add_argument("-e", "--engine")
    parser.add_argument("--cluster", default="local")
    parser.add_argument("--store")
    parser.add_argument("--session")
    parser.add_argument("--out")
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--budget", type=_budget, help="tokens=N,cost=USD for the whole batch")
    return parser


def _budget(text: str) -> dict[str, int | float]:
    """--budget as `llmspell batch` reads it."""
    from ..runtime.spend import parse_budget_text

    try:
        return parse_budget_text(text)
    except SpellError as exc:  # argparse reports it as a usage error of --budget
        raise argparse.ArgumentTypeError(exc.message) from None


def run_batch_magic(session: Session, words: list[str], show: Callable[[Any], None]) -> Any:
    """Run the batch with the notebook session's settings (model, offline, limits) in every input's session.
    The kernel's stop button (an interrupt) cancels it, keeping what finished."""
    from ..batch import run_batch
    from ..batch.items import read_inputs, with_ids

    args = _parser().parse_args(words)
    inputs = with_ids(read_inputs(args.inputs))
    settings = {k: v for k, v in vars(session.config).items() if k not in PER_SESSION}
    bar = BatchProgress(len(inputs), show, name=args.spell)
    result = run_batch(args.spell, [params for _, params in inputs], engine=args.engine, cluster=args.cluster,
                       store=args.store, session=args.session, out=args.out, concurrency=args.concurrency,
                       retries=args.retries, settings=settings, on_progress=bar.update,
                       budget=args.budget)
    bar.finish(result)
    return result
