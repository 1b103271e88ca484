const s1 = await State.new({topic: "tides", meta: {lang: "en"}});
const s2 = await s1.set("done", false);
const s3 = await s2.merge({topic: "waves", extra: 1});
const s4 = await s3.delete("meta");
display(await json.encode(await s1.to_map()));
display(await json.encode(await s4.to_map()));
display(await json.encode([await s1.version(), await s2.version(), await s3.version(), await s4.version()]));
display(await (await s4.parent()).version());
display(await json.encode(await (await s4.parent()).keys()));
display(await s3.get("meta.lang"));
display(await json.encode(await s4.keys()));
try { await State.new("not a map"); } catch (e) { display(e.message); }
