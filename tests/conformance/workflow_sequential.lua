Agent.create({name = "echoer"})
local inner = Workflow.sequential({name = "inner", steps = {function(x) return x .. "!" end}})
local wf = Workflow.sequential({name = "chain", steps = {
  "echoer",
  function(x) return {expression = x} end,
  {tool = "calculator"},
  function(n) return "got " .. math.floor(n) end,
  inner,
}})
local r = wf:run("6*7")
display(r.status)
display(r.output)
for _, s in ipairs(r.steps) do display(s.name .. " " .. s.status .. " " .. json.encode(s.output)) end
display(json.encode(wf:info()) .. " " .. wf.kind)
local failing = Workflow.sequential({steps = {
  function(x) return x + 1 end,
  {step = function(x) error("no good") end, name = "breaks"},
  function(x) return "never" end,
}}):run(1)
display(failing.status)
display(string.find(failing.error, "step 'breaks' failed", 1, true) ~= nil)
display(#failing.steps)
