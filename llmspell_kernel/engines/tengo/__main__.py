"""`python -m llmspell_kernel.engines.tengo FILE [--dump-python]`: run like the tengo CLI."""

from __future__ import annotations

import os
import sys

from .errors import TengoError
from .runtime import TengoRuntime


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    dump = "--dump-python" in args
    args = [a for a in args if a != "--dump-python"]
    if not args:
        sys.stderr.write("usage: python -m llmspell_kernel.engines.tengo FILE [--dump-python]\n")
        return 2
    path = args[0]
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        sys.stderr.write(f"Error reading input file: {e}")
        return 1
    if data.startswith(b"#!"):
        data = b"//" + data[2:]
    src = data.decode("utf-8", "surrogateescape")
    # the reference names the chunk by its base name
    base = os.path.basename(path)
    rt = TengoRuntime(import_root=None, allow_os=True)
    rt.import_dir = os.getcwd()  # as the reference CLI (without -resolve): imports are relative to where it runs
    try:
        if dump:
            sys.stdout.write(rt.dump_python(src, base) + "\n")
            return 0
        rt.run(src, base)
    except TengoError as e:
        sys.stdout.flush()
        if getattr(e, "go_panic", None):  # where the reference's Go code panics: its text and exit status
            sys.stderr.write(f"panic: {e.go_panic}\n")
            return 2
        sys.stderr.write(e.tengo_format() + "\n")
        return 1
    finally:
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
