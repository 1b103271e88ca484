display(await json.encode(Spell.params));
await Spell.sleep(1);
try { await Spell.sleep(-1); } catch (e) { display(e.message); }
const a = await Agent.create({name: "later"});
const f = a.run_async("from a future");
display(await Async.await(f));
display(await json.encode(await f.done()));
display(await json.encode(await Async.all([a.run_async("x"), a.run_async("y")])));
display(await Async.await("plain value"));
const wf = await Workflow.sequential({steps: [(x) => x + " async"]});
display((await Async.await(wf.run_async("workflow"))).output);
const r = await agent.create({name: "alias"});
display(await r.run("alias run"));
display(await json.encode([await tools.execute("calculator", {expression: "1+1"}), (await tools.list()).length > 0]));
await state.set("k", "v");
display(await state.get("k"));
display(await llm.complete("lower-case llm"));
