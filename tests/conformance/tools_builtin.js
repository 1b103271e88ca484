display(await Tool.call("calculator", {expression: "(2 + 3) * 4 - sqrt(16) + 0.5"}));
display(await json.encode(await Tool.call("json_query", {data: {items: [{name: "a"}, {name: "b"}]}, path: "items.1.name"})));
display((await Tool.call("uuid", {})).length);
display(await Tool.call("file_write", {path: "notes/a.txt", content: "kept"}));
display(await Tool.call("file_read", {path: "notes/a.txt"}));
display(await json.encode(await Tool.call("file_list", {path: "notes"})));
try { await Tool.call("file_read", {path: "../outside.txt"}); } catch (e) { display(e.message); }
try { await Tool.call("web_fetch", {url: "https://example.com/page"}); } catch (e) { display(e.message); }
try { await Tool.call("calculator", {expression: "__import__('os')"}); } catch (e) { display(e.message); }
display(await json.encode(await Tool.list()));
