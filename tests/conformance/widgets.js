const timeline = await Event.timeline({type: "job.*"});
await Event.emit("job.start", {n: 1});
await Event.emit("other", {n: 2});
const s = await timeline.summary();
display(await json.encode([s.kind, s.filter, s.rows, s.running]));
await State.set("color", "red");
await State.set("color", "blue");
await State.set("size", 3);
const history = await State.timeline("color");
display(await json.encode(await history.summary()));
display(await json.encode((await (await State.timeline()).summary()).versions));
try { await Event.timeline({colour: "red"}); } catch (e) { display(e.message); }
display(await json.encode([await timeline.stop(), await history.stop()]));
await Event.emit("job.more", {n: 3});
display((await timeline.summary()).rows);
display(await json.encode([await timeline.close(), await history.close()]));
