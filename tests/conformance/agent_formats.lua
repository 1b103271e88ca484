local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local j = Agent.create({model = "mock/script", response_format = "json", responses = {'{"b": [1, 2], "a": true}'}})
display(json.encode(j:run("give json")))
local schema = {type = "object", required = {"name"}, properties = {name = {type = "string"}}}
local s = Agent.create({model = "mock/script", response_format = schema, responses = {'{"name": 7}', '{"name": "Ada"}'}})
display(json.encode(s:run("who")))
local bad = Agent.create({model = "mock/script", response_format = "json", responses = {"nope", "still nope"}})
display(message(bad.run, "x"))
local empty = Agent.create({model = "mock/script", responses = {"only one"}})
display(empty:run("1"))
display(message(empty.run, "2"))
