const double = (x) => x * 2;
display(await json.encode((await (await Workflow.parallel({steps: [double, double, double], max_concurrency: 2})).run(1)).output));
try { await Workflow.parallel({steps: [double], max_concurrency: 0}); } catch (e) { display(e.message); }
try { await Workflow.parallel({steps: [double], merge: "sum"}); } catch (e) { display(e.message); }
const r = await (await Workflow.parallel({name: "m", steps: [double], merge: (outs) => { throw new Error("cannot merge"); }})).run(2);
display(r.status);
display(r.error.includes("cannot merge"));
display(await json.encode(r.steps[0].output));
const named = await (await Workflow.parallel({merge: "map", steps: [{step: double, name: "a"}, {step: (x) => { throw new Error("no"); }, name: "b", on_error: "skip"}]})).run(7);
display(r.status + " / " + named.status + " " + await json.encode(named.output));
display(await json.encode([named.steps[0].status, named.steps[1].status]));
