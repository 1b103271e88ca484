const a = await Agent.new({name: "analyzer", model: "gpt-4"});
const s = await State.new({data: "..."});
const out = await a.run(s);
display(await json.encode(await out.keys()));
display(await out.get("output"));
display(await json.encode(await out.get("messages")));
display(await json.encode(await s.keys()));
const asked = await a.run(await State.new({input: "plain question"}));
display(await asked.get("output"));
