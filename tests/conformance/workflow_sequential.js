await Agent.create({name: "echoer"});
const inner = await Workflow.sequential({name: "inner", steps: [(x) => x + "!"]});
const wf = await Workflow.sequential({name: "chain", steps: [
  "echoer",
  (x) => ({expression: x}),
  {tool: "calculator"},
  (n) => "got " + Math.floor(n),
  inner,
]});
const r = await wf.run("6*7");
display(r.status);
display(r.output);
for (const s of r.steps) display(s.name + " " + s.status + " " + await json.encode(s.output));
display(await json.encode(await wf.info()) + " " + wf.kind);
const failing = await (await Workflow.sequential({steps: [
  (x) => x + 1,
  {step: (x) => { throw new Error("no good"); }, name: "breaks"},
  (x) => "never",
]})).run(1);
display(failing.status);
display(failing.error.includes("step 'breaks' failed"));
display(failing.steps.length);
