"""llmspell-kernel: LLM spells in Lua, JavaScript and Tengo, in Jupyter and from the command line."""

from __future__ import annotations

import os
from typing import Any

__version__ = "0.1.0"

# The IPython extension lives in the top-level magics/ folder; installs map it to
# llmspell_kernel.magics, and in a source checkout this finds it beside the package.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_in_checkout = os.path.isfile(os.path.join(_checkout, "magics", "__init__.py"))
if _in_checkout and not os.path.isdir(os.path.join(__path__[0], "magics")):
    __path__.append(_checkout)


def session():
    """The current session: the IPython shell's (after `%load_ext llmspell_kernel`), else a process-wide one."""
    from .runtime.current import current_session

    return current_session()


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext llmspell_kernel`: register `%%spell` and `%spell`."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import unload_ipython_extension as unload

    unload(ipython)


__all__ = ["__version__", "load_ipython_extension", "session", "unload_ipython_extension"]
