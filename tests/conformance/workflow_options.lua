local tries = 0
local flaky = Workflow.sequential({name = "flaky", steps = {
  {step = function(x) tries = tries + 1; if tries < 3 then error("try " .. tries) end; return tries end, retry = 2},
}}):run(nil)
display(flaky.status .. " " .. flaky.output)
local retries = Event.list({type = "step.retry"})
display(#retries .. " retries, first: " .. json.encode({retries[1].data.attempt, retries[1].data.workflow, retries[1].data.step}))
local skipped = Workflow.sequential({steps = {
  {step = function(x) error("skip me") end, on_error = "skip", name = "optional"},
  function(x) return x * 10 end,
}}):run(4)
display(skipped.status .. " " .. skipped.output)
display(skipped.steps[1].status .. " " .. skipped.steps[1].output)
display(Event.list({type = "step.skip"})[1].data.step)
local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
display(message(Workflow.sequential, {steps = {}}))
display(message(Workflow.sequential, {steps = {42}}))
display(message(Workflow.sequential, {steps = {{tool = "nope"}}}))
display(message(Workflow.sequential, {steps = {{step = function() end, on_error = "ignore"}}}))
display(message(Workflow.sequential, {steps = {{step = function() end, timeout = -5}}}))
display(message(Workflow.sequential, {steps = {function() end}, colour = "red"}))
