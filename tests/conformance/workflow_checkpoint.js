globalThis.ran = 0; globalThis.broken = true
function double(x) { ran += 1; if (x >= 4 && broken) throw new Error("down"); return x * 2 }
const wf = await Workflow.sequential({name: "doubler", steps: [double, double, double]})
const first = await wf.run(1, {checkpoint: true, run_id: "night"})
display(first.status + " " + first.run_id + " " + first.error)
const run = (await Workflow.runs())[0]
display(await json.encode([run.run_id, run.workflow, run.status, run.steps_done]))
broken = false
const resumed = await Workflow.resume("night")
display(resumed.status + " " + resumed.output + " " + resumed.steps[0].restored + " ran " + ran)
display((await Workflow.runs())[0].status + " " + (await Event.list({type: "step.restore"})).length)
const message = async (f) => { try { await f() } catch (e) { return e.message } }
display(await message(() => Workflow.resume("nope")))
display(await message(() => wf.run(1, {checkpoint: true, run_id: "night"})))
display(await message(() => wf.run(1, {run_id: "day"})))
