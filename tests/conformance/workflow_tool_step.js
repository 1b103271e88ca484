await Tool.register({name: "greet", description: "greets", params: {type: "object", properties: {who: {type: "string"}}, required: ["who"]},
  fn: (args) => "hello " + args.who});
const r = await (await Workflow.sequential({steps: [{tool: "greet"}]})).run({who: "Ada"});
display(r.status + " " + r.output);
const fixed = await (await Workflow.sequential({steps: [{tool: "greet", args: {who: "fixed"}}]})).run({who: "ignored"});
display(fixed.output);
const chain = await (await Workflow.sequential({steps: [(x) => ({expression: x + "*2"}), {tool: "calculator"}]})).run("21");
display(chain.output);
const bad = await (await Workflow.sequential({steps: [{tool: "greet"}]})).run({who: 5});
display(bad.status + " " + bad.steps[0].status);
display(bad.steps[0].error);
const missing = await (await Workflow.sequential({steps: [{tool: "greet"}]})).run({});
display(missing.steps[0].error);
try { await Workflow.sequential({steps: [{tool: "greet", args: "who"}]}); } catch (e) { display(e.message); }
