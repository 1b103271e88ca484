await Tool.register({name: "order", description: "places an order", params: {type: "object",
  properties: {customer: {type: "object", properties: {name: {type: "string"}, age: {type: "integer", minimum: 0}}, required: ["name"]},
    items: {type: "array", items: {type: "object", properties: {sku: {type: "string"}, qty: {type: "integer", minimum: 1}}, required: ["sku", "qty"]}}},
  required: ["customer", "items"]},
  fn: (args) => args.customer.name + " x" + args.items.length});
display(await Tool.call("order", {customer: {name: "Ada"}, items: [{sku: "a", qty: 1}, {sku: "b", qty: 2}]}));
try { await Tool.call("order", {customer: {name: 7}, items: []}); } catch (e) { display(e.message); }
try { await Tool.call("order", {customer: {name: "Ada", age: -1}, items: []}); } catch (e) { display(e.message); }
try { await Tool.call("order", {customer: {name: "Ada"}, items: [{sku: "a", qty: 0}]}); } catch (e) { display(e.message); }
try { await Tool.call("order", {customer: {name: "Ada"}, items: [{sku: "a", qty: 1}, {qty: 2}]}); } catch (e) { display(e.message); }
try { await Tool.call("order", {customer: {}, items: []}); } catch (e) { display(e.message); }
try { await Tool.call("order", {items: []}); } catch (e) { display(e.message); }
try { await Tool.call("missing_tool", {}); } catch (e) { display(e.message); }
try { await Tool.register({name: "badschema", description: "x", params: {type: "nonsense"}, fn: () => {}}); } catch (e) { display(e.message); }
const info = await Tool.info("order");
display(await json.encode([info.description, info.params.required]));
