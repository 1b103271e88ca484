const j = await Agent.create({model: "mock/script", response_format: "json", responses: ['{"b": [1, 2], "a": true}']});
display(await json.encode(await j.run("give json")));
const schema = {type: "object", required: ["name"], properties: {name: {type: "string"}}};
const s = await Agent.create({model: "mock/script", response_format: schema, responses: ['{"name": 7}', '{"name": "Ada"}']});
display(await json.encode(await s.run("who")));
const bad = await Agent.create({model: "mock/script", response_format: "json", responses: ["nope", "still nope"]});
try { await bad.run("x"); } catch (e) { display(e.message); }
const empty = await Agent.create({model: "mock/script", responses: ["only one"]});
display(await empty.run("1"));
try { await empty.run("2"); } catch (e) { display(e.message); }
