const ok_agent = await Agent.create({name: "fine"});
const bad_agent = await Agent.create({name: "empty", model: "mock/script", responses: []});
const good = ok_agent.run_async("good");
const bad = bad_agent.run_async("bad");
try { await Async.all([good, bad]); } catch (e) { display(e.message); }
display(await Async.await(good));
try { await Async.await(bad); } catch (e) { display(e.message); }
display(await json.encode(await bad.done()));
const wf = await Workflow.sequential({steps: [(x) => { throw new Error("wf step failed"); }]});
const r = await Async.await(wf.run_async("x"));
display(r.status);
display(await json.encode(await Async.all([ok_agent.run_async("a"), "plain", 3])));
