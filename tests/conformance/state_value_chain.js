const s1 = await State.new({a: 1, nested: {k: "v"}});
const s2 = await s1.set("b", 2);
const s3 = await s2.merge({a: 10, c: 3});
const s4 = await s3.delete("b");
display(await json.encode(await s4.to_map()));
display(await json.encode(await s1.to_map()));
display(await json.encode([await s1.version(), await s2.version(), await s3.version(), await s4.version()]));
display(await json.encode(await (await s4.parent()).to_map()));
display(await json.encode(await (await (await (await s4.parent()).parent()).parent()).to_map()));
display(await json.encode(await s4.keys()));
display(await s4.get("missing", "default"));
display((await s4.get("nested")).k);
display((await s1.parent()) == null);
try { await s1.merge("not a map"); } catch (e) { display(e.message); }
