await Tool.register({name: "add", description: "adds", params: {type: "object", properties: {a: {type: "integer"}, b: {type: "integer"}}, required: ["a", "b"]},
  fn: (args) => args.a + args.b});
async function last_message() {
  const reqs = await Event.list({type: "llm.request"});
  const msgs = reqs[reqs.length - 1].data.messages;
  return msgs[msgs.length - 1];
}
const a = await Agent.create({name: "adder", model: "mock/script", tools: ["add"],
  responses: [{tool: "add", args: {a: 1}}, {tool: "add", args: {a: 1, b: 2}}, "done"]});
display(await a.run("add"));
const errs = await Event.list({type: "tool.error"});
display(errs.length + " " + errs[0].data.name);
display(errs[0].data.error);
display((await Event.list({type: "tool.result"}))[0].data.result);
await Tool.register({name: "boom", description: "fails", params: {type: "object", properties: {}}, fn: (args) => { throw new Error("boom failed"); }});
const b = await Agent.create({name: "bomber", model: "mock/script", tools: ["boom"], responses: [{tool: "boom", args: {}}, "recovered"]});
display(await b.run("go"));
const m = await last_message();
display(m.role + " " + String(m.content.includes("boom failed")));
display((await Event.list({type: "tool.error"})).length);
const c = await Agent.create({model: "mock/script", tools: ["add"], responses: [{tool: "nope", args: {}}, "after unknown"]});
display(await c.run("x"));
display((await last_message()).content);
