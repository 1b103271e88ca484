const a = await State.scope("agent:a");
const b = await State.scope("agent:b");
await a.set("x", 1);
await b.set("x", 2);
await a.set("x", 3);
await State.set("x", "root");
display(await json.encode([await a.get("x"), await b.get("x"), await State.get("x")]));
const ha = [];
for (const c of await a.history()) ha.push(await json.encode(c.old) + "->" + await json.encode(c.new));
display(await json.encode(ha));
display((await b.history("x")).length + " " + (await State.history("x")).length);
await b.delete("x");
display(await json.encode([await b.get("x", "gone"), await a.get("x")]));
display(await json.encode(await b.keys()));
await State.set("n", 1);
try { await State.update("n", (old) => { throw new Error("refused " + old); }); } catch (e) { display(e.message); }
display(await State.get("n"));
try { await a.update("x", (old) => { throw new Error("scoped refusal"); }); } catch (e) { display(e.message); }
display(await a.get("x"));
const v = await State.version();
try { await State.update("n", (old) => { throw new Error("again"); }); } catch (e) {}
display(await State.version() === v);
