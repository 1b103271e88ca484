const router = await Workflow.conditional({name: "router", branches: [
  {when: (x) => x > 100, step: (x) => "big"},
  {when: (x) => x > 10, step: (x) => "medium"},
], default: (x) => "small"});
for (const n of [500, 50, 5]) display((await router.run(n)).output);
const pass = await Workflow.conditional({branches: [{when: (x) => false, step: () => "no"}]});
display((await pass.run("as is")).output);
const grow = await (await Workflow.loop({name: "grow", step: (x) => x * 2,
  until: (out, i) => out >= 100, max_iterations: 10})).run(3);
display(grow.status + " " + grow.output + " after " + grow.steps.length);
display(grow.steps[5].name);
const capped = await (await Workflow.loop({step: (x) => x + 1, until: (out) => out > 99,
  max_iterations: 3})).run(0);
display(capped.status);
display(capped.error);
display((await (await Workflow.loop({step: (x) => x + ".", max_iterations: 3})).run("")).output);
try { await Workflow.loop({step: (x) => x}); } catch (e) { display(e.message); }
