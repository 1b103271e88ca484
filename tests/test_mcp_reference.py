"""The reference MCP servers from npm (`@modelcontextprotocol/server-everything` and `server-filesystem`,
pinned in .ci/run, installed into .ci/node_modules), driven from every engine and by an agent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llmspell_kernel.errors import SpellError
from llmspell_kernel.runtime.session import Session

BIN = Path(__file__).resolve().parent.parent / ".ci" / "node_modules" / ".bin"
EVERYTHING, FILESYSTEM = BIN / "mcp-server-everything", BIN / "mcp-server-filesystem"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (EVERYTHING.exists() and FILESYSTEM.exists()),
    reason="the reference MCP servers are not installed: run the npm install of .ci/run "
           "(npm install --prefix .ci @modelcontextprotocol/server-everything@… @modelcontextprotocol/server-filesystem@…)")


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    shared = tmp_path_factory.mktemp("shared")
    (shared / "notes.txt").write_text("tides are tidal\n", encoding="utf-8")
    with Session(offline=True, root=str(shared)) as session:
        session.mcp.add("everything", str(EVERYTHING), ["stdio"])
        session.mcp.add("fs", str(FILESYSTEM), [str(shared)])
        session.shared = shared
        yield session


def test_lua_calls_the_everything_server(ref):
    assert ref.run('return Tool.call("everything.echo", {message = "from lua"})', "lua") == "Echo: from lua"
    assert "everything.get-sum" in ref.run("return Tool.list()", "lua")


def test_javascript_reads_a_file_through_the_filesystem_server(ref):
    path = str(ref.shared / "notes.txt")
    assert ref.run(f'(await Tool.call("fs.read_text_file", {{path: "{path}"}})).content', "js") == "tides are tidal\n"


def test_tengo_writes_through_the_filesystem_server_and_the_server_refuses_a_path_outside(ref):
    path = str(ref.shared / "out.txt")
    ref.run(f'Tool.call("fs.write_file", {{path: "{path}", content: "written by tengo"}})', "tengo")
    assert (ref.shared / "out.txt").read_text(encoding="utf-8") == "written by tengo"
    with pytest.raises(SpellError, match=r"MCP tool 'fs.read_text_file' failed: .*(denied|outside)"):
        ref.run('Tool.call("fs.read_text_file", {path: "/etc/hostname"})', "tengo")


def test_the_schema_of_a_reference_tool_is_enforced(ref):
    with pytest.raises(SpellError, match=r"argument 'a': 'one' is not of type 'number'"):
        ref.run('await Tool.call("everything.get-sum", {a: "one", b: 2})', "js")
    assert ref.run('Tool.call("everything.get-sum", {a: 1, b: 2})', "tengo") == "The sum of 1 and 2 is 3."


def test_an_agent_lists_a_folder_through_the_filesystem_server(ref):
    out = ref.run(f'''
        local a = Agent.create({{name = "librarian", model = "mock/script", tools = {{"fs.list_directory"}},
            responses = {{{{tool = "fs.list_directory", args = {{path = "{ref.shared}"}}}}, "listed"}}}})
        return a:run("what is there?")''', "lua")
    assert out == "listed"
    result = [e for e in ref.events.list(type="tool.result") if e.data["name"] == "fs.list_directory"][-1]
    assert "[FILE] notes.txt" in str(result.data["result"])
    assert result.source == "tool:fs.list_directory"


def test_resources_prompts_and_sampling_of_the_everything_server(ref):
    text = ref.run('return Mcp.resource("everything", "demo://resource/static/document/architecture.md")', "lua")
    assert text.startswith("# Everything Server")
    assert ref.run('await Mcp.prompt("everything", "args-prompt", {city: "Oslo"})', "js") == [
        {"role": "user", "content": "What's weather in Oslo?"}]
    out = ref.run('Tool.call("everything.trigger-sampling-request", {prompt: "sample me", maxTokens: 20})', "tengo")
    assert "sample me" in str(out)  # mock/echo answered the server's sampling request
    assert ref.events.list(type="llm.request")[-1].data["model"] == "mock/echo"


def test_an_image_result_comes_back_as_content_maps(ref):
    blocks = ref.run('return Tool.call("everything.get-tiny-image", {})', "lua")
    assert [b["type"] for b in blocks].count("image") == 1
    image = next(b for b in blocks if b["type"] == "image")
    assert image["mime_type"] == "image/png" and image["data"].startswith("iVBOR")
