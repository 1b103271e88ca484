"""JSON Schema validators for tool arguments, state schemas and agents' JSON replies.

jsonschema's import also imports the libraries of its optional format checkers, and one of them
(rfc3987-syntax) builds dozens of Lark grammars: seconds of CPU on the first tool call. Our validators
never check `format` (in draft 2020-12 it is an annotation), so jsonschema is imported with those
libraries hidden; its messages and results are the same. A process that imported jsonschema before
us keeps its full copy.
"""

from __future__ import annotations

import json
import sys
import threading
from functools import lru_cache
from typing import Any

from ..errors import ApiError

# the libraries jsonschema._format imports only to offer format checkers (see its `with suppress(ImportError)`)
FORMAT_LIBRARIES = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "isoduration",
                    "fqdn", "idna", "jsonpointer", "uri_template", "webcolors")
_import_lock = threading.Lock()


def jsonschema() -> Any:
    """The jsonschema module, imported without its format checkers' libraries when we import it first."""
    module = sys.modules.get("jsonschema")
    if module is not None:
        return module
    with _import_lock:
        hidden = [name for name in FORMAT_LIBRARIES if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
        try:
            import jsonschema as module
        finally:
            for name in hidden:
                if sys.modules.get(name, ...) is None:
                    del sys.modules[name]  # the libraries stay importable for anyone else
    return module


def validator(schema: dict[str, Any], refusal: str) -> Any:
    """A draft 2020-12 validator for `schema`; if the schema is invalid, ApiError(`refusal`: the reason)."""
    module = jsonschema()
    try:
        module.Draft202012Validator.check_schema(schema)
    except module.SchemaError as exc:
        raise ApiError(f"{refusal}: {exc.message}") from None
    return module.Draft202012Validator(schema)


def first_error(validator: Any, value: Any) -> Any:
    """The error a user should see first (the shallowest path, in order), or None when `value` matches."""
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    return errors[0] if errors else None


def matches(schema: dict[str, Any], value: Any) -> Any:
    """`first_error` against a schema given as data (an agent's response_format): compiled once per schema."""
    return first_error(_cached(json.dumps(schema, sort_keys=True, default=str)), value)


@lru_cache(maxsize=64)
def _cached(text: str) -> Any:
    return jsonschema().Draft202012Validator(json.loads(text))
