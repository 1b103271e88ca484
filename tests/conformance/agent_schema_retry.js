const schema = {type: "object", properties: {n: {type: "integer"}}, required: ["n"]};
const a = await Agent.create({name: "strict", model: "mock/script", response_format: schema,
  responses: ['{"n": "x"}', '{"n": 3}']});
display(await json.encode(await a.run("give n")));
const msgs = (await Event.list({type: "llm.request"}))[1].data.messages;
display(msgs[msgs.length - 1].content);
const b = await Agent.create({name: "stubborn", model: "mock/script", response_format: schema,
  responses: ['{"m": 1}', '{"n": "three"}', '{"n": 3}']});
try { await b.run("give n"); } catch (e) { display(e.message); }
const c = await Agent.create({model: "mock/script", response_format: "json", responses: ["{bad", "still bad"]});
try { await c.run("x"); } catch (e) { display(e.message); }
const d = await Agent.create({model: "mock/script", response_format: "json", responses: ["no", '["fixed"]']});
display(await json.encode(await d.run("x")));
