"""Escape attempts from Lua: each must fail with an error that names what was refused, and change nothing.

`{OUT}` in the code is the absolute path of a folder outside the sandbox root (see conftest.py).
"""

from __future__ import annotations

import pytest
from escapes import ENV_NAME, run_attempt
from support.guards import GUARD

from llmspell_kernel.errors import InternalError, LimitError, SandboxError, ScriptRuntimeError, SpellError

R, S, INT = ScriptRuntimeError, SandboxError, InternalError
API = SpellError  # an ApiError from Lua keeps its class; any SpellError with the right words will do

ATTEMPTS = [
    # processes
    ("os.execute", 'return os.execute("touch /tmp/pwned")', S, "os.execute is not available in the sandbox"),
    ("io.popen", 'return io.popen("id"):read("a")', R, "attempt to index a nil value (global 'io')"),
    ("os.exit", "os.exit(3)", S, "os.exit is not available"),
    ("os.remove", 'return os.remove("{OUT}/secret.txt")', S, "os.remove is not available"),
    ("os.rename", 'return os.rename("{OUT}/secret.txt", "stolen.txt")', S, "os.rename is not available"),
    ("os.tmpname", "return os.tmpname()", S, "os.tmpname is not available"),
    ("os.setlocale", 'return os.setlocale("C")', S, "os.setlocale is not available"),
    ("os.execute through rawget", 'return rawget(os, "execute")("touch /tmp/pwned")', R, "attempt to call a nil value"),
    # environment
    ("os.getenv", f'return os.getenv("{ENV_NAME}")', S, "os.getenv is not available"),
    # files: io, fs, and the file tools
    ("io.open /etc/passwd", 'return io.open("/etc/passwd"):read("a")', R, "global 'io'"),
    ("fs.read absolute", 'return fs.read("/etc/passwd")', S, "absolute path '/etc/passwd' refused"),
    ("fs.read ..", 'return fs.read("../../../../../../../../etc/passwd")', S, "leaves the sandbox root"),
    ("fs.read symlink to a file", 'return fs.read("pw")', S, "path 'pw' leaves the sandbox root"),
    ("fs.read through a folder symlink", 'return fs.read("out/secret.txt")', S, "leaves the sandbox root"),
    ("fs.read ./ and .. mixed", 'return fs.read("adir/../../outside/secret.txt")', S, "leaves the sandbox root"),
    ("fs.read NUL byte", 'return fs.read("inside.txt\\0/../../etc/passwd")', S, "NUL byte"),
    ("fs.write absolute", 'return fs.write("{OUT}/pwned.txt", "x")', S, "absolute path"),
    ("fs.write ..", 'return fs.write("../outside/pwned.txt", "x")', S, "leaves the sandbox root"),
    ("fs.write through a folder symlink", 'return fs.write("out/pwned.txt", "x")', S, "leaves the sandbox root"),
    ("fs.write new folders through a symlink", 'return fs.write("out/a/b/pwned.txt", "x")', S, "leaves the sandbox"),
    ("fs.append to a file symlink", 'return fs.append("secretlink", "x")', S, "leaves the sandbox root"),
    ("fs.remove through a symlink", 'return fs.remove("out/secret.txt")', S, "leaves the sandbox root"),
    ("fs.list outside", 'return fs.list("out")', S, "leaves the sandbox root"),
    ("fs.exists probes the host", 'return fs.exists("/etc/passwd")', S, "absolute path"),
    ("file_read tool absolute", 'return Tool.call("file_read", {path = "/etc/passwd"})', S, "absolute path"),
    ("file_read tool symlink", 'return Tool.call("file_read", {path = "out/secret.txt"})', S, "leaves the sandbox"),
    ("file_write tool ..", 'return Tool.call("file_write", {path = "../outside/pwned.txt", content = "x"})', S,
     "leaves the sandbox root"),
    ("file_write tool symlink", 'return Tool.call("file_write", {path = "secretlink", content = "x"})', S,
     "leaves the sandbox root"),
    ("file_list tool outside", 'return Tool.call("file_list", {path = "out"})', S, "leaves the sandbox root"),
    ("no API makes symlinks", 'return fs.symlink("/etc/passwd", "link")', R, "field 'symlink'"),
    ("no API renames", 'return fs.rename("inside.txt", "../outside/pwned.txt")', R, "field 'rename'"),
    # network
    ("http_request tool", 'return Tool.call("http_request", {method = "GET", url = "http://127.0.0.1:9/"})', S,
     "network access to host '127.0.0.1' is not allowed"),
    ("web_fetch file://", 'return Tool.call("web_fetch", {url = "file:///etc/passwd"})', S,
     "only http and https URLs are allowed"),
    ("web_fetch metadata", 'return Tool.call("web_fetch", {url = "http://169.254.169.254/latest/"})', S,
     "is not allowed by the sandbox"),
    # loading code: bytecode, files, C libraries
    ("load binary chunk", 'return load("\\27Lua\\84\\0", "x", "b")', R, "global 'load'"),
    ("string.dump", "return string.dump(print)", R, "field 'dump'"),
    ("string.dump as a method", 'return ("").dump(print)', R, "field 'dump'"),
    ("loadstring", 'return loadstring("return 1")', R, "global 'loadstring'"),
    ("dofile", 'return dofile("/etc/passwd")', R, "global 'dofile'"),
    ("loadfile", 'return loadfile("/etc/passwd")', R, "global 'loadfile'"),
    ("package.loadlib", 'return package.loadlib("libc.so.6", "system")', R, "global 'package'"),
    ("require a C module", 'return require("socket.core")', API, "module 'socket.core' not found"),
    ("require an absolute path", 'return require("/etc/passwd")', S, "require: invalid module name"),
    ("require ..", 'return require("../outside/mod")', S, "require: invalid module name"),
    ("require through a folder symlink", 'return require("out.mod")', S, "leaves the sandbox root"),
    # debug and the Python bridge
    ("debug.getregistry", "return debug.getregistry()", R, "global 'debug'"),
    ("debug.sethook", "debug.sethook()", R, "global 'debug'"),
    ("python.eval", 'return python.eval("__import__(\'os\').system(\'id\')")', R, "global 'python'"),
    ("python.builtins", "return python.builtins.open", R, "global 'python'"),
    ("handle __class__", 'local a = Agent.create{name = "h1"} return a.__class__.__mro__', R, "__class__"),
    ("handle metatable", 'return setmetatable(Agent.create{name = "h2"}, {})', R, "protected metatable"),
    ("Python exception: __class__", 'local ok, e = pcall(fs.write, "adir", "x") return e.__class__', INT,
     "Python attributes are not available in the sandbox"),
    ("Python exception: __traceback__",
     'local ok, e = pcall(fs.write, "adir", "x") return e.__traceback__.tb_frame.f_globals', INT,
     "Python attributes are not available in the sandbox"),
    ("Python exception: item access", 'local ok, e = pcall(fs.write, "adir", "x") return e[1]', INT,
     "Python attributes are not available in the sandbox"),
    ("Python exception: setting", 'local ok, e = pcall(fs.write, "adir", "x") e.args = 1', INT,
     "Python attributes are not available in the sandbox"),
    ("Python object's metatable on a table",
     'local ok, e = pcall(fs.write, "adir", "x") return setmetatable({}, getmetatable(e))', R,
     "nil or table expected"),  # lupa's metatable is protected: getmetatable shows only "python object"
    ("a __gc on lupa's metatable for Python objects",
     'local ok, e = pcall(fs.write, "adir", "x") getmetatable(e).__gc = function() while true do end end', R,
     "attempt to index a string value"),
    ("Jinja2 template reaching Python",
     'return Prompt.render("{{ cycler.__init__.__globals__.os.environ }}", {})', API, "unsafe"),
    ("Jinja2 template including a file", 'return Prompt.render("{% include \'/etc/passwd\' %}", {})', API,
     "cannot include, import or extend"),
    # metatables, the garbage collector, limits
    ("the string metatable", 'getmetatable("").__index = function() return "pwned" end', R,
     "attempt to index a string value"),
    ("setmetatable on a string", 'return setmetatable("", {})', R, "table expected"),
    ("a metamethod on os's metatable", 'getmetatable(os).__gc = function() while true do end end', R,
     "attempt to index a string value"),
    ("setmetatable on os", 'setmetatable(os, {})', R, "cannot change a protected metatable"),
    ("a metamethod on a handle's metatable", 'getmetatable(Tool.register{name = "h", description = "d", '
     'params = {type = "object"}, fn = function() end}).__index = print', R, "attempt to index a string value"),
    ("a __gc finalizer (runs with hooks off)", "setmetatable({}, {__gc = function() while true do end end})", R,
     "__gc metamethods are not available in the sandbox"),
    ("collectgarbage generational", 'return collectgarbage("generational")', R, "is not available in the sandbox"),
    ("collectgarbage incremental", 'return collectgarbage("incremental", 1, 1)', R, "is not available in the sandbox"),
    ("collectgarbage stop", 'return collectgarbage("stop")', R, "is not available in the sandbox"),
]


@pytest.mark.parametrize(("name", "code", "expected", "fragment"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
def test_lua_escape_is_refused(jailed, jail, capsys, name, code, expected, fragment):
    run_attempt(jailed, jail, "lua", code, expected, fragment, capsys)


def test_lua_has_at_least_25_attempts():
    assert len(ATTEMPTS) >= 25


def test_lua_stdlib_is_the_safe_subset(jailed):
    names = jailed.run("local t = {} for k in pairs(_G) do t[#t + 1] = k end table.sort(t) return t", "lua")
    for gone in ("io", "debug", "package", "python", "load", "loadstring", "dofile", "loadfile"):
        assert gone not in names
    assert jailed.run("local t = {} for k in pairs(os) do t[#t + 1] = k end table.sort(t) return t", "lua") == [
        "clock", "date", "difftime", "time"]
    assert jailed.run('return getmetatable("")', "lua") == "string"  # the metatable itself stays hidden


def test_lua_limits_cannot_be_dodged(jailed, jail, capsys):
    """A pcall, a coroutine or a finalizer cannot keep a script running past its time limit."""
    for code in ("local ok = pcall(function() while true do end end) while true do end",
                 "local co = coroutine.wrap(function() while true do end end) co()",
                 "while true do pcall(error) end"):
        run_attempt(jailed, jail, "lua", code, LimitError, "time limit", capsys, timeout=0.5)


def test_lua_late_gc_field_is_never_called(jailed):
    """A __gc added after setmetatable is not a finalizer in Lua 5.4: nothing to refuse, nothing runs."""
    code = ("local mt = {} local t = setmetatable({}, mt) mt.__gc = function() while true do end end "
            "t = nil collectgarbage() collectgarbage() return 'done'")
    assert jailed.run(code, "lua", timeout=GUARD) == "done"  # a guard: a called finalizer would loop for ever


def test_lua_string_metatable_change_stays_in_lua(jailed):
    """Even with the string table changed, other engines' strings and the API are unaffected."""
    jailed.run('string.upper = function() return "pwned" end string.format = nil', "lua")
    assert jailed.run('State.set("s", ("abc"):lower()) return State.get("s")', "lua") == "abc"
    assert jailed.run('"abc".toUpperCase()', "js") == "ABC"
    assert jailed.run('text := import("text")\ntext.to_upper("abc")', "tengo") == "ABC"
