const r = await (await Workflow.loop({name: "l", step: (x) => x + 1, until: (out, i) => { throw new Error("until broke at " + i); }, max_iterations: 5})).run(0);
display(r.status);
display(r.error.includes("until broke at 1"));
const failing = await (await Workflow.loop({step: (x) => { if (x >= 2) { throw new Error("step broke"); } return x + 1; }, max_iterations: 5})).run(0);
display(failing.status + " " + failing.steps.length);
display(await json.encode([failing.steps[2].status, failing.steps[2].name]));
const nomatch = await (await Workflow.conditional({name: "c", branches: [{when: (x) => x === "a", step: () => "A"}]})).run("z");
display(nomatch.status + " " + nomatch.output + " " + nomatch.steps.length);
const badwhen = await (await Workflow.conditional({branches: [{when: (x) => { throw new Error("when broke"); }, step: () => "never"}]})).run(1);
display(badwhen.status);
display(badwhen.error.includes("when broke"));
try { await Workflow.conditional({branches: []}); } catch (e) { display(e.message); }
try { await Workflow.conditional({branches: [{step: () => {}}]}); } catch (e) { display(e.message); }
try { await Workflow.loop({step: (x) => x, max_iterations: 0}); } catch (e) { display(e.message); }
