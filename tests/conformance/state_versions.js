await State.set("a", 1);
await State.set("b", "two");
await State.set("a", 3);
await State.delete("b");
for (const c of await State.history()) {
  display(c.version + " " + c.key + " " + c.op + " " + await json.encode(c.old) + " -> " + await json.encode(c.new));
}
const last_a = (await State.history("a"))[1];
display(await json.encode([last_a.version, last_a.old, last_a.new, last_a.author.chunk != null, last_a.time > 0]));
display(await json.encode(await (await State.at(2)).to_map()));
display(await (await State.at(2)).version());
display(await json.encode(await State.diff(2, 4)));
display(await State.rollback(2));
display(await json.encode(await State.to_map()));
display((await State.history())[4].op);
