const a = await Agent.create({name: "helper", system: "Be brief."});
display(await a.run("hello there"));
display(a.name);
display(a.model);
const info = await a.info();
display(await json.encode([info.name, info.system, info.usage.calls, info.usage.prompt_tokens, info.usage.completion_tokens]));
display(await json.encode(await a.run({question: "why", n: 2})));
