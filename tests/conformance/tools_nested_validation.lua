local function message(f, ...) local _, e = pcall(f, ...) return (tostring(e):gsub("^[^:]*:%d+: ", "")) end
Tool.register({name = "order", description = "places an order", params = {type = "object",
  properties = {customer = {type = "object", properties = {name = {type = "string"}, age = {type = "integer", minimum = 0}}, required = {"name"}},
    items = {type = "array", items = {type = "object", properties = {sku = {type = "string"}, qty = {type = "integer", minimum = 1}}, required = {"sku", "qty"}}}},
  required = {"customer", "items"}},
  fn = function(args) return args.customer.name .. " x" .. #args.items end})
display(Tool.call("order", {customer = {name = "Ada"}, items = {{sku = "a", qty = 1}, {sku = "b", qty = 2}}}))
display(message(Tool.call, "order", {customer = {name = 7}, items = {}}))
display(message(Tool.call, "order", {customer = {name = "Ada", age = -1}, items = {}}))
display(message(Tool.call, "order", {customer = {name = "Ada"}, items = {{sku = "a", qty = 0}}}))
display(message(Tool.call, "order", {customer = {name = "Ada"}, items = {{sku = "a", qty = 1}, {qty = 2}}}))
display(message(Tool.call, "order", {customer = {}, items = {}}))
display(message(Tool.call, "order", {items = {}}))
display(message(Tool.call, "missing_tool", {}))
display(message(Tool.register, {name = "badschema", description = "x", params = {type = "nonsense"}, fn = function() end}))
local info = Tool.info("order")
display(json.encode({info.description, info.params.required}))
