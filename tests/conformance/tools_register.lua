local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local shout = Tool.register({name = "shout", description = "Upper-case a text",
  params = {type = "object", properties = {text = {type = "string"}, times = {type = "integer"}}, required = {"text"}},
  fn = function(args) return string.upper(args.text) .. string.rep("!", args.times or 1) end})
display(shout.name)
display(Tool.call("shout", {text = "hi", times = 3}))
display(shout:call({text = "handle"}))
display(message(Tool.call, "shout", {times = 2}))
display(message(Tool.call, "shout", {text = 5}))
display(message(Tool.call, "nope", {}))
display(json.encode(Tool.info("shout")))
display(message(Tool.register, {name = "bad", fn = 5, wat = 1}))
