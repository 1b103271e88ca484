const a = await Agent.create({name: "a"});
display((await Agent.get("a")) === a);
display((await Agent.get("a")) === (await Agent.get("a")));
const b = await Agent.create({name: "b"});
display((await Agent.get("b")) === a);
display(await json.encode([a.name, a.model, b.name]));
display((await (await Workflow.sequential({steps: [a]})).run("via handle")).output);
display((await (await Workflow.sequential({steps: ["b"]})).run("via name")).output);
display(await json.encode(await Agent.remove("a")));
try { await Agent.get("a"); } catch (e) { display(e.message); }
display(await json.encode(await Agent.list()));
const a2 = await Agent.create({name: "a"});
display(a2 === a);
display((await Agent.get("a")) === a2);
try { await Workflow.sequential({steps: ["ghost"]}); } catch (e) { display(e.message); }
