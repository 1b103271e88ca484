"""The one diff of two states, used by `State.diff`, `llmspell state --diff` and the state widget.

It walks maps key by key down to the leaves and names each difference by its dotted path (`user.name`),
the same path `State.get` takes. A value that is not a map (a list, a scalar) is a leaf compared whole,
and a map added or removed as a whole is one difference at its own path. jsonpatch was considered: its
JSON pointers, per-item list operations and missing old values fit a patch, not a reader's diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("added", "removed", "changed")


@dataclass(frozen=True)
class Difference:
    path: str
    kind: str  # added, removed or changed
    old: Any = None  # absent when added
    new: Any = None  # absent when removed


def leaf_diff(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[Difference]:
    """The differences between two states, by dotted path, in path order."""
    out: list[Difference] = []
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in old:
            out.append(Difference(path, "added", new=new[key]))
        elif key not in new:
            out.append(Difference(path, "removed", old=old[key]))
        elif isinstance(old[key], Mapping) and isinstance(new[key], Mapping):
            out += leaf_diff(old[key], new[key], path)
        elif old[key] != new[key]:
            out.append(Difference(path, "changed", old[key], new[key]))
    return out


def paths_by_kind(differences: list[Difference]) -> dict[str, list[str]]:
    """`{added, removed, changed}`: the paths of each kind, sorted (what `State.diff` returns)."""
    return {kind: sorted(d.path for d in differences if d.kind == kind) for kind in KINDS}
