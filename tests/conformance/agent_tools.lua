local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local a = Agent.create({name = "calc", model = "mock/script", tools = {"calculator"},
  responses = {{tool = "calculator", args = {expression = "6*7"}}, "it is 42"}})
display(a:run("what is 6*7?"))
local types = {}
for _, e in ipairs(Event.list({type = "tool.*"})) do types[#types + 1] = e.type end
display(json.encode(types))
local r = Event.list({type = "tool.result"})[1]
display(json.encode(r.data))
local loopy = Agent.create({model = "mock/script", tools = {"uuid"}, max_iterations = 2,
  responses = {{tool = "uuid"}, {tool = "uuid"}, "never"}})
display(message(loopy.run, "go"))
display(message(Agent.create, {tools = {"no_such_tool"}}))
