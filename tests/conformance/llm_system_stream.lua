local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(LLM.chat({{role = "system", content = "be terse"}, {role = "user", content = "first"}, {role = "assistant", content = "ok"}, {role = "user", content = "second"}}))
local req = Event.list({type = "llm.request"})[1].data.messages
display(req[1].role .. ": " .. req[1].content .. " (" .. #req .. " messages)")
display(LLM.chat({{role = "user", content = "x"}}, {model = "mock/script", responses = {"scripted chat"}}))
local chunks = {}
local full = LLM.stream("streamed  in   words", function(c) chunks[#chunks + 1] = c end)
display(json.encode(chunks))
display(full)
display(#Event.list({type = "llm.chunk"}))
local parts = {}
display(LLM.stream("p", function(c) parts[#parts + 1] = c end, {model = "mock/script", responses = {"a scripted reply"}}))
display(#parts > 0)
display(message(LLM.chat, "not a list"))
display(message(LLM.complete, "x", {colour = "red"}))
display(message(LLM.stream, "x", function(c) error("chunk handler broke") end))
