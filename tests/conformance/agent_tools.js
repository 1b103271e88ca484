const a = await Agent.create({name: "calc", model: "mock/script", tools: ["calculator"],
  responses: [{tool: "calculator", args: {expression: "6*7"}}, "it is 42"]});
display(await a.run("what is 6*7?"));
const types = [];
for (const e of await Event.list({type: "tool.*"})) types.push(e.type);
display(await json.encode(types));
const r = (await Event.list({type: "tool.result"}))[0];
display(await json.encode(r.data));
const loopy = await Agent.create({model: "mock/script", tools: ["uuid"], max_iterations: 2,
  responses: [{tool: "uuid"}, {tool: "uuid"}, "never"]});
try { await loopy.run("go"); } catch (e) { display(e.message); }
try { await Agent.create({tools: ["no_such_tool"]}); } catch (e) { display(e.message); }
