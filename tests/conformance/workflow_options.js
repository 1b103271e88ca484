let tries = 0;
const flaky = await (await Workflow.sequential({name: "flaky", steps: [
  {step: (x) => { tries = tries + 1; if (tries < 3) { throw new Error("try " + tries); } return tries; }, retry: 2},
]})).run(null);
display(flaky.status + " " + flaky.output);
const retries = await Event.list({type: "step.retry"});
display(retries.length + " retries, first: " + await json.encode([retries[0].data.attempt, retries[0].data.workflow, retries[0].data.step]));
const skipped = await (await Workflow.sequential({steps: [
  {step: (x) => { throw new Error("skip me"); }, on_error: "skip", name: "optional"},
  (x) => x * 10,
]})).run(4);
display(skipped.status + " " + skipped.output);
display(skipped.steps[0].status + " " + skipped.steps[0].output);
display((await Event.list({type: "step.skip"}))[0].data.step);
try { await Workflow.sequential({steps: []}); } catch (e) { display(e.message); }
try { await Workflow.sequential({steps: [42]}); } catch (e) { display(e.message); }
try { await Workflow.sequential({steps: [{tool: "nope"}]}); } catch (e) { display(e.message); }
try { await Workflow.sequential({steps: [{step: () => {}, on_error: "ignore"}]}); } catch (e) { display(e.message); }
try { await Workflow.sequential({steps: [{step: () => {}, timeout: -5}]}); } catch (e) { display(e.message); }
try { await Workflow.sequential({steps: [() => {}], colour: "red"}); } catch (e) { display(e.message); }
