local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
State.schema("user", {type = "object", required = {"name"},
  properties = {name = {type = "string"}, age = {type = "integer", minimum = 0}}})
display(State.set("user", {name = "Ada", age = 36}))
display(message(State.set, "user.age", -1))
display(message(State.set, "user", {age = 3}))
display(message(State.update, "user", function(u) u.name = 42 return u end))
display(json.encode(State.get("user")))
display(State.version())
display(message(State.schema, "bad", {type = "no-such-type"}))
