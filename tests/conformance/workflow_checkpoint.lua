ran, broken = 0, true
function double(x) ran = ran + 1; if x >= 4 and broken then error("down") end; return x * 2 end
local wf = Workflow.sequential({name = "doubler", steps = {double, double, double}})
local first = wf:run(1, {checkpoint = true, run_id = "night"})
display(first.status .. " " .. first.run_id .. " " .. first.error)
local run = Workflow.runs()[1]
display(json.encode({run.run_id, run.workflow, run.status, run.steps_done}))
broken = false
local resumed = Workflow.resume("night")
display(resumed.status .. " " .. resumed.output .. " " .. tostring(resumed.steps[1].restored) .. " ran " .. ran)
display(Workflow.runs()[1].status .. " " .. #Event.list({type = "step.restore"}))
local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(message(Workflow.resume, "nope"))
display(message(function() return wf:run(1, {checkpoint = true, run_id = "night"}) end))
display(message(function() return wf:run(1, {run_id = "day"}) end))
