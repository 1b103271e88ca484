local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(Tool.call("calculator", {expression = "(2 + 3) * 4 - sqrt(16) + 0.5"}))  -- a fraction: JS has no 16.0, only 16
display(json.encode(Tool.call("json_query", {data = {items = {{name = "a"}, {name = "b"}}}, path = "items.1.name"})))
display(#Tool.call("uuid", {}))
display(Tool.call("file_write", {path = "notes/a.txt", content = "kept"}))
display(Tool.call("file_read", {path = "notes/a.txt"}))
display(json.encode(Tool.call("file_list", {path = "notes"})))
display(message(Tool.call, "file_read", {path = "../outside.txt"}))
display(message(Tool.call, "web_fetch", {url = "https://example.com/page"}))
display(message(Tool.call, "calculator", {expression = "__import__('os')"}))
display(json.encode(Tool.list()))
