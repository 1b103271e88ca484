display(await json.encode(await Mcp.servers()));
display(await json.encode(Mcp.add === undefined));
try { await Mcp.tools("fs"); } catch (e) { display(e.message); }
try { await Mcp.resources("fs"); } catch (e) { display(e.message); }
try { await Mcp.resource("fs", "file:///etc/passwd"); } catch (e) { display(e.message); }
try { await Mcp.resource("fs", 5); } catch (e) { display(e.message); }
try { await Mcp.prompts("fs"); } catch (e) { display(e.message); }
try { await Mcp.prompt("fs", "review", {code: "x"}); } catch (e) { display(e.message); }
try { await Mcp.prompt("fs", "review", "not a map"); } catch (e) { display(e.message); }
try { await Mcp.tools(7); } catch (e) { display(e.message); }
try { await Tool.call("fs.read_file", {path: "x"}); } catch (e) { display(e.message); }
