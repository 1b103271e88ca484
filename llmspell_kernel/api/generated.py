"""The command line of a file generated from the API table (docs/api.md, llmspell.d.ts).

Without options it rewrites the file when it differs; `--check` writes nothing and exits 1
when the file is stale, so a test or CI step can insist that it was regenerated.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def generated_file_main(argv: list[str] | None, *, module: str, default: Path, render: Callable[[], str]) -> int:
    """`python -m <module> [--check] [--output PATH]`; returns the exit code."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=f"Regenerate {default.name}.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    parser.add_argument("--output", type=Path, default=default, help=f"the file (default: {default})")
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is stale: run `python -m {module}`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0
