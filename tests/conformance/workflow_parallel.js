const double = (x) => x * 2;
const square = (x) => x * x;
display(await json.encode((await (await Workflow.parallel({steps: [double, square]})).run(5)).output));
display(await json.encode((await (await Workflow.parallel({merge: "map", steps: [{step: double, name: "d"}, {step: square, name: "s"}]})).run(3)).output));
display((await (await Workflow.parallel({steps: [double, square], merge: (outs) => outs[0] + outs[1]})).run(4)).output);
await Agent.create({name: "p1"});
await Agent.create({name: "p2"});
const r = await (await Workflow.parallel({name: "fan", steps: ["p1", "p2"], max_concurrency: 1})).run("same input");
display(await json.encode(r.output));
const failed = await (await Workflow.parallel({steps: [double, {step: () => { throw new Error("bad branch"); }, name: "b"}]})).run(1);
display(failed.status);
display(failed.error.includes("step 'b' failed"));
try { await Workflow.parallel({merge: "map", steps: [{step: double, name: "x"}, {step: square, name: "x"}]}); } catch (e) { display(e.message); }
