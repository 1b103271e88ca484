"""Tengo (github.com/d5/tengo) for llmspell, compiled to Python code.

Public API: TengoRuntime, TengoError, to_tengo, to_python, TengoFunction,
TengoErrorValue.
"""

from __future__ import annotations

from .convert import TengoErrorValue, TengoFunction, to_python, to_tengo
from .errors import TengoError, TengoRuntimeError, TengoSyntaxError
from .runtime import TengoRuntime

__all__ = [
    "TengoError", "TengoErrorValue", "TengoFunction", "TengoRuntime", "TengoRuntimeError",
    "TengoSyntaxError", "to_python", "to_tengo",
]
