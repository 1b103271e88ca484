"""Escape attempts from JavaScript: each must fail with an error that names what was refused, and change nothing.

QuickJS runs without its `std` and `os` modules; `require`/`import` load only files under the sandbox root.
`{OUT}` in the code is the absolute path of a folder outside the sandbox root (see conftest.py).
"""

from __future__ import annotations

import pytest
from escapes import ENV_NAME, run_attempt

from llmspell_kernel.errors import ApiError, ConversionError, LimitError, SandboxError, ScriptRuntimeError, SpellError

R, S, A, C = ScriptRuntimeError, SandboxError, ApiError, ConversionError

ATTEMPTS = [
    # processes and host modules
    ("require child_process", 'require("child_process").execSync("touch /tmp/pwned")', A,
     "there are no host modules"),
    ("import os (ES syntax)", 'import * as os from "os"\nos.exec(["touch", "/tmp/pwned"])', A,
     "module 'os' not found"),
    ("import std (ES syntax)", 'import * as std from "std"\nstd.popen("id", "r")', A, "module 'std' not found"),
    ("dynamic import of os", 'const os = await import("os"); os.exec(["id"])', R, "could not load module 'os'"),
    ("process", 'process.binding("spawn_sync")', R, "'process' is not defined"),
    ("std global", 'std.popen("id", "r")', R, "'std' is not defined"),
    ("os global", 'os.exec(["id"])', R, "'os' is not defined"),
    ("Deno", 'Deno.run({cmd: ["id"]})', R, "'Deno' is not defined"),
    ("the host bridge, by name", '__ls_host_call(0, "[]")', R, "'__ls_host_call' is not defined"),
    ("Function constructor reaching require", 'Function("return require(\'fs\')")().readFileSync("/etc/passwd")',
     A, "there are no host modules"),
    ("handle constructor chain",
     'new Agent({name: "h1"}).constructor.constructor("return require(\'child_process\')")()', A,
     "there are no host modules"),
    # environment
    ("process.env", f"process.env.{ENV_NAME}", R, "'process' is not defined"),
    ("std.getenv", f'std.getenv("{ENV_NAME}")', R, "'std' is not defined"),
    # files: modules, fs and the file tools
    ("require an absolute path", 'require("/etc/passwd")', S, "absolute path '/etc/passwd' refused"),
    ("require ..", 'require("../outside/mod.js")', S, "leaves the sandbox root"),
    ("require through a folder symlink", 'require("./out/mod.js")', S, "leaves the sandbox root"),
    ("import through a folder symlink", 'import secret from "./out/mod.js"\nsecret', S, "leaves the sandbox root"),
    ("fs.read absolute", 'await fs.read("/etc/passwd")', S, "absolute path '/etc/passwd' refused"),
    ("fs.read ..", 'await fs.read("../../../../../../../etc/passwd")', S, "leaves the sandbox root"),
    ("fs.read symlink to a file", 'await fs.read("pw")', S, "path 'pw' leaves the sandbox root"),
    ("fs.read through a folder symlink", 'await fs.read("out/secret.txt")', S, "leaves the sandbox root"),
    ("fs.write absolute", 'await fs.write("{OUT}/pwned.txt", "x")', S, "absolute path"),
    ("fs.write ..", 'await fs.write("../outside/pwned.txt", "x")', S, "leaves the sandbox root"),
    ("fs.write through a folder symlink", 'await fs.write("out/pwned.txt", "x")', S, "leaves the sandbox root"),
    ("fs.append to a file symlink", 'await fs.append("secretlink", "x")', S, "leaves the sandbox root"),
    ("fs.remove through a symlink", 'await fs.remove("out/secret.txt")', S, "leaves the sandbox root"),
    ("fs.list outside", 'await fs.list("out")', S, "leaves the sandbox root"),
    ("file_read tool", 'await Tool.call("file_read", {path: "/etc/passwd"})', S, "absolute path"),
    ("file_read tool symlink", 'await Tool.call("file_read", {path: "pw"})', S, "leaves the sandbox root"),
    ("file_write tool ..", 'await Tool.call("file_write", {path: "../outside/pwned.txt", content: "x"})', S,
     "leaves the sandbox root"),
    ("file_write tool symlink", 'await Tool.call("file_write", {path: "out/pwned.txt", content: "x"})', S,
     "leaves the sandbox root"),
    ("no API makes symlinks", 'await fs.symlink("/etc/passwd", "link")', R, "not a function"),
    ("no API renames", 'await fs.rename("inside.txt", "../outside/pwned.txt")', R, "not a function"),
    # network
    ("http_request tool", 'await Tool.call("http_request", {method: "POST", url: "http://127.0.0.1:9/", body: "x"})',
     S, "network access to host '127.0.0.1' is not allowed"),
    ("web_fetch file://", 'await Tool.call("web_fetch", {url: "file:///etc/passwd"})', S,
     "only http and https URLs are allowed"),
    ("fetch", 'await fetch("http://127.0.0.1:9/")', R, "'fetch' is not defined"),
    ("XMLHttpRequest", "new XMLHttpRequest()", R, "'XMLHttpRequest' is not defined"),
    # Python objects behind API values and handles
    ("__class__ of an API result", '(await fs.list(".")).__class__.__subclasses__()', R,
     "cannot read property '__subclasses__' of undefined"),
    ("__globals__ of an API function", "State.get.__globals__.os.system", R,
     "cannot read property 'os' of undefined"),
    ("a forged handle id", 'await State.set("x", {"\\u0000h": 99999})', C, "a handle cannot be made from data"),
    ("a forged handle of another type", 'await State.set("x", {"\\u0000h": [1, "AgentHandle"]})', C,
     "a handle cannot be made from data"),
    ("Jinja2 template reaching Python",
     'await Prompt.render("{{ \'\'.__class__.__mro__[1].__subclasses__() }}", {})', A, "unsafe"),
    ("Jinja2 template including a file", 'await Prompt.render("{% include \'/etc/passwd\' %}", {})', A,
     "cannot include, import or extend"),
]


@pytest.mark.parametrize(("name", "code", "expected", "fragment"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
def test_js_escape_is_refused(jailed, jail, capsys, name, code, expected, fragment):
    run_attempt(jailed, jail, "js", code, expected, fragment, capsys)


def test_js_has_at_least_25_attempts():
    assert len(ATTEMPTS) >= 25


def test_js_limits_cannot_be_dodged(jailed, jail, capsys):
    """A catch cannot swallow the time limit; deep recursion is a LimitError, not a crash."""
    run_attempt(jailed, jail, "js", "try { while (true) {} } catch (e) {}\nwhile (true) {}", LimitError,
                "time limit", capsys, timeout=0.5)
    run_attempt(jailed, jail, "js", "function f(n) { return f(n + 1) + 1 }\nf(0)", LimitError, "stack overflow",
                capsys)


POISON = [
    "JSON.parse = () => ({ok: 1, v: 'hijacked'}); JSON.stringify = () => '{}'",
    "Object.defineProperty(Object.prototype, 'v', {get() { return 'poisoned' }, configurable: true})",
    "Object.keys = () => []; Object.assign = () => ({})",
    "Function.prototype.call = () => 'poisoned'; Function.prototype.apply = () => 'poisoned'",
]


@pytest.mark.parametrize("poison", POISON)
def test_js_poisoned_builtins_do_not_reach_the_api(jailed, poison):
    """JSON, Object and Function replaced by a script: the engine's own plumbing keeps the originals."""
    jailed.run('State.set("k", "real")', "lua")
    jailed.run(poison, "js")
    assert jailed.run('await State.get("k")', "js") == "real"
    jailed.run('await State.set("k2", {a: [1, 2]})', "js")
    assert jailed.run('return State.get("k2")', "lua") == {"a": [1, 2]}


@pytest.mark.parametrize("poison", [
    "Promise.prototype.then = function () { return this }",
    "Object.prototype.toJSON = function () { return 'poisoned' }",
    "Array.prototype[Symbol.iterator] = function* () { yield 'poisoned' }",
    "globalThis.Promise = function () { throw new Error('no') }",
])
def test_js_poisoned_prototypes_never_reach_other_engines(jailed, poison):
    """A script can break its own engine's later cells (documented in SECURITY.md), never another engine."""
    jailed.run('State.set("k", "real")', "lua")
    try:
        jailed.run(poison + "; 1", "js")
    except Exception:
        pass
    assert jailed.run('return State.get("k")', "lua") == "real"
    assert jailed.run('State.get("k")', "tengo") == "real"
    assert jailed.run('return json.decode(json.encode({a = {1, 2}}))', "lua") == {"a": [1, 2]}
    assert jailed.run('json.decode("[1, 2]")', "tengo") == [1, 2]


@pytest.mark.parametrize("poison", [
    "Promise.prototype.then = function () { return 1 }",
    "Promise.resolve = null; Promise.reject = null",
    "Array.prototype[Symbol.iterator] = function* () { yield 'poisoned' }",
    "Reflect.apply = null; Function.prototype.bind = null",
    "Array.prototype.map = null; Array.prototype.join = null; Array.isArray = () => true",
    "String.prototype.slice = null; String.prototype.charCodeAt = null",
    "globalThis.Promise = function () { throw new Error('no') }",
])
def test_js_poisoned_builtins_leave_the_engines_next_cells_working(jailed, poison):
    # regression: the engine's own cell and call plumbing used them, so every later JS cell failed
    # ("awaits a Promise that nothing will ever settle", "value is not iterable")
    jailed.run('State.set("k", {a = {1, 2}})\nState.set("s", "text")', "lua")
    jailed.run(poison + "; 1", "js")
    assert jailed.run("6 * 7", "js") == 42
    assert jailed.run('(await State.get("k")).a.length + (await State.get("s")).length', "js") == 6
    assert jailed.run('await State.get("missing", "fallback")', "js") == "fallback"
    assert jailed.run('await Spell.sleep(1)\nawait Tool.call("uuid", {})\nawait State.set("n", 3)', "js") == 3
    assert jailed.run('console.log("still", "printing")\n"ok"', "js") == "ok"
    with pytest.raises(SpellError, match="boom"):
        jailed.run('throw new Error("boom")', "js")
