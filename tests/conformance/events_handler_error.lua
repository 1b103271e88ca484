Event.on("tick", function(e) error("handler broke") end)
local after = {}
Event.on("tick", function(e) after[#after + 1] = e.data.i end)
Event.emit("tick", {i = 1})
display("the emitter went on")
display(json.encode(after))
local err = Event.list({type = "spell.error"})[1]
display(err.data.event_type)
display(string.find(err.data.error, "handler broke", 1, true) ~= nil)
