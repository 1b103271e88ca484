"""Helpers for the escape tests: the jail layout, the markers that must never leak, and `run_attempt`.

Layout under the test's tmp_path:

    outside/secret.txt      a file the sandbox must never read, change or delete
    outside/mod.tengo/.lua/.js  modules outside the root that must never load
    root/                   the session's sandbox root
    root/out -> ../outside  a symlink to a folder outside the root (made with Python by the `jail` fixture)
    root/pw -> /etc/passwd  a symlink to a file outside the root
    root/secretlink -> ../outside/secret.txt
    root/adir/              a folder (writing to it as a file makes Python raise)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from llmspell_kernel.errors import SpellError
from llmspell_kernel.runtime.session import Session

SECRET_TEXT = "TOP-SECRET-OUTSIDE-4711"
ENV_SECRET = "env-SECRET-value-4242"
ENV_NAME = "LLMSPELL_TEST_SECRET"


def passwd_marker() -> str:
    """A piece of /etc/passwd that no refusal message contains."""
    try:
        first = Path("/etc/passwd").read_text().splitlines()[0]
    except (OSError, IndexError):
        return "root:x:0:0"
    return first.split(":")[0] + ":" + ":".join(first.split(":")[1:3])


@dataclass
class Jail:
    tmp: Path
    root: Path
    outside: Path

    def snapshot(self) -> dict[str, bytes]:
        """Every file outside the root (and the root's symlink targets), with its content."""
        return {str(p.relative_to(self.outside)): p.read_bytes() for p in sorted(self.outside.rglob("*"))
                if p.is_file()} | {"<tmp>": b"\n".join(sorted(p.name.encode() for p in self.tmp.iterdir()))}

    def fill(self, code: str) -> str:
        return code.replace("{OUT}", str(self.outside)).replace("{ROOT}", str(self.root))


def forbidden_markers() -> list[str]:
    return [SECRET_TEXT, ENV_SECRET, passwd_marker()]


def run_attempt(session: Session, jail: Jail, engine: str, code: str, expected: type[BaseException],
                fragment: str, capsys, timeout: float | None = 5.0) -> SpellError:
    """Run one escape attempt: it must fail with `expected` naming `fragment`, and leave the host untouched."""
    before = jail.snapshot()
    with pytest.raises(expected) as info:
        session.run(jail.fill(code), engine, chunk="attempt", timeout=timeout)
    error = info.value
    text = str(error)
    assert fragment in text, f"{engine}: expected {fragment!r} in the error, got: {text}"
    out = capsys.readouterr()
    seen = "\n".join([text, out.out, out.err, *(str(e.data) for e in session.events.list())])
    for marker in forbidden_markers():
        assert marker not in seen, f"{engine}: {marker!r} leaked through the attempt"
    assert jail.snapshot() == before, f"{engine}: the attempt changed files outside the sandbox root"
    for leftover in ("pwned", "pwned.txt"):
        assert not (Path("/tmp") / leftover).exists()
    assert (jail.outside / "secret.txt").read_text() == SECRET_TEXT
    assert os.environ.get("LLMSPELL_TEST_PWNED") is None
    return error
