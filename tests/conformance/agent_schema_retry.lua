local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local schema = {type = "object", properties = {n = {type = "integer"}}, required = {"n"}}
local a = Agent.create({name = "strict", model = "mock/script", response_format = schema,
  responses = {'{"n": "x"}', '{"n": 3}'}})
display(json.encode(a:run("give n")))
local msgs = Event.list({type = "llm.request"})[2].data.messages
display(msgs[#msgs].content)
local b = Agent.create({name = "stubborn", model = "mock/script", response_format = schema,
  responses = {'{"m": 1}', '{"n": "three"}', '{"n": 3}'}})
display(message(b.run, "give n"))
local c = Agent.create({model = "mock/script", response_format = "json", responses = {"{bad", "still bad"}})
display(message(c.run, "x"))
local d = Agent.create({model = "mock/script", response_format = "json", responses = {"no", '["fixed"]'}})
display(json.encode(d:run("x")))
