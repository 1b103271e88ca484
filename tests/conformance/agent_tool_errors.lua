local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
Tool.register({name = "add", description = "adds", params = {type = "object", properties = {a = {type = "integer"}, b = {type = "integer"}}, required = {"a", "b"}},
  fn = function(args) return args.a + args.b end})
local function last_message()
  local reqs = Event.list({type = "llm.request"})
  local msgs = reqs[#reqs].data.messages
  return msgs[#msgs]
end
local a = Agent.create({name = "adder", model = "mock/script", tools = {"add"},
  responses = {{tool = "add", args = {a = 1}}, {tool = "add", args = {a = 1, b = 2}}, "done"}})
display(a:run("add"))
local errs = Event.list({type = "tool.error"})
display(#errs .. " " .. errs[1].data.name)
display(errs[1].data.error)
display(Event.list({type = "tool.result"})[1].data.result)
Tool.register({name = "boom", description = "fails", params = {type = "object", properties = {}}, fn = function(args) error("boom failed") end})
local b = Agent.create({name = "bomber", model = "mock/script", tools = {"boom"}, responses = {{tool = "boom", args = {}}, "recovered"}})
display(b:run("go"))
local m = last_message()
display(m.role .. " " .. tostring(string.find(m.content, "boom failed", 1, true) ~= nil))
display(#Event.list({type = "tool.error"}))
local c = Agent.create({model = "mock/script", tools = {"add"}, responses = {{tool = "nope", args = {}}, "after unknown"}})
display(c:run("x"))
display(last_message().content)
