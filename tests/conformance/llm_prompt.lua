local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(LLM.complete("echo me"))
display(LLM.chat({{role = "system", content = "ignored"}, {role = "user", content = "last user wins"}}))
local chunks = {}
local full = LLM.stream("one two three", function(c) chunks[#chunks + 1] = c end)
display(json.encode(chunks))
display(full)
display(LLM.complete("x", {model = "mock/script", responses = {"scripted"}}))
display(message(LLM.complete, "x", {model = "mock/script"}))
display(json.encode(LLM.complete("x", {model = "mock/script", responses = {'{"a": 1}'}, response_format = "json"})))
display(Prompt.render("Hi {{ name }}! {% for t in tags %}[{{ t }}]{% endfor %}", {name = "Ada", tags = {"a", "b"}}))
display(message(Prompt.render, "{{ x.__class__.__mro__ }}", {x = "s"}))
display(message(Prompt.render, "{% if %}", {}))
