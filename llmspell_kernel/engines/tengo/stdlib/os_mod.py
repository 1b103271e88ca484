"""os: host access; only importable when the runtime has allow_os=True."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from ..values import TError
from ._args import define


def _wrap(fn: Any) -> Any:
    def g(*a: Any) -> Any:
        try:
            r = fn(*a)
        except OSError as e:
            return TError(str(e))
        return True if r is None else r
    return g


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "o_rdonly": os.O_RDONLY, "o_wronly": os.O_WRONLY, "o_rdwr": os.O_RDWR, "o_append": os.O_APPEND,
        "o_create": os.O_CREAT, "o_excl": os.O_EXCL, "o_trunc": os.O_TRUNC,
        "path_separator": os.sep, "path_list_separator": os.pathsep, "dev_null": os.devnull,
        "seek_set": 0, "seek_cur": 1, "seek_end": 2,
    }
    define(m, "getenv", 1, "s", lambda k: os.environ.get(k, ""))
    define(m, "setenv", 2, "ss", _wrap(lambda k, v: os.environ.__setitem__(k, v)))
    define(m, "unsetenv", 1, "s", _wrap(lambda k: os.environ.pop(k, None) and None))
    define(m, "lookup_env", 1, "s", lambda k: os.environ.get(k, False))
    define(m, "environ", 0, "", lambda: [f"{k}={v}" for k, v in os.environ.items()])
    define(m, "hostname", 0, "", _wrap(platform.node))
    define(m, "getwd", 0, "", _wrap(os.getcwd))
    define(m, "chdir", 1, "s", _wrap(os.chdir))
    define(m, "getpid", 0, "", os.getpid)
    define(m, "getppid", 0, "", os.getppid)
    define(m, "getuid", 0, "", os.getuid)
    define(m, "getgid", 0, "", os.getgid)
    define(m, "args", 0, "", lambda: list(sys.argv))
    define(m, "exit", 1, "i", lambda c: sys.exit(c))
    define(m, "mkdir", 2, "si", _wrap(lambda p, mode: os.mkdir(p, mode)))
    define(m, "mkdir_all", 2, "si", _wrap(lambda p, mode: os.makedirs(p, mode, exist_ok=True)))
    define(m, "remove", 1, "s", _wrap(os.remove))
    define(m, "remove_all", 1, "s", _wrap(lambda p: __import__("shutil").rmtree(p, ignore_errors=True)))
    define(m, "rename", 2, "ss", _wrap(os.rename))
    define(m, "temp_dir", 0, "", lambda: os.environ.get("TMPDIR", "/tmp"))
    define(m, "read_file", 1, "s", _wrap(lambda p: open(p, "rb").read()))
    define(m, "stat", 1, "s", _wrap(lambda p: _stat(p)))
    return m


def _stat(p: str) -> dict:
    st = os.stat(p)
    return {"name": os.path.basename(p), "size": st.st_size, "mode": st.st_mode & 0o777,
            "directory": os.path.isdir(p)}
