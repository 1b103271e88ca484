local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
local inner = Workflow.sequential({name = "inner", steps = {function(x) return x + 1 end, function(x) return x * 2 end}})
local outer = Workflow.sequential({name = "outer", steps = {inner, function(x) return x - 3 end, inner}})
local r = outer:run(4)
display(r.status .. " " .. r.output)
display(json.encode({r.steps[1].name, r.steps[1].output, r.steps[3].output}))
local par = Workflow.parallel({name = "par", steps = {inner, function(x) return -x end}})
display(json.encode(Workflow.sequential({steps = {par, function(l) return l[1] + l[2] end}}):run(5).output))
local broken = Workflow.sequential({name = "broken", steps = {function(x) error("deep failure") end}})
local r2 = Workflow.sequential({name = "wrapper", steps = {function(x) return x end, broken}}):run("in")
display(r2.status .. " " .. r2.steps[2].status)
display(string.find(r2.error, "deep failure", 1, true) ~= nil)
local wf_events = {}
for _, e in ipairs(Event.list({type = "workflow.*"})) do wf_events[#wf_events + 1] = e.type .. ":" .. e.data.workflow end
display(json.encode(wf_events))
