"""The inputs of a batch (a JSONL file or a list) and its results file (JSONL, one line per id).

Only the client writes the results file: each record is appended as it arrives, so Ctrl-C keeps what finished,
and at the end the file is rewritten in input order with one line per id (the last record of an id wins).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ApiError


def read_inputs(path: str | Path) -> list[dict[str, Any]]:
    """The inputs of a JSONL file: one JSON object per line; blank lines are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ApiError(f"cannot read the inputs {path}: {exc.strerror or exc}") from None
    items = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ApiError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(items[-1], dict):
                raise ApiError(f"{path}:{number}: an input must be a JSON object, not {line.strip()[:40]}")
    return items


def with_ids(items: Iterable[dict[str, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    """(id, params) per input: its `id` field, or its position (1-based) when it has none. Ids must be unique."""
    pairs, seen = [], set()
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ApiError(f"input {position}: an input must be a map (a dict), not {type(item).__name__}")
        item_id = item.get("id", position)
        if not isinstance(item_id, (str, int)) or isinstance(item_id, bool):
            raise ApiError(f"input {position}: an id must be a string or an integer, not {item_id!r}")
        if item_id in seen:
            raise ApiError(f"input {position}: the id {item_id!r} appears twice")
        seen.add(item_id)
        pairs.append((item_id, item))
    return pairs


class ResultsFile:
    """The results of a batch on disk; `done` holds the ids already answered (to skip on a resumed run)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records: dict[Any, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a crash: that input runs again
                    continue
                if isinstance(record, dict) and "id" in record:
                    self.records[record["id"]] = record
        self._file = None

    @property
    def done(self) -> set[Any]:
        """Ids with a successful result: a resumed run skips them (failed ones run again)."""
        return {item_id for item_id, record in self.records.items() if record.get("ok")}

    def append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        self.records[record["id"]] = record

    def finish(self, order: list[Any]) -> None:
        """Rewrite the file in input order, one line per id (atomically: a crash here loses nothing)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        rank = {item_id: n for n, item_id in enumerate(order)}
        records = sorted(self.records.values(), key=lambda r: (rank.get(r["id"], len(rank)), str(r["id"])))
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        os.replace(temporary, self.path)
