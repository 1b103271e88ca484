local function double(x) return x * 2 end
local function square(x) return x * x end
display(json.encode(Workflow.parallel({steps = {double, square}}):run(5).output))
display(json.encode(Workflow.parallel({merge = "map", steps = {{step = double, name = "d"}, {step = square, name = "s"}}}):run(3).output))
display(Workflow.parallel({steps = {double, square}, merge = function(outs) return outs[1] + outs[2] end}):run(4).output)
Agent.create({name = "p1"})
Agent.create({name = "p2"})
local r = Workflow.parallel({name = "fan", steps = {"p1", "p2"}, max_concurrency = 1}):run("same input")
display(json.encode(r.output))
local failed = Workflow.parallel({steps = {double, {step = function() error("bad branch") end, name = "b"}}}):run(1)
display(failed.status)
display(string.find(failed.error, "step 'b' failed", 1, true) ~= nil)
local ok, e = pcall(Workflow.parallel, {merge = "map", steps = {{step = double, name = "x"}, {step = square, name = "x"}}})
display((e:gsub("^[^:]*:%d+: ", "")))
