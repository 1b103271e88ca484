await Event.on("tick", (e) => { throw new Error("handler broke"); });
const after = [];
await Event.on("tick", (e) => { after.push(e.data.i); });
await Event.emit("tick", {i: 1});
display("the emitter went on");
display(await json.encode(after));
const err = (await Event.list({type: "spell.error"}))[0];
display(err.data.event_type);
display(err.data.error.includes("handler broke"));
