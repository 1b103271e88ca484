local router = Workflow.conditional({name = "router", branches = {
  {when = function(x) return x > 100 end, step = function(x) return "big" end},
  {when = function(x) return x > 10 end, step = function(x) return "medium" end},
}, default = function(x) return "small" end})
for _, n in ipairs({500, 50, 5}) do display(router:run(n).output) end
local pass = Workflow.conditional({branches = {{when = function(x) return false end, step = function() return "no" end}}})
display(pass:run("as is").output)
local grow = Workflow.loop({name = "grow", step = function(x) return x * 2 end,
  ["until"] = function(out, i) return out >= 100 end, max_iterations = 10}):run(3)
display(grow.status .. " " .. grow.output .. " after " .. #grow.steps)
display(grow.steps[6].name)
local capped = Workflow.loop({step = function(x) return x + 1 end, ["until"] = function(out) return out > 99 end,
  max_iterations = 3}):run(0)
display(capped.status)
display(capped.error)
display(Workflow.loop({step = function(x) return x .. "." end, max_iterations = 3}):run("").output)
local ok, e = pcall(Workflow.loop, {step = function(x) return x end})
display((e:gsub("^[^:]*:%d+: ", "")))
