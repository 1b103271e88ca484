"""Escape attempts from Tengo: each must fail with an error that names what was refused, and change nothing.

An API failure is an error value in Tengo; these cells end with it, so the engine raises it as the
SpellError it stands for. `{OUT}` is the absolute path of a folder outside the sandbox root (conftest.py).
"""

from __future__ import annotations

import pytest
from escapes import ENV_NAME, ENV_SECRET, run_attempt

from llmspell_kernel.engines.tengo.errors import TengoRuntimeError, TengoSyntaxError
from llmspell_kernel.errors import ApiError, LimitError, SandboxError
from llmspell_kernel.runtime.session import Session

S, A, RT, SY = SandboxError, ApiError, TengoRuntimeError, TengoSyntaxError
OS_OFF = "module 'os' is not available in the sandbox"

ATTEMPTS = [
    # os: processes, environment, files (off unless allow_os)
    ("os.exec", 'os := import("os")\nos.exec("touch", "/tmp/pwned")', S, OS_OFF),
    ("os.getenv", f'os := import("os")\nos.getenv("{ENV_NAME}")', S, OS_OFF),
    ("os.environ", 'os := import("os")\nos.environ()', S, OS_OFF),
    ("os.read_file", 'os := import("os")\nos.read_file("/etc/passwd")', S, OS_OFF),
    ("os.remove_all", 'os := import("os")\nos.remove_all("{OUT}")', S, OS_OFF),
    ("os inside a function", f'f := func() {{ os := import("os"); return os.getenv("{ENV_NAME}") }}\nf()', S, OS_OFF),
    ("os from a module in the root", 'm := import("uses_os")\nm', S, OS_OFF),
    # Python names behind the compiled code
    ("__builtins__", '__builtins__["open"]("/etc/passwd")', SY, "unresolved reference '__builtins__'"),
    ("the runtime's module loader", '_mod("os").getenv("HOME")', SY, "unresolved reference '_mod'"),
    ("exec", 'exec("import os")', SY, "unresolved reference 'exec'"),
    ("__import__", '__import__("os").system("id")', SY, "unresolved reference '__import__'"),
    # Python objects behind handles and host functions
    ("handle __class__", 'a := Agent.create({name: "h1"})\na.__class__', RT, "not indexable: opaque:AgentHandle"),
    ("handle _h_obj", 'a := Agent.create({name: "h2"})\na._h_obj', RT, "not indexable: opaque:AgentHandle"),
    ("handle __dict__ by index", 'a := Agent.create({name: "h3"})\na["__dict__"]', RT, "not indexable"),
    ("host function __globals__", "Agent.create.__globals__", RT, "not indexable: string"),
    ("builtin __code__", "len.__code__", RT, "not indexable"),
    ("Jinja2 template reaching Python",
     'Prompt.render("{{ cycler.__init__.__globals__.os.environ }}", {})', A, "unsafe"),
    ("Jinja2 template including a file", 'Prompt.render("{% include \'/etc/passwd\' %}", {})', A,
     "cannot include, import or extend"),
    # modules and files
    ("import an absolute path", 'x := import("/etc/passwd")', SY, "module '/etc/passwd' not found"),
    ("import ..", 'x := import("../outside/mod")', SY, "module '../outside/mod' not found"),
    ("import through a folder symlink", 'x := import("out/mod")', SY, "module 'out/mod' not found"),
    ("fs.read absolute", 'fs.read("/etc/passwd")', S, "absolute path '/etc/passwd' refused"),
    ("fs.read ..", 'fs.read("../../../../../../../etc/passwd")', S, "leaves the sandbox root"),
    ("fs.read symlink to a file", 'fs.read("pw")', S, "path 'pw' leaves the sandbox root"),
    ("fs.read through a folder symlink", 'fs.read("out/secret.txt")', S, "leaves the sandbox root"),
    ("fs.write absolute", 'fs.write("{OUT}/pwned.txt", "x")', S, "absolute path"),
    ("fs.write ..", 'fs.write("../outside/pwned.txt", "x")', S, "leaves the sandbox root"),
    ("fs.write through a folder symlink", 'fs.write("out/pwned.txt", "x")', S, "leaves the sandbox root"),
    ("fs.append to a file symlink", 'fs.append("secretlink", "x")', S, "leaves the sandbox root"),
    ("fs.remove through a symlink", 'fs.remove("out/secret.txt")', S, "leaves the sandbox root"),
    ("fs.list outside", 'fs.list("out")', S, "leaves the sandbox root"),
    ("file_read tool", 'Tool.call("file_read", {path: "/etc/passwd"})', S, "absolute path"),
    ("file_read tool symlink", 'Tool.call("file_read", {path: "out/secret.txt"})', S, "leaves the sandbox root"),
    ("file_write tool ..", 'Tool.call("file_write", {path: "../outside/pwned.txt", content: "x"})', S,
     "leaves the sandbox root"),
    ("file_write tool symlink", 'Tool.call("file_write", {path: "secretlink", content: "x"})', S,
     "leaves the sandbox root"),
    ("no API makes symlinks", 'fs.symlink("/etc/passwd", "link")', RT, "not callable"),
    ("no API renames", 'fs.rename("inside.txt", "../outside/pwned.txt")', RT, "not callable"),
    # network
    ("http_request tool", 'Tool.call("http_request", {method: "GET", url: "http://127.0.0.1:9/"})', S,
     "network access to host '127.0.0.1' is not allowed"),
    ("web_fetch file://", 'Tool.call("web_fetch", {url: "file:///etc/passwd"})', S,
     "only http and https URLs are allowed"),
    ("web_fetch another host", 'Tool.call("web_fetch", {url: "https://example.com/"})', S,
     "network access to host 'example.com' is not allowed"),
]


@pytest.fixture
def with_modules(jail):
    (jail.root / "uses_os.tengo").write_text('os := import("os")\nexport os.getenv("HOME")\n')
    return jail


@pytest.mark.parametrize(("name", "code", "expected", "fragment"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
def test_tengo_escape_is_refused(jailed, with_modules, capsys, name, code, expected, fragment):
    run_attempt(jailed, with_modules, "tengo", code, expected, fragment, capsys)


def test_tengo_has_at_least_25_attempts():
    assert len(ATTEMPTS) >= 25


def test_tengo_refusals_are_error_values_too(jailed):
    """In the middle of a cell a refusal is an error value that names it; nothing was read."""
    value = jailed.run('r := fs.read("pw")\n[is_error(r), r.value]', "tengo")
    assert value == [True, "path 'pw' leaves the sandbox root"]


def test_tengo_limits_cannot_be_dodged(jailed, jail, capsys):
    run_attempt(jailed, jail, "tengo", "for {}", LimitError, "time limit", capsys, timeout=0.5)
    run_attempt(jailed, jail, "tengo", "f := func() { for {} }\nfor { f() }", LimitError, "time limit", capsys,
                timeout=0.5)


def test_tengo_os_only_with_allow_os(jail):
    """`allow_os = true` is the one switch that gives Tengo the host: the default session has it off."""
    with Session(offline=True, root=str(jail.root), allow_os=True) as s:
        assert s.run(f'os := import("os")\nos.getenv("{ENV_NAME}")', "tengo") == ENV_SECRET
    with Session(offline=True, root=str(jail.root)) as s, pytest.raises(SandboxError, match="allow_os = true"):
        s.run('os := import("os")\nos.getenv("HOME")', "tengo")
