"""Helpers: run Tengo source and capture what fmt prints."""

from __future__ import annotations

import pytest

from llmspell_kernel.engines.tengo import TengoError, TengoRuntime


class Runner:
    def __call__(self, src: str, **kw: object) -> str:
        out: list[str] = []
        rt = TengoRuntime(stdout=out.append, **kw)  # type: ignore[arg-type]
        rt.run(src, "test.tengo")
        return "".join(out)

    def p(self, expr: str) -> str:
        """Print one expression with fmt.println."""
        return self(f'fmt := import("fmt")\nfmt.println({expr})\n')

    def err(self, src: str, **kw: object) -> TengoError:
        out: list[str] = []
        rt = TengoRuntime(stdout=out.append, **kw)  # type: ignore[arg-type]
        with pytest.raises(TengoError) as ei:
            rt.run(src, "test.tengo")
        return ei.value


@pytest.fixture
def run() -> Runner:
    return Runner()


@pytest.fixture(autouse=True)
def _compile_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests compare code compiled with and without fast paths (patched compilers): the disk cache
    (engines/tengo/codecache.py) would hand back code compiled by another run."""
    monkeypatch.setenv("LLMSPELL_TENGO_CACHE", "0")
