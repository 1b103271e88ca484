local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local function double(x) return x * 2 end
display(json.encode(Workflow.parallel({steps = {double, double, double}, max_concurrency = 2}):run(1).output))
display(message(Workflow.parallel, {steps = {double}, max_concurrency = 0}))
display(message(Workflow.parallel, {steps = {double}, merge = "sum"}))
local r = Workflow.parallel({name = "m", steps = {double}, merge = function(outs) error("cannot merge") end}):run(2)
display(r.status)
display(string.find(r.error, "cannot merge", 1, true) ~= nil)
display(json.encode(r.steps[1].output))
local named = Workflow.parallel({merge = "map", steps = {{step = double, name = "a"}, {step = function(x) error("no") end, name = "b", on_error = "skip"}}}):run(7)
display(r.status .. " / " .. named.status .. " " .. json.encode(named.output))
display(json.encode({named.steps[1].status, named.steps[2].status}))
