"""os: host access; only importable when the runtime has allow_os=True."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from ..values import ImmMap, TError, Time
from ._args import define


def go_error(e: OSError, op: str | None = None) -> TError:
    """Go's *PathError text: `open /x: no such file or directory`."""
    reason = (e.strerror or str(e))
    reason = reason[:1].lower() + reason[1:]
    if op is None or e.filename is None:
        return TError(reason)
    if e.filename2 is not None:
        return TError(f"{op} {e.filename} {e.filename2}: {reason}")
    return TError(f"{op} {e.filename}: {reason}")


def _wrap(fn: Any, op: str | None = None) -> Any:
    def g(*a: Any) -> Any:
        try:
            r = fn(*a)
        except OSError as e:
            return go_error(e, op)
        return True if r is None else r
    return g


# Go's os.FileMode bits
_MODES = {"mode_dir": 1 << 31, "mode_append": 1 << 30, "mode_exclusive": 1 << 29, "mode_temporary": 1 << 28,
          "mode_symlink": 1 << 27, "mode_device": 1 << 26, "mode_named_pipe": 1 << 25, "mode_socket": 1 << 24,
          "mode_setuid": 1 << 23, "mode_setgui": 1 << 22, "mode_char_device": 1 << 21, "mode_sticky": 1 << 20,
          "mode_perm": 0o777}
_MODES["mode_type"] = sum(_MODES[k] for k in ("mode_dir", "mode_symlink", "mode_named_pipe", "mode_socket",
                                                "mode_device", "mode_char_device")) | 1 << 19
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "armv7l": "arm"}


def make(rt: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "o_rdonly": os.O_RDONLY, "o_wronly": os.O_WRONLY, "o_rdwr": os.O_RDWR, "o_append": os.O_APPEND,
        "o_create": os.O_CREAT, "o_excl": os.O_EXCL, "o_sync": os.O_SYNC, "o_trunc": os.O_TRUNC,
        "platform": sys.platform, "arch": _ARCH.get(platform.machine(), platform.machine()), **_MODES,
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
    define(m, "read_file", 1, "s", _wrap(_read_file, "open"))
    define(m, "stat", 1, "s", _wrap(lambda p: _stat(p), "stat"))
    define(m, "expand_env", 1, "s", _expand_env)
    define(m, "exec_look_path", 1, "s", lambda name: __import__("shutil").which(name) or
           TError(f'exec: "{name}": executable file not found in $PATH'))
    define(m, "exec", (1, 255), "s" + "s" * 254, lambda name, *args: _command([name, *args]))
    define(m, "create", 1, "s", _wrap(lambda p: _file(open(p, "w+b")), "open"))
    define(m, "open", 1, "s", _wrap(lambda p: _file(open(p, "rb")), "open"))
    define(m, "open_file", 3, "sii", _wrap(lambda p, flag, perm: _file(os.fdopen(os.open(p, flag, perm), _fmode(flag))),
                                             "open"))
    return m


def _read_file(p: str) -> bytes:
    with open(p, "rb") as fh:
        return fh.read()


def _expand_env(s: str) -> str:
    """os.ExpandEnv: $NAME and ${NAME}; an unset variable is empty."""
    import re

    return re.sub(r"\$(?:\{([^}]*)\}|([A-Za-z0-9_]+))", lambda mt: os.environ.get(mt.group(1) or mt.group(2), ""), s)


def _fmode(flag: int) -> str:
    acc = flag & 3
    return "rb" if acc == os.O_RDONLY else ("ab" if flag & os.O_APPEND else ("r+b" if acc == os.O_RDWR else "wb"))


def _file(fh: Any) -> ImmMap:
    """A file object: its methods as in the reference (write, write_string, read, seek, close, name, stat, sync)."""
    m: dict[str, Any] = {}
    define(m, "write", 1, "y", _wrap(lambda b: fh.write(b)))
    define(m, "write_string", 1, "s", _wrap(lambda t: fh.write(t.encode("utf-8", "surrogateescape"))))
    # Tengo's bytes are values here: read() cannot fill the caller's buffer, it reports the count it read
    define(m, "read", 1, "y", _wrap(lambda b: len(fh.read(len(b)))))
    define(m, "seek", 2, "ii", _wrap(lambda off, whence: fh.seek(off, whence)))
    define(m, "close", 0, "", _wrap(fh.close))
    define(m, "name", 0, "", lambda: fh.name)
    define(m, "sync", 0, "", _wrap(lambda: (fh.flush(), os.fsync(fh.fileno())) and None))
    define(m, "stat", 0, "", _wrap(lambda: _stat(fh.name), "stat"))
    return ImmMap(m)


def _command(argv: list[str]) -> ImmMap:
    """An exec.Cmd: output, combined_output and run (a non-zero exit is `exit status N`)."""
    import subprocess

    def run(**kw: Any) -> Any:
        try:
            proc = subprocess.run(argv, capture_output=True, **kw)
        except OSError as e:
            return go_error(e)
        if proc.returncode:
            return TError(f"exit status {proc.returncode}")
        return proc

    m: dict[str, Any] = {}
    define(m, "output", 0, "", lambda: r.stdout if not isinstance(r := run(), TError) else r)
    define(m, "combined_output", 0, "", lambda: r.stdout if not isinstance(r := run(stderr=subprocess.STDOUT), TError)
           else r)
    define(m, "run", 0, "", lambda: True if not isinstance(r := run(), TError) else r)
    return ImmMap(m)


def _stat(p: str) -> dict:
    st = os.stat(p)
    mode = st.st_mode & 0o777 | (_MODES["mode_dir"] if os.path.isdir(p) else 0)
    return {"name": os.path.basename(p), "size": st.st_size, "mode": mode, "directory": os.path.isdir(p),
            "mtime": Time(st.st_mtime_ns, 0, "UTC")}
