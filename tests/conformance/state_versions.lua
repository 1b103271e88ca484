State.set("a", 1)
State.set("b", "two")
State.set("a", 3)
State.delete("b")
for _, c in ipairs(State.history()) do
  display(c.version .. " " .. c.key .. " " .. c.op .. " " .. json.encode(c.old) .. " -> " .. json.encode(c.new))
end
local last_a = State.history("a")[2]
display(json.encode({last_a.version, last_a.old, last_a.new, last_a.author.chunk ~= nil, last_a.time > 0}))
display(json.encode(State.at(2):to_map()))
display(State.at(2):version())
display(json.encode(State.diff(2, 4)))
display(State.rollback(2))
display(json.encode(State.to_map()))
display(State.history()[5].op)
