local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local seen = {}
local sub = Event.on("order.*", function(e) seen[#seen + 1] = e.type end)
local all = Event.on("*", function(e) if e.type:sub(1, 5) == "order" then seen[#seen + 1] = "any:" .. e.type end end)
Event.emit("order.created", {id = 1})
Event.emit("invoice.sent", {})
Event.off(sub)
Event.emit("order.paid", {id = 1})
Event.off(all)
Event.emit("order.shipped", {})
display(json.encode(seen))
local first = Event.emit("batch", {n = 1})
Event.emit("batch", {n = 2})
Event.emit("batch", {n = 3})
local ns = {}
for _, e in ipairs(Event.list({type = "batch", since = first})) do ns[#ns + 1] = e.data.n end
display(json.encode(ns))
ns = {}
for _, e in ipairs(Event.list({type = "batch", limit = 2})) do ns[#ns + 1] = e.data.n end
display(json.encode(ns))
display(#Event.list({type = "order.*"}) .. " " .. #Event.list({limit = 1}))
Tool.call("uuid", {})
local sources = Event.list({type = "tool.call"})[1].source
display(#Event.list({type = "tool.*", source = sources}))
display(#Event.list({source = "nobody"}))
display(message(Event.list, {colour = "red"}))
